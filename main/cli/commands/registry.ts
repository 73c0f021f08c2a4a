/** registry:* — credentials for pulling an app's image from a private registry. */
import type { Config } from '../../contract/objects';
import { APP_OPTION, type Command, type Topic } from '../command';
import type { Context } from '../context';
import { CliError } from '../errors';
import { nulls } from '../kv';
import { prettyTabs } from '../output';

async function printRegistry(ctx: Context, app: string): Promise<void> {
  const config = await ctx.client().get<Config>(`/v2/apps/${app}/config/`);
  const values = Object.fromEntries(Object.entries(config.registry ?? {}).map(([k, v]) => [k, String(v)]));
  ctx.out.print(`=== ${app} Registry\n${prettyTabs(values, 5)}`);
}

export function parseRegistryInfo(items: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    const key = i === -1 ? item : item.slice(0, i);
    const value = i === -1 ? '' : item.slice(i + 1);
    if (i === -1 || key === '' || value === '')
      throw new CliError(
        `${item} is invalid. Must be in format key=value\nExamples: username=bob password=s3cur3pw1`,
      );
    if (key !== 'username' && key !== 'password')
      throw new CliError(`${key} is invalid. Valid keys are "username" or "password"`);
    result[key] = value;
  }
  return result;
}

const list: Command = {
  name: 'registry:list',
  summary: 'list registry info for an app',
  description: 'Lists registry information for an application.',
  options: [{ ...APP_OPTION, help: 'the uniquely identifiable name of the application.' }],
  run: (ctx, input) => printRegistry(ctx, ctx.app(input)),
};

const set: Command = {
  name: 'registry:set',
  summary: 'set registry info for an app',
  description:
    'Sets registry information for an application. These credentials are the same as those used\nfor `docker login` to the private registry.',
  usage: 'registry:set [options] <key>=<value>...',
  args: [
    {
      name: 'key>=<value',
      variadic: true,
      help: "the registry key, 'username' or 'password', and its value.",
    },
  ],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const registry = parseRegistryInfo(input.list('key>=<value'));
    ctx.out.print('Applying registry information... ');
    await ctx.out.progress(ctx.client().post(`/v2/apps/${app}/config/`, { registry }));
    ctx.out.print('done\n\n');
    await printRegistry(ctx, app);
  },
};

const unset: Command = {
  name: 'registry:unset',
  summary: 'unset registry info for an app',
  description: 'Unsets registry information for an application.',
  usage: 'registry:unset [options] <key>...',
  args: [
    { name: 'key', variadic: true, help: 'the registry key to unset, such as "username" or "password".' },
  ],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    ctx.out.print('Applying registry information... ');
    await ctx.out.progress(
      ctx.client().post(`/v2/apps/${app}/config/`, { registry: nulls(input.list('key')) }),
    );
    ctx.out.print('done\n\n');
    await printRegistry(ctx, app);
  },
};

export const registryTopic: Topic = {
  name: 'registry',
  summary: 'manage private registry information for your application',
  commands: [list, set, unset],
  defaultCommand: 'registry:list',
};
