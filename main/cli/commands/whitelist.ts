/** whitelist:* — the addresses the router lets through to an app. */
import { APP_OPTION, type Command, type Topic } from '../command';

const addressesArg = {
  name: 'addresses',
  help: "comma-delimited list of addresses(using IP or CIDR notation) to be whitelisted for the application, such as '1.2.3.4' or '1.2.3.4,0.0.0.0/0'.",
};

const list: Command = {
  name: 'whitelist:list',
  summary: "list addresses in the application's whitelist",
  description: 'Lists whitelisted addresses for an application.',
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const { addresses } = await ctx.client().get<{ addresses: string[] }>(`/v2/apps/${app}/whitelist/`);
    ctx.out.print(`=== ${app} Whitelisted Addresses\n`);
    for (const a of addresses ?? []) ctx.out.println(a);
  },
};

const add: Command = {
  name: 'whitelist:add',
  summary: "adds addresses to the application's whitelist",
  description: 'Adds addresses to an application whitelist.',
  args: [addressesArg],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const raw = input.arg('addresses')!;
    ctx.out.print(`Adding ${raw} to ${app} whitelist...\n`);
    await ctx.out.progress(ctx.client().post(`/v2/apps/${app}/whitelist/`, { addresses: raw.split(',') }));
    ctx.out.println('done');
  },
};

const remove: Command = {
  name: 'whitelist:remove',
  summary: "remove addresses from the application's whitelist",
  description: 'Removes addresses from an application whitelist.',
  args: [addressesArg],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const raw = input.arg('addresses')!;
    ctx.out.print(`Removing ${raw} from ${app} whitelist...\n`);
    await ctx.out.progress(ctx.client().delete(`/v2/apps/${app}/whitelist/`, { addresses: raw.split(',') }));
    ctx.out.println('done');
  },
};

export const whitelistTopic: Topic = {
  name: 'whitelist',
  summary: 'manage whitelisted addresses of an application',
  commands: [add, list, remove],
  defaultCommand: 'whitelist:list',
};
