/** limits:* — memory and CPU requests/limits per process type. */
import type { Config } from '../../contract/objects';
import { APP_OPTION, type Command, type Topic } from '../command';
import type { Context } from '../context';
import { CliError } from '../errors';
import { nulls } from '../kv';
import { prettyTabs } from '../output';

// Deis's pattern, minus a stray `}` it had in the limit part.
const LIMIT =
  /^([a-z0-9]+(?:-[a-z0-9]+)*)=(([0-9]+[bkmgBKMG]{1,2}|[0-9.]{1,5}|[0-9.]{1,5}m?)(\/([0-9]+[bkmgBKMG]{1,2}|[0-9.]{1,5}|[0-9.]{1,5}m?))?)$/;

export function parseLimits(items: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of items) {
    const m = LIMIT.exec(item);
    if (!m)
      throw new CliError(
        `${item} doesn't fit format type=#unit or type=# or type=#/#\nExamples: web=2G worker=500M db=1G/2G`,
      );
    result[m[1]!] = m[2]!;
  }
  return result;
}

async function printLimits(ctx: Context, app: string): Promise<void> {
  const config = await ctx.client().get<Config>(`/v2/apps/${app}/config/`);
  const section = (values: Record<string, unknown> | undefined) => {
    const entries = Object.entries(values ?? {});
    return entries.length === 0
      ? 'Unlimited\n'
      : prettyTabs(Object.fromEntries(entries.map(([k, v]) => [k, String(v)])), 5);
  };
  ctx.out.print(
    `=== ${app} Limits\n\n--- Memory\n${section(config.memory)}\n--- CPU\n${section(config.cpu)}`,
  );
}

const typeOptions = (cpuHelp: string, memoryHelp: string) => [
  APP_OPTION,
  { long: 'cpu', help: cpuHelp },
  { long: 'memory', short: 'm', help: `${memoryHelp} [default: true]` },
];

const list: Command = {
  name: 'limits:list',
  summary: 'list resource limits for an app',
  description: 'Lists resource limits for an application.',
  options: [{ ...APP_OPTION, help: 'the uniquely identifiable name of the application.' }],
  run: (ctx, input) => printLimits(ctx, ctx.app(input)),
};

const set: Command = {
  name: 'limits:set',
  summary: 'set resource limits for an app',
  description:
    'Sets resource requests and limits for an application.\n\n' +
    'A resource limit is a finite resource within a pod which we can apply restrictions through\n' +
    'Kubernetes. A resource request is used by the scheduler to select a node that can guarantee\n' +
    'the requested resource. Given one value, it is both request and limit. Values apply to each\n' +
    'pod: 0 <= request <= limit. Memory is in B, K, M or G (web=2G db=1G/2G); CPU in CPUs or\n' +
    'milli-CPUs (--cpu web=500m).',
  usage: 'limits:set [options] <type>=<value>...',
  args: [{ name: 'type>=<value', variadic: true, help: "the process type and its limit, e.g. 'web=2G'." }],
  options: typeOptions('value apply to CPU.', 'value apply to memory.'),
  async run(ctx, input) {
    const app = ctx.app(input);
    const limits = parseLimits(input.list('type>=<value'));
    ctx.out.print('Applying limits... ');
    const body = input.flag('cpu') ? { cpu: limits } : { memory: limits };
    await ctx.out.progress(ctx.client().post(`/v2/apps/${app}/config/`, body));
    ctx.out.print('done\n\n');
    await printLimits(ctx, app);
  },
};

const unset: Command = {
  name: 'limits:unset',
  summary: 'unset resource limits for an app',
  description: 'Unsets resource limits for an application.',
  usage: 'limits:unset [options] [--memory | --cpu] <type>...',
  args: [
    { name: 'type', variadic: true, help: "the process type as defined in your Procfile, such as 'web'." },
  ],
  options: typeOptions('limits cpu shares.', 'limits memory.'),
  async run(ctx, input) {
    const app = ctx.app(input);
    ctx.out.print('Applying limits... ');
    const values = nulls(input.list('type'));
    const body = input.flag('cpu') ? { cpu: values } : { memory: values };
    await ctx.out.progress(ctx.client().post(`/v2/apps/${app}/config/`, body));
    ctx.out.print('done\n\n');
    await printLimits(ctx, app);
  },
};

export const limitsTopic: Topic = {
  name: 'limits',
  summary: 'manage resource limits for your application',
  commands: [list, set, unset],
  defaultCommand: 'limits:list',
};
