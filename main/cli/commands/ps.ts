/** ps:* — list, scale and restart an app's processes (`deis scale` is ps:scale). */
import type { Pod, PodList } from '../../contract/objects';
import { APP_OPTION, type Command, type Topic } from '../command';
import type { Context } from '../context';
import { ApiError, CliError, detailOf } from '../errors';

/** `=== app Processes`, then `--- type:` sections (alphabetical) of `name state (vN)` (by name). */
export function formatProcesses(app: string, pods: Pod[]): string {
  const byType = new Map<string, Pod[]>();
  for (const pod of pods) byType.set(pod.type, [...(byType.get(pod.type) ?? []), pod]);
  let text = `=== ${app} Processes\n`;
  for (const type of [...byType.keys()].sort()) {
    text += `--- ${type}:\n`;
    const sorted = byType.get(type)!.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const pod of sorted) text += `${pod.name} ${pod.state} (${pod.release})\n`;
  }
  return text;
}

export async function printProcessList(ctx: Context, app: string, limit: number): Promise<void> {
  const page = await ctx.client().list<Pod>(`/v2/apps/${app}/pods/`, limit);
  ctx.out.print(formatProcesses(app, page.results));
  if (page.notice) ctx.out.printErr(`${page.notice}\n`);
}

const drink = (env: NodeJS.ProcessEnv) => env.DEIS_DRINK_OF_CHOICE || 'coffee';
const seconds = (since: number) => Math.floor((Date.now() - since) / 1000);

const list: Command = {
  name: 'ps:list',
  summary: 'list application processes',
  description: 'Lists processes servicing an application.',
  options: [APP_OPTION],
  // The controller ignores limits for pods; 1000 is what the Deis client always asked for.
  run: (ctx, input) => printProcessList(ctx, ctx.app(input), 1000),
};

/** `web=2` pairs; the type rule is the controller's process-type rule. */
export function parseScaleTargets(targets: string[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const t of targets) {
    const m = /^([a-z0-9]+(?:-[a-z0-9]+)*)=([0-9]+)$/.exec(t);
    if (!m) throw new CliError(`'${t}' does not match the pattern 'type=num', ex: web=2\n`);
    result[m[1]!] = Number.parseInt(m[2]!, 10);
  }
  return result;
}

const scale: Command = {
  name: 'ps:scale',
  summary: 'scale processes (e.g. web=4 worker=2)',
  description: "Scales an application's processes by type.",
  args: [
    {
      name: 'type>=<num',
      variadic: true,
      help: "the process name as defined in your Procfile, such as 'web' or 'worker', and the number\n    of processes. Note that Dockerfile apps have a default 'cmd' process type.",
    },
  ],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const targets = parseScaleTargets(input.list('type>=<num'));
    ctx.out.print(`Scaling processes... but first, ${drink(ctx.env)}!\n`);
    const started = Date.now();
    try {
      await ctx.out.progress(ctx.client().post(`/v2/apps/${app}/scale/`, targets));
    } catch (err) {
      // The controller names the type and the app's types; the Deis client's mapping of it,
      // "Pod not found in application", hid both.
      const detail = err instanceof ApiError && err.status === 400 ? detailOf(err.body) : undefined;
      if (detail?.includes('does not exist in application')) throw new CliError(detail);
      throw err;
    }
    ctx.out.print(`done in ${seconds(started)}s\n`);
    await printProcessList(ctx, app, ctx.settings().limit);
  },
};

/** `web` → type only; `web-asdfg` or `<app>-web-<hash>-<id>` → type and pod name. */
export function parseRestartTarget(target: string, app: string): { type: string; name?: string } {
  if (!target.includes('-')) return { type: target };
  const rest = target.replace(`${app}-`, '');
  const parts = rest.split('-');
  const deployment = /[a-z0-9]{8,10}-[a-z0-9]{5}$/.test(rest);
  const type = deployment || parts.length === 2 ? parts[0]! : (parts[1] ?? parts[0]!);
  return { type, name: target };
}

const restart: Command = {
  name: 'ps:restart',
  summary: 'restart an application or its process types',
  description: 'Restart an application, a process type or a specific process.',
  args: [
    {
      name: 'type',
      optional: true,
      help: "the process name as defined in your Procfile, such as 'web' or 'worker'.\n    To restart a particular process, use 'web-asdfg' or 'app-v2-web-asdfg'.",
    },
  ],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const target = input.arg('type');
    const { type, name } = target ? parseRestartTarget(target, app) : { type: undefined, name: undefined };
    const path = name
      ? `/v2/apps/${app}/pods/${type}/${name}/restart/`
      : type
        ? `/v2/apps/${app}/pods/${type}/restart/`
        : `/v2/apps/${app}/pods/restart/`;
    ctx.out.print(`Restarting processes... but first, ${drink(ctx.env)}!\n`);
    const started = Date.now();
    let pods: Pod[];
    try {
      pods = (await ctx.out.progress(ctx.client().post<Pod[] | PodList>(path, {})).then(asPods)) ?? [];
    } catch (err) {
      if (err instanceof ApiError && err.message === 'Pod not found in application')
        throw new CliError(`Could not find process type ${type} in app ${app}`);
      throw err;
    }
    if (pods.length === 0) {
      ctx.out.println('Could not find any processes to restart');
      return;
    }
    ctx.out.print(`done in ${seconds(started)}s\n`);
    ctx.out.print(formatProcesses(app, pods));
  },
};

function asPods(body: Pod[] | PodList | undefined): Pod[] {
  if (!body) return [];
  return Array.isArray(body) ? body : body.results;
}

export const psTopic: Topic = {
  name: 'ps',
  summary: 'manage processes inside an app container',
  commands: [list, restart, scale],
  defaultCommand: 'ps:list',
};
