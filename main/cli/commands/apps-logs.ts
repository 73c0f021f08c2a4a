/**
 * apps:logs and apps:run: an app's aggregated log (`-f` follows it), and one-off commands with
 * their exit code. On Deis Desktop both stream from the desktop API's server-sent events; against
 * an original Deis controller they use Deis's endpoints.
 */
import { APP_OPTION, type Command } from '../command';
import type { Context } from '../context';
import { ApiError, CliError } from '../errors';
import { readEvents } from '../events';

export const NO_LOGS = `There are currently no log messages. Please check the following things:
1) Logger and fluentd pods are running.
2) The application is writing logs to the logger component by checking that an entry in the ring buffer was created: kubectl logs <logger pod> --namespace=deis
3) Making sure that the container logs were mounted properly into the fluentd pod: kubectl exec <fluentd pod> --namespace=deis ls /var/log/containers`;

/**
 * The log lines in a logs response. The Deis controller answered with Python's repr of the log
 * bytes (`b'line\nline\n'`, with a two-character `\n` between lines), which the Go client unwrapped
 * and split on `\n`; a plain-text body with real newlines is read as well.
 */
export function logLines(body: string): string[] {
  let text = body;
  const m = /^b(['"])([\s\S]*)\1$/.exec(text);
  if (m) text = m[2]!;
  text = text.replace(/(\\n|\r?\n)+$/, '');
  if (text === '') return [];
  return text.split(/\\n|\r?\n/);
}

const COLORS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];

/**
 * On a terminal each line's source (`myapp[web.v3.x7r4f]`, `deis[controller]`, after the time) gets
 * a stable colour per process type, as in Deis; other lines, their first word.
 */
function colorize(line: string): string {
  const m = /^(\S+ )?([a-z0-9-]+\[[^\]\s]+\])(.*)$/s.exec(line) ?? /^()(\S+)(.*)$/s.exec(line);
  if (!m) return line;
  const key = m[2]!.replace(/\.[^\]]*\]$/, ']');
  let hash = 0;
  for (const ch of key) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `${m[1] ?? ''}\x1b[${COLORS[hash % COLORS.length]}m${m[2]}\x1b[0m${m[3]}`;
}

export const appsLogs: Command = {
  name: 'apps:logs',
  summary: 'view aggregated application logs',
  description: 'Retrieves the most recent log events.',
  options: [
    APP_OPTION,
    { long: 'lines', short: 'n', value: '<lines>', help: 'the number of lines to display' },
    { long: 'follow', short: 'f', help: 'keep following the log: print new lines as they are written.' },
  ],
  async run(ctx, input) {
    const app = ctx.app(input);
    const raw = input.opt('lines');
    if (raw !== undefined && !/^-?\d+$/.test(raw))
      throw new CliError(`strconv.Atoi: parsing "${raw}": invalid syntax`);
    const lines = raw === undefined ? -1 : Number.parseInt(raw, 10);
    if (input.flag('follow')) return follow(ctx, app, lines);
    const path = `/v2/apps/${app}/logs${lines > 0 ? `?log_lines=${lines}` : ''}`;
    let body: string;
    try {
      body = (await ctx.client().request('GET', path)).body;
    } catch (err) {
      // Deis shows its "no log messages" help for any failure; who, which app and a refused
      // --lines (more than the log keeps) stay precise here.
      if (err instanceof ApiError && ![400, 401, 403, 404].includes(err.status)) throw new CliError(NO_LOGS);
      throw err;
    }
    const entries = logLines(body);
    if (entries.length === 0) throw new CliError(NO_LOGS);
    for (const line of entries) ctx.out.print(`${ctx.out.isTTY ? colorize(line) : line}\n`);
  },
};

/** The desktop API's streams exist only on Deis Desktop: say so plainly elsewhere. */
async function requireDesktop(ctx: Context, what: string): Promise<void> {
  if (!(await ctx.desktopInfo()))
    throw new CliError(
      `${what} needs a Deis Desktop controller; ${ctx.client().controller.host} is not one.`,
    );
}

/**
 * `deis logs -f`: the recent lines (as many as -n asks, else Deis's 100), then new ones as they
 * are written, until Ctrl-C or the reader closes the pipe (index.ts ends the CLI quietly then).
 */
async function follow(ctx: Context, app: string, lines: number): Promise<number> {
  await requireDesktop(ctx, '`deis logs -f`');
  const query = lines >= 0 ? `?log_lines=${lines}` : '';
  const res = await ctx.client().stream('GET', `/v2/desktop/apps/${app}/logs/${query}`);
  for await (const e of readEvents(res)) {
    if (e.event !== 'message') continue;
    for (const line of e.data.split('\n')) await ctx.out.write(`${ctx.out.isTTY ? colorize(line) : line}\n`);
  }
  throw new CliError('The log stream ended: the controller closed it (was the core stopped?).');
}

interface RunResult {
  exit_code: number;
  output: string;
}

/**
 * A one-off command. On Deis Desktop its output is printed as it comes and its exit code is ours;
 * Ctrl-C or a closed stdout ends the CLI, which closes the request, and the core kills the command.
 */
async function run(ctx: Context, app: string, command: string): Promise<number> {
  ctx.out.print(`Running '${command}'...\n`);
  if (await ctx.desktopInfo()) return runStreaming(ctx, app, command);
  const result = await ctx.client().post<RunResult>(`/v2/apps/${app}/run`, { command });
  if (result.exit_code === 0) ctx.out.print(result.output);
  else ctx.out.printErr(result.output);
  return result.exit_code;
}

async function runStreaming(ctx: Context, app: string, command: string): Promise<number> {
  const res = await ctx.client().stream('POST', `/v2/desktop/apps/${app}/run/`, { command });
  for await (const e of readEvents(res)) {
    const data = parseEventData(e.data);
    if (e.event === 'output' && typeof data?.text === 'string') await ctx.out.write(data.text);
    else if (e.event === 'exit' && typeof data?.exit_code === 'number') return data.exit_code;
    else if (e.event === 'error') throw new CliError(String(data?.detail ?? 'The command could not run.'));
  }
  throw new CliError("The command's output stream ended before its exit code came (was the core stopped?).");
}

function parseEventData(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export const appsRun: Command = {
  name: 'apps:run',
  summary: 'run a command in an ephemeral app container',
  description: 'Runs a command inside an ephemeral app container. Default environment is\n/bin/bash.',
  usage: 'apps:run [options] [--] <command>...',
  args: [{ name: 'command', variadic: true, help: 'the shell command to run inside the container.' }],
  options: [APP_OPTION],
  run: (ctx, input) => run(ctx, ctx.app(input), input.list('command').join(' ')),
};
