/** tags:* — node labels an app's pods must run on (Kubernetes nodeSelector). */
import type { Config } from '../../contract/objects';
import { APP_OPTION, type Command, type Topic } from '../command';
import type { Context } from '../context';
import { nulls, parseStrictPairs } from '../kv';
import { prettyTabs } from '../output';

async function printTags(ctx: Context, app: string): Promise<void> {
  const config = await ctx.client().get<Config>(`/v2/apps/${app}/config/`);
  const tags = Object.fromEntries(Object.entries(config.tags ?? {}).map(([k, v]) => [k, String(v)]));
  ctx.out.print(`=== ${app} Tags\n${prettyTabs(tags, 5)}`);
}

const list: Command = {
  name: 'tags:list',
  summary: 'list tags for an app',
  description: 'Lists tags for an application.',
  options: [{ ...APP_OPTION, help: 'the uniquely identifiable name of the application.' }],
  run: (ctx, input) => printTags(ctx, ctx.app(input)),
};

const set: Command = {
  name: 'tags:set',
  summary: 'set tags for an app',
  description:
    "Sets tags for an application.\n\nA tag is a key/value pair used to tag an application's containers and is passed to the\nscheduler. This is often used to restrict workloads to specific hosts matching the\nscheduler-configured metadata.",
  usage: 'tags:set [options] <key>=<value>...',
  args: [{ name: 'key>=<value', variadic: true, help: 'the tag key and its value, e.g. environ=prod.' }],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const tags = parseStrictPairs(input.list('key>=<value'), 'rack=1 evironment=production');
    ctx.out.print('Applying tags... ');
    await ctx.out.progress(ctx.client().post(`/v2/apps/${app}/config/`, { tags }));
    ctx.out.print('done\n\n');
    await printTags(ctx, app);
  },
};

const unset: Command = {
  name: 'tags:unset',
  summary: 'unset tags for an app',
  description: 'Unsets tags for an application.',
  usage: 'tags:unset [options] <key>...',
  args: [{ name: 'key', variadic: true, help: 'the tag key to unset, such as "environ".' }],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    ctx.out.print('Applying tags... ');
    await ctx.out.progress(ctx.client().post(`/v2/apps/${app}/config/`, { tags: nulls(input.list('key')) }));
    ctx.out.print('done\n\n');
    await printTags(ctx, app);
  },
};

export const tagsTopic: Topic = {
  name: 'tags',
  summary: 'manage tags for application containers',
  commands: [list, set, unset],
  defaultCommand: 'tags:list',
};
