/** autoscale:* — horizontal autoscaling rules per process type. */
import type { AppSettings } from '../../contract/objects';
import { APP_OPTION, type Command, type Topic } from '../command';
import { CliError } from '../errors';

const appOption = { ...APP_OPTION, help: 'the uniquely identifiable name of the application.' };
const processArg = (help: string) => ({ name: 'process-type', help });

function int(raw: string | undefined): number {
  if (raw === undefined || !/^[-+]?\d+$/.test(raw)) throw new CliError(`could not convert ${raw} to int`);
  return Number.parseInt(raw, 10);
}

const list: Command = {
  name: 'autoscale:list',
  summary: 'list autoscale options of an application',
  description: 'Prints a list of autoscale options for the application.',
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const settings = await ctx.client().get<Partial<AppSettings>>(`/v2/apps/${app}/settings/`);
    ctx.out.print(`=== ${app} Autoscale\n\n`);
    const rules = Object.entries(settings.autoscale ?? {}).filter(([, rule]) => rule);
    if (rules.length === 0) {
      ctx.out.println('No autoscale rules found.');
      return;
    }
    for (const [type, rule] of rules.sort(([a], [b]) => (a < b ? -1 : 1))) {
      ctx.out.println(`--- ${type}:`);
      ctx.out.println(`Min Replicas: ${rule.min}\nMax Replicas: ${rule.max}\nCPU: ${rule.cpu_percent}%`);
    }
  },
};

const set: Command = {
  name: 'autoscale:set',
  summary: 'turn on autoscale for an app',
  description: 'Set autoscale option per process type for an app.',
  args: [processArg("the process type to add to the application's autoscale settings.")],
  options: [
    { long: 'min', value: '<min>', required: true, help: 'minimum replicas to keep around' },
    { long: 'max', value: '<max>', required: true, help: 'max replicas to scale up to' },
    { long: 'cpu-percent', value: '<percent>', required: true, help: 'target CPU utilization' },
    appOption,
  ],
  async run(ctx, input) {
    const app = ctx.app(input);
    const type = input.arg('process-type')!;
    const rule = {
      min: int(input.opt('min')),
      max: int(input.opt('max')),
      cpu_percent: int(input.opt('cpu-percent')),
    };
    ctx.out.print(`Applying autoscale settings for process type ${type} on ${app}... `);
    await ctx.out.progress(ctx.client().post(`/v2/apps/${app}/settings/`, { autoscale: { [type]: rule } }));
    ctx.out.println('done');
  },
};

const unset: Command = {
  name: 'autoscale:unset',
  summary: 'turn off autoscale for an app',
  description: 'Unset autoscale per process type for an app.',
  args: [processArg("the process type to remove from the application's autoscale settings.")],
  options: [appOption],
  async run(ctx, input) {
    const app = ctx.app(input);
    const type = input.arg('process-type')!;
    ctx.out.print(`Removing autoscale for process type ${type} on ${app}... `);
    await ctx.out.progress(ctx.client().post(`/v2/apps/${app}/settings/`, { autoscale: { [type]: null } }));
    ctx.out.println('done');
  },
};

export const autoscaleTopic: Topic = {
  name: 'autoscale',
  summary: 'manage autoscale for applications',
  commands: [list, set, unset],
  defaultCommand: 'autoscale:list',
};
