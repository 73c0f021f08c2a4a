/**
 * A small docopt-like parser: each command declares its positional arguments and options, and the
 * same declaration yields the parse, the usage line and the `--help` text. Options may appear
 * anywhere before `--`; long options take `--name=value` or `--name value` and unique prefixes.
 */
import { UsageError } from './errors';

export interface OptionSpec {
  long: string;
  short?: string;
  /** The value placeholder (`<app>`); a flag without one is a boolean. */
  value?: string;
  default?: string;
  /** The command cannot run without it (docopt's required options, e.g. `--min=<min>`). */
  required?: boolean;
  help: string;
}

export interface ArgSpec {
  name: string;
  optional?: boolean;
  /** Takes every remaining positional argument (`<args>...`); only the last one may be variadic. */
  variadic?: boolean;
  help?: string;
}

export interface CommandSpec<C> {
  name: string;
  summary: string;
  description: string;
  args?: ArgSpec[];
  options?: OptionSpec[];
  /** The usage pattern after `deis `, when the generated one would not say it right. */
  usage?: string;
  /** Returns the exit code, or nothing for 0. */
  run(ctx: C, input: Input): Promise<number | void>;
}

export class Input {
  constructor(
    private readonly args: Record<string, string | string[] | undefined>,
    private readonly opts: Record<string, string | boolean | undefined>,
  ) {}

  /** A positional argument's value. */
  arg(name: string): string | undefined {
    const v = this.args[name];
    return Array.isArray(v) ? v.join(' ') : v;
  }

  /** A variadic argument's values. */
  list(name: string): string[] {
    const v = this.args[name];
    return Array.isArray(v) ? v : v === undefined ? [] : [v];
  }

  /** A value option (or its default); `undefined` when absent. */
  opt(name: string): string | undefined {
    const v = this.opts[name];
    return typeof v === 'string' ? v : undefined;
  }

  flag(name: string): boolean {
    return this.opts[name] === true;
  }
}

function argPattern(a: ArgSpec): string {
  const core = `<${a.name}>${a.variadic ? '...' : ''}`;
  return a.optional ? `[${core}]` : core;
}

export function usageLine<C>(spec: CommandSpec<C>): string {
  if (spec.usage) return `Usage: deis ${spec.usage}`;
  const parts = [spec.name, ...(spec.args ?? []).map(argPattern)];
  for (const o of spec.options ?? []) if (o.required) parts.push(`--${o.long}=${o.value ?? ''}`);
  if ((spec.options ?? []).some((o) => !o.required)) parts.push('[options]');
  return `Usage: deis ${parts.join(' ')}`;
}

function optionTitle(o: OptionSpec): string {
  const long = `--${o.long}${o.value ? `=${o.value}` : ''}`;
  return o.short ? `-${o.short} ${long}` : long;
}

/** The `deis help <command>` text. */
export function helpText<C>(spec: CommandSpec<C>): string {
  let text = `\n${spec.description}\n\n${usageLine(spec)}\n`;
  const args = spec.args ?? [];
  if (args.length > 0) {
    text += '\nArguments:\n';
    for (const a of args) text += `  <${a.name}>\n    ${a.help ?? ''}\n`;
  }
  const options = spec.options ?? [];
  if (options.length > 0) {
    text += '\nOptions:\n';
    for (const o of options) {
      const dflt = o.default !== undefined ? ` [default: ${o.default}]` : '';
      text += `  ${optionTitle(o)}\n    ${o.help}${dflt}\n`;
    }
  }
  return text;
}

export type ParseResult = { help: true } | { help: false; input: Input };

/** Parses the tokens after the command name. Throws UsageError on anything the spec does not allow. */
export function parseArgs<C>(spec: CommandSpec<C>, argv: string[]): ParseResult {
  const options = spec.options ?? [];
  const fail = (reason: string): never => {
    throw new UsageError(reason, usageLine(spec));
  };
  const opts: Record<string, string | boolean | undefined> = {};
  const positional: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (tok === '-h' || tok === '--help') return { help: true };
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = tok.slice(2, eq === -1 ? undefined : eq);
      const exact = options.find((o) => o.long === name);
      const prefixed = options.filter((o) => o.long.startsWith(name));
      const o = exact ?? (prefixed.length === 1 ? prefixed[0] : undefined);
      if (!o) fail(prefixed.length > 1 ? `--${name} is not a unique prefix` : `Unknown option: --${name}`);
      const spec = o!;
      if (!spec.value) {
        if (eq !== -1) fail(`--${spec.long} must not have an argument`);
        opts[spec.long] = true;
      } else if (eq !== -1) {
        opts[spec.long] = tok.slice(eq + 1);
      } else {
        if (i + 1 >= argv.length) fail(`--${spec.long} requires argument`);
        opts[spec.long] = argv[++i]!;
      }
      continue;
    }
    if (tok.startsWith('-') && tok !== '-') {
      for (let j = 1; j < tok.length; j++) {
        const o = options.find((x) => x.short === tok[j]);
        if (!o) fail(`Unknown option: -${tok[j]}`);
        const spec = o!;
        if (!spec.value) {
          opts[spec.long] = true;
          continue;
        }
        const rest = tok.slice(j + 1);
        if (rest !== '') opts[spec.long] = rest;
        else if (i + 1 < argv.length) opts[spec.long] = argv[++i]!;
        else fail(`-${spec.short} requires argument`);
        break;
      }
      continue;
    }
    positional.push(tok);
  }

  for (const o of options) {
    if (opts[o.long] === undefined && o.default !== undefined) opts[o.long] = o.value ? o.default : true;
    if (o.required && opts[o.long] === undefined) fail(`--${o.long} is required`);
  }

  const args: Record<string, string | string[] | undefined> = {};
  const specs = spec.args ?? [];
  const required = specs.filter((a) => !a.optional).length;
  if (positional.length < required) fail(`Missing argument <${specs.find((a) => !a.optional)!.name}>`);
  let optionalLeft = positional.length - required;
  let p = 0;
  for (const a of specs) {
    if (a.variadic) {
      args[a.name] = positional.slice(p);
      p = positional.length;
      continue;
    }
    if (a.optional) {
      if (optionalLeft <= 0) continue;
      optionalLeft--;
    }
    args[a.name] = positional[p++];
  }
  if (p < positional.length) fail(`Unexpected argument: ${positional[p]}`);
  return { help: false, input: new Input(args, opts) };
}
