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

/** How long the opener (xdg-open, open) may take to fail; one still running by then is taken to work. */
const OPENER_WAIT_MS = 3000;

/**
 * Starts the desktop's browser on the URL; resolves with why it could not, if it could not (no
 * display, no opener, the opener failed). A Linux session without DISPLAY or WAYLAND_DISPLAY
 * (ssh, a container, CI) has no browser to start.
 */
function openBrowser(url: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY)
    return Promise.resolve('no display: DISPLAY and WAYLAND_DISPLAY are not set');
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  return new Promise((resolve) => {
    const child = process
      .getBuiltinModule('node:child_process')
      .spawn(cmd, args, { detached: true, stdio: 'ignore', env });
    const timer = setTimeout(() => {
      child.unref();
      resolve(undefined);
    }, OPENER_WAIT_MS);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code === 'ENOENT' ? `${cmd} is not installed` : `${cmd} failed: ${err.message}`);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? undefined : `${cmd} failed (${signal ?? `exit status ${code}`})`);
    });
  });
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
    const failed = await openBrowser(url, ctx.env);
    if (!failed) return;
    // No browser here: the URL on stdout (for a script or a copy), the reason on stderr.
    ctx.out.print(`${url}\n`);
    ctx.out.printErr(`No browser could be opened (${failed}): open the URL above yourself.\n`);
  },
};
