/** domains:* — the host names an app answers to. */
import type { Domain } from '../../contract/objects';
import { APP_OPTION, LIMIT_OPTION, type Command, type Topic } from '../command';
import type { Context } from '../context';
import { limitCount } from '../output';

export async function printDomains(ctx: Context, app: string, limit: number): Promise<void> {
  const page = await ctx.client().list<Domain>(`/v2/apps/${app}/domains/`, limit);
  ctx.out.print(`=== ${app} Domains${limitCount(page.results.length, page.count)}`);
  for (const d of page.results) ctx.out.println(d.domain);
}

const list: Command = {
  name: 'domains:list',
  summary: 'list domains bound to an app',
  description: 'Lists domains bound to an application.',
  options: [APP_OPTION, LIMIT_OPTION],
  run: (ctx, input) => printDomains(ctx, ctx.app(input), ctx.limit(input)),
};

const add: Command = {
  name: 'domains:add',
  summary: 'bind a domain to an application',
  description: 'Binds a domain to an application.',
  args: [
    { name: 'domain', help: "the domain name to be bound to the application, such as 'domain.deisapp.com'." },
  ],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const domain = input.arg('domain')!;
    ctx.out.print(`Adding ${domain} to ${app}... `);
    await ctx.out.progress(ctx.client().post(`/v2/apps/${app}/domains/`, { domain }));
    ctx.out.println('done');
  },
};

const remove: Command = {
  name: 'domains:remove',
  summary: 'unbind a domain from an application',
  description: 'Unbinds a domain for an application.',
  args: [
    {
      name: 'domain',
      help: "the domain name to be removed from the application, such as 'domain.deisapp.com'.",
    },
  ],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const domain = input.arg('domain')!;
    ctx.out.print(`Removing ${domain} from ${app}... `);
    await ctx.out.progress(ctx.client().delete(`/v2/apps/${app}/domains/${encodeURIComponent(domain)}`));
    ctx.out.println('done');
  },
};

export const domainsTopic: Topic = {
  name: 'domains',
  summary: 'manage and assign domain names to your applications',
  commands: [add, list, remove],
  defaultCommand: 'domains:list',
};
