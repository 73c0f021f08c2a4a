/** apps:info and apps:open: an app's summary and its URL. */
import type { App, Domain } from '../../contract/objects';
import { APP_OPTION, type Command } from '../command';
import type { Context } from '../context';
import { CliError } from '../errors';
import { isAddressHost } from '../git';
import { printDomains } from './domains';
import { printLabels } from './labels';
import { printProcessList } from './ps';

const noDomain = (app: string) => `No domain assigned to ${app}`;

/**
 * The app's URL from its first domain. A bare domain takes the place of the controller's first host
 * label (`foo` + `deis.example.com` → `foo.example.com`). An IP or `localhost` controller has no such
 * label, so there the desktop's platform domain (or `localhost`) and router port are used.
 */
export async function appUrl(ctx: Context, app: string): Promise<string> {
  const client = ctx.client();
  const page = await client.list<Domain>(`/v2/apps/${app}/domains/`, 1);
  const domain = page.results[0]?.domain;
  if (!domain) return '';
  if (domain.includes('.')) return domain;
  const host = client.controller.host;
  if (!isAddressHost(client.controller.hostname)) {
    const labels = host.split('.');
    labels[0] = domain;
    return labels.join('.');
  }
  const info = await ctx.desktopInfo(client);
  const port = await ctx.routerPort(client);
  const suffix = port && port !== 80 ? `:${port}` : '';
  return `${domain}.${info?.platform_domain || 'localhost'}${suffix}`;
}

export const appsInfo: Command = {
  name: 'apps:info',
  summary: 'view info about an application',
  description: 'Prints info about the current application.',
  options: [APP_OPTION],
  async run(ctx, input) {
    const appId = ctx.app(input);
    const app = await ctx.client().get<App>(`/v2/apps/${appId}/`);
    const url = (await appUrl(ctx, appId)) || noDomain(appId);
    const out = ctx.out;
    out.print(`=== ${app.id} Application\n`);
    out.println('updated: ', app.updated);
    out.println('uuid:    ', app.uuid);
    out.println('created: ', app.created);
    out.println('url:     ', url);
    out.println('owner:   ', app.owner);
    out.println('id:      ', app.id);
    out.println();
    await printProcessList(ctx, app.id, ctx.settings().limit);
    out.println();
    await printDomains(ctx, app.id, ctx.settings().limit);
    out.println();
    await printLabels(ctx, app.id);
    out.println();
  },
};

function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const child = process
    .getBuiltinModule('node:child_process')
    .spawn(cmd, args, { detached: true, stdio: 'ignore' });
  child.on('error', () => process.stderr.write(`Open ${url} in your browser.\n`));
  child.unref();
}

export const appsOpen: Command = {
  name: 'apps:open',
  summary: 'open the application in a browser',
  description: 'Opens a URL to the application in the default browser.',
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    let url = await appUrl(ctx, app);
    if (!url) throw new CliError(noDomain(app));
    if (!/^https?:\/\//.test(url)) url = `http://${url}`;
    openBrowser(url);
  },
};
