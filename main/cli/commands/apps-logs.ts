/** apps:logs and apps:run: an app's aggregated log, and one-off commands with their exit code. */
import { APP_OPTION, type Command } from '../command';
import type { Context } from '../context';
import { ApiError, CliError } from '../errors';

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

/** On a terminal each line's first word (pod or component) gets a stable colour, as in Deis. */
function colorize(line: string): string {
  const m = /^(\S+)(.*)$/.exec(line);
  if (!m) return line;
  let hash = 0;
  for (const ch of m[1]!) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `\x1b[${COLORS[hash % COLORS.length]}m${m[1]}\x1b[0m${m[2]}`;
}

export const appsLogs: Command = {
  name: 'apps:logs',
  summary: 'view aggregated application logs',
  description: 'Retrieves the most recent log events.',
  options: [
    APP_OPTION,
    { long: 'lines', short: 'n', value: '<lines>', help: 'the number of lines to display' },
  ],
  async run(ctx, input) {
    const app = ctx.app(input);
    const raw = input.opt('lines');
    if (raw !== undefined && !/^-?\d+$/.test(raw))
      throw new CliError(`strconv.Atoi: parsing "${raw}": invalid syntax`);
    const lines = raw === undefined ? -1 : Number.parseInt(raw, 10);
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

interface RunResult {
  exit_code: number;
  output: string;
}

async function run(ctx: Context, app: string, command: string): Promise<number> {
  ctx.out.print(`Running '${command}'...\n`);
  const result = await ctx.client().post<RunResult>(`/v2/apps/${app}/run`, { command });
  if (result.exit_code === 0) ctx.out.print(result.output);
  else ctx.out.printErr(result.output);
  return result.exit_code;
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
