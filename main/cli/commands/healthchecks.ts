/** healthchecks:* — liveness and readiness probes per process type. */
import type { Config, Probe } from '../../contract/objects';
import { APP_OPTION, type Command, type Topic } from '../command';
import type { Context } from '../context';
import { CliError } from '../errors';

/** The key `healthchecks:set` uses without `--type`, kept by Deis for older controllers. */
const DEFAULT_PROC_TYPE = 'web/cmd';

/** A probe as the Go SDK's Healthcheck.String() printed it. */
export function formatProbe(p: Probe): string {
  const exec = p.exec ? `Command=[${p.exec.command.join(' ')}]` : 'N/A';
  const headers = (p.httpGet?.httpHeaders ?? []).map((h) => `${h.name}=${h.value}`).join(' ');
  const http = p.httpGet
    ? `Path="${p.httpGet.path ?? ''}" Port=${p.httpGet.port} HTTPHeaders=[${headers}]`
    : 'N/A';
  const tcp = p.tcpSocket ? `Port=${p.tcpSocket.port}` : 'N/A';
  return [
    `Initial Delay (seconds): ${p.initialDelaySeconds ?? 0}`,
    `Timeout (seconds): ${p.timeoutSeconds ?? 0}`,
    `Period (seconds): ${p.periodSeconds ?? 0}`,
    `Success Threshold: ${p.successThreshold ?? 0}`,
    `Failure Threshold: ${p.failureThreshold ?? 0}`,
    `Exec Probe: ${exec}`,
    `HTTP GET Probe: ${http}`,
    `TCP Socket Probe: ${tcp}`,
  ].join('\n');
}

function formatChecks(checks: { livenessProbe?: Probe; readinessProbe?: Probe }): string {
  const live = checks.livenessProbe ? formatProbe(checks.livenessProbe) : 'No liveness probe configured.';
  const ready = checks.readinessProbe ? formatProbe(checks.readinessProbe) : 'No readiness probe configured.';
  return `--- Liveness\n${live}\n\n--- Readiness\n${ready}\n`;
}

async function printHealthchecks(ctx: Context, app: string, procType: string | undefined): Promise<void> {
  const config = await ctx.client().get<Config>(`/v2/apps/${app}/config/`);
  const checks = config.healthcheck ?? {};
  let text = `=== ${app} Healthchecks\n`;
  if (procType === undefined) {
    const keys = Object.keys(checks).sort();
    if (keys.length === 0) text += 'No health checks configured.\n';
    for (const key of keys) text += `\n${key}:\n${formatChecks(checks[key]!)}`;
  } else {
    text += `\n${procType}:\n${formatChecks(checks[procType] ?? {})}`;
  }
  ctx.out.print(text);
}

function checkHealthType(type: string): void {
  if (type !== 'liveness' && type !== 'readiness')
    throw new CliError(`probe type ${type} is invalid. Must be one of [liveness readiness]`);
}

function int(raw: string | undefined, name: string): number {
  if (raw === undefined || !/^[-+]?\d+$/.test(raw))
    throw new CliError(`could not convert ${raw} to int: ${name}`);
  return Number.parseInt(raw, 10);
}

function port(raw: string | undefined): number {
  if (raw === undefined || !/^[-+]?\d+$/.test(raw))
    throw new CliError(`could not parse port: strconv.Atoi: parsing "${raw ?? ''}": invalid syntax`);
  return Number.parseInt(raw, 10);
}

/** `a:b,c:d` → HTTP headers. */
export function parseHeaders(raw: string | undefined): { name: string; value: string }[] {
  if (raw === undefined) return [];
  return raw.split(',').map((h) => {
    const i = h.indexOf(':');
    if (i === -1) throw new CliError(`could not parse headers: could not find separator in header (${h})`);
    return { name: h.slice(0, i).trim(), value: h.slice(i + 1).trim() };
  });
}

const list: Command = {
  name: 'healthchecks:list',
  summary: 'list healthchecks for an app',
  description: 'Lists healthchecks for an application.',
  options: [
    { ...APP_OPTION, help: 'the uniquely identifiable name of the application.' },
    { long: 'type', value: '<type>', help: 'the procType for which the health check needs to be listed.' },
  ],
  run: (ctx, input) => printHealthchecks(ctx, ctx.app(input), input.opt('type')),
};

const set: Command = {
  name: 'healthchecks:set',
  summary: 'set healthchecks for an app',
  description:
    "Sets healthchecks for an application.\n\nA 'liveness' probe restarts a container that fails it; a 'readiness' probe takes it out of\n" +
    "the router until it passes again. Probes are 'httpGet' (a 200-399 answer on a port passes),\n" +
    "'exec' (a command exiting 0 passes) or 'tcpSocket' (a connection to a port passes).",
  usage: 'healthchecks:set <health-type> <probe-type> [options] [--] <args>...',
  args: [
    { name: 'health-type', help: "the healthcheck type, such as 'liveness' or 'readiness'." },
    { name: 'probe-type', help: "the healthcheck probe type, such as 'httpGet', 'exec' or 'tcpSocket'." },
    {
      name: 'args',
      variadic: true,
      help: "The arguments required for the healthcheck probe. 'exec', accepts a list of arguments;\n    'httpGet' and 'tcpSocket' accept a port number.",
    },
  ],
  options: [
    APP_OPTION,
    {
      long: 'path',
      short: 'p',
      value: '<path>',
      default: '/',
      help: "the relative URL path for 'httpGet' probes.",
    },
    { long: 'type', value: '<type>', help: 'the procType for which the health check needs to be applied.' },
    {
      long: 'headers',
      value: '<headers>...',
      help: "the HTTP headers to send for 'httpGet' probes, separated by commas.",
    },
    {
      long: 'initial-delay-timeout',
      value: '<initial-delay-timeout>',
      default: '50',
      help: 'the initial delay timeout for the probe',
    },
    {
      long: 'timeout-seconds',
      value: '<timeout-seconds>',
      default: '50',
      help: 'the number of seconds after which the probe times out',
    },
    {
      long: 'period-seconds',
      value: '<period-seconds>',
      default: '10',
      help: 'how often (in seconds) to perform the probe',
    },
    {
      long: 'success-threshold',
      value: '<success-threshold>',
      default: '1',
      help: 'minimum consecutive successes for the probe to be considered successful after having failed',
    },
    {
      long: 'failure-threshold',
      value: '<failure-threshold>',
      default: '3',
      help: 'minimum consecutive successes for the probe to be considered failed after having succeeded',
    },
  ],
  async run(ctx, input) {
    const app = ctx.app(input);
    const healthType = input.arg('health-type')!;
    checkHealthType(healthType);
    const procType = input.opt('type') || DEFAULT_PROC_TYPE;
    const args = input.list('args');
    const probe: Probe = {
      initialDelaySeconds: int(input.opt('initial-delay-timeout'), 'initial-delay-timeout'),
      timeoutSeconds: int(input.opt('timeout-seconds'), 'timeout-seconds'),
      periodSeconds: int(input.opt('period-seconds'), 'period-seconds'),
      successThreshold: int(input.opt('success-threshold'), 'success-threshold'),
      failureThreshold: int(input.opt('failure-threshold'), 'failure-threshold'),
    };
    const probeType = input.arg('probe-type');
    if (probeType === 'httpGet') {
      const httpHeaders = parseHeaders(input.opt('headers'));
      probe.httpGet = { path: input.opt('path'), port: port(args[0]) };
      if (httpHeaders.length > 0) probe.httpGet.httpHeaders = httpHeaders;
    } else if (probeType === 'exec') probe.exec = { command: args };
    else if (probeType === 'tcpSocket') probe.tcpSocket = { port: port(args[0]) };
    else throw new CliError('Invalid probe type. Must be one of: "httpGet", "exec"');
    const key = `${healthType}Probe`;
    ctx.out.print(`Applying ${key} healthcheck... `);
    await ctx.out.progress(
      ctx.client().post(`/v2/apps/${app}/config/`, { healthcheck: { [procType]: { [key]: probe } } }),
    );
    ctx.out.print('done\n\n');
    await printHealthchecks(ctx, app, procType);
  },
};

const unset: Command = {
  name: 'healthchecks:unset',
  summary: 'unset healthchecks for an app',
  description: 'Unsets healthchecks for an application.',
  usage: 'healthchecks:unset [options] <health-type>...',
  args: [
    { name: 'health-type', variadic: true, help: "the healthcheck type, such as 'liveness' or 'readiness'." },
  ],
  options: [
    APP_OPTION,
    { long: 'type', value: '<type>', help: 'the procType for which the health check needs to be removed.' },
  ],
  async run(ctx, input) {
    const app = ctx.app(input);
    const procType = input.opt('type') || DEFAULT_PROC_TYPE;
    const types = input.list('health-type');
    types.forEach(checkHealthType);
    const checks = Object.fromEntries(types.map((t) => [`${t}Probe`, null]));
    ctx.out.print('Removing healthchecks... ');
    await ctx.out.progress(
      ctx.client().post(`/v2/apps/${app}/config/`, { healthcheck: { [procType]: checks } }),
    );
    ctx.out.print('done\n\n');
    await printHealthchecks(ctx, app, procType);
  },
};

export const healthchecksTopic: Topic = {
  name: 'healthchecks',
  summary: 'manage healthchecks for applications',
  commands: [list, set, unset],
  defaultCommand: 'healthchecks:list',
};
