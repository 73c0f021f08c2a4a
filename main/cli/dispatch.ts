/**
 * Routes `deis <command> [<args>...]` as the Deis client did: global `-c`, `-h`, `-v`, `help <cmd>`,
 * shortcuts, `topic` alone meaning its default command, and unknown commands run as `deis-<name>`
 * plugins from PATH. Returns the exit code.
 */
import { helpText, parseArgs } from './args';
import type { Command, Topic } from './command';
import { SHORTCUTS } from './commands/meta';
import { Context } from './context';
import { CliError, UsageError } from './errors';
import { Printer } from './output';
import { findCommand, findTopic, mainHelp, topicHelp } from './topics';

const USAGE = 'Usage: deis <command> [<args>...]';

/** Takes `-c <profile>` / `--config=<profile>` out of argv (never after `--`). */
export function extractConfigFlag(argv: string[]): { config: string | undefined; rest: string[] } {
  let config: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if ((a === '-c' || a === '--config') && i + 1 < argv.length) config = argv[++i];
    else if (a.startsWith('--config=')) config = a.slice('--config='.length);
    else rest.push(a);
  }
  return { config, rest };
}

function noMatch(out: Printer): void {
  out.printErr(`Found no matching command, try 'deis help'\n${USAGE}\n`);
}

/** A `deis-<name>` program from PATH gets the rest of the command line; its exit code is ours. */
function runPlugin(topic: string, argv: string[], out: Printer): number {
  const sub = argv[0]!.startsWith(`${topic}:`) ? [argv[0]!.slice(topic.length + 1)] : [];
  const res = process
    .getBuiltinModule('node:child_process')
    .spawnSync(`deis-${topic}`, [...sub, ...argv.slice(1)], { stdio: 'inherit' });
  if ((res.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    noMatch(out);
    return 1;
  }
  if (res.error) throw new CliError(`deis-${topic}: ${res.error.message}`);
  return res.status ?? 1;
}

async function runCommand(ctx: Context, command: Command, argv: string[]): Promise<number> {
  const parsed = parseArgs(command, argv);
  if (parsed.help) {
    ctx.out.print(helpText(command));
    return 0;
  }
  return (await command.run(ctx, parsed.input)) ?? 0;
}

async function route(ctx: Context, topic: Topic, argv: string[]): Promise<number> {
  const exact = findCommand(argv[0]!);
  if (exact) return runCommand(ctx, exact, argv.slice(1));
  if (argv[1] === '-h' || argv[1] === '--help') {
    ctx.out.print(topicHelp(topic));
    return 0;
  }
  if (argv[0] === topic.name) {
    const dflt = topic.defaultCommand ? findCommand(topic.defaultCommand) : undefined;
    if (dflt) return runCommand(ctx, dflt, argv.slice(1));
    ctx.out.print(topicHelp(topic));
    return 0;
  }
  // A known topic with an unknown action: Deis printed its hint and exited 0; so do we.
  noMatch(ctx.out);
  return 0;
}

export async function dispatch(
  rawArgv: string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  out = new Printer(),
): Promise<number> {
  const { config, rest } = extractConfigFlag(rawArgv);
  let argv = rest;
  if (argv.length === 1 && (argv[0] === '-h' || argv[0] === '--help')) argv = ['help'];
  if (argv.length === 1 && (argv[0] === '-v' || argv[0] === '--version')) argv = ['version'];
  if (argv.length > 1 && ['help', '-h', '--help'].includes(argv[0]!)) argv = [...argv.slice(1), '--help'];
  if (argv.length === 0) {
    out.printErr(`${USAGE}\n`);
    return 1;
  }
  argv[0] = SHORTCUTS[argv[0]!] ?? argv[0]!;
  const topicName = argv[0]!.split(':')[0]!;
  if (topicName === 'help') {
    out.print(mainHelp());
    return 0;
  }
  const ctx = new Context(config, env, cwd, out);
  try {
    const topic = findTopic(topicName);
    if (!topic) return runPlugin(topicName, argv, out);
    return await route(ctx, topic, argv);
  } catch (err) {
    if (err instanceof UsageError) {
      out.printErr(`${err.reason}\n${err.usage}\n`);
      return 1;
    }
    if (err instanceof CliError) {
      out.printErr(`Error: ${err.message}\n`);
      return err.exitCode;
    }
    // A bug: say so plainly, with the detail only when asked for.
    out.printErr(`Error: ${(err as Error)?.message ?? String(err)}\n`);
    if (env.DEIS_DEBUG) out.printErr(`${(err as Error)?.stack ?? ''}\n`);
    return 1;
  }
}
