/** labels:* — free-form labels on an app, kept in its settings. */
import type { AppSettings } from '../../contract/objects';
import { APP_OPTION, type Command, type Topic } from '../command';
import type { Context } from '../context';
import { nulls, parseStrictPairs } from '../kv';
import { prettyTabs } from '../output';

export async function printLabels(ctx: Context, app: string): Promise<void> {
  const settings = await ctx.client().get<AppSettings>(`/v2/apps/${app}/settings/`);
  const labels = settings.label ?? {};
  ctx.out.print(`=== ${app} Label\n`);
  const keys = Object.keys(labels);
  if (keys.length === 0) {
    ctx.out.println('No labels found.');
    return;
  }
  ctx.out.print(prettyTabs(Object.fromEntries(keys.map((k) => [`${k}:`, String(labels[k])])), 6));
}

const list: Command = {
  name: 'labels:list',
  summary: 'list application labels',
  description: 'Prints a list of labels of the application.',
  options: [APP_OPTION],
  run: (ctx, input) => printLabels(ctx, ctx.app(input)),
};

const set: Command = {
  name: 'labels:set',
  summary: 'add new application labels or update existing',
  description:
    'Sets labels for an application.\n\nA label is a key/value pair used to label an application. This label is a general information for deis user.',
  args: [{ name: 'key>=<value', variadic: true, help: 'the label key and its value.' }],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const label = parseStrictPairs(
      input.list('key>=<value'),
      'git_repo=https://github.com/deis/workflow team=frontend',
    );
    ctx.out.print(`Applying labels on ${app}... `);
    await ctx.out.progress(ctx.client().post(`/v2/apps/${app}/settings/`, { label }));
    ctx.out.println('done');
  },
};

const unset: Command = {
  name: 'labels:unset',
  summary: 'remove labels from application',
  description: 'Unsets labels for an application.',
  args: [{ name: 'key', variadic: true, help: 'the label key to unset for the application.' }],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    ctx.out.print(`Removing labels on ${app}... `);
    await ctx.out.progress(
      ctx.client().post(`/v2/apps/${app}/settings/`, { label: nulls(input.list('key')) }),
    );
    ctx.out.println('done');
  },
};

export const labelsTopic: Topic = {
  name: 'labels',
  summary: 'manage labels of application',
  commands: [list, set, unset],
  defaultCommand: 'labels:list',
};
