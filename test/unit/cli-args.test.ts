import { describe, expect, it } from 'vitest';
import { helpText, parseArgs, usageLine, type CommandSpec } from '../../main/cli/args';
import { UsageError } from '../../main/cli/errors';

const create: CommandSpec<unknown> = {
  name: 'apps:create',
  summary: 'create a new application',
  description: 'Creates a new application.',
  args: [{ name: 'id', optional: true, help: 'the app id' }],
  options: [
    { long: 'app', short: 'a', value: '<app>', help: 'the app' },
    { long: 'no-remote', help: 'no remote' },
    { long: 'remote', short: 'r', value: '<remote>', default: 'deis', help: 'remote name' },
    { long: 'buildpack', short: 'b', value: '<buildpack>', help: 'buildpack' },
  ],
  run: async () => {},
};

const run: CommandSpec<unknown> = {
  name: 'apps:run',
  summary: 'run',
  description: 'Runs a command.',
  args: [{ name: 'command', variadic: true }],
  options: [{ long: 'app', short: 'a', value: '<app>', help: 'the app' }],
  run: async () => {},
};

function input(spec: CommandSpec<unknown>, argv: string[]) {
  const r = parseArgs(spec, argv);
  if (r.help) throw new Error('unexpected help');
  return r.input;
}

describe('the docopt-like argument parser', () => {
  it('reads positional arguments, flags, defaults and both long-option spellings', () => {
    const i = input(create, ['myapp', '--no-remote', '--buildpack=https://x/y.git']);
    expect(i.arg('id')).toBe('myapp');
    expect(i.flag('no-remote')).toBe(true);
    expect(i.opt('buildpack')).toBe('https://x/y.git');
    expect(i.opt('remote')).toBe('deis');
    expect(input(create, ['-r', 'other']).opt('remote')).toBe('other');
    expect(input(create, ['--remote', 'other']).opt('remote')).toBe('other');
    expect(input(create, ['-rother']).opt('remote')).toBe('other');
    expect(input(create, ['--buildp=u']).opt('buildpack')).toBe('u');
  });

  it('lets options come before or after arguments, and keeps everything after -- as arguments', () => {
    expect(input(run, ['-a', 'foo', 'ls']).arg('command')).toBe('ls');
    const i = input(run, ['--app=foo', '--', 'ls', '-la', '--app', 'x']);
    expect(i.opt('app')).toBe('foo');
    expect(i.list('command')).toEqual(['ls', '-la', '--app', 'x']);
  });

  it('asks for help on -h/--help before --, but not after it', () => {
    expect(parseArgs(create, ['--help']).help).toBe(true);
    expect(parseArgs(run, ['-h']).help).toBe(true);
    expect(parseArgs(run, ['--', 'grep', '-h']).help).toBe(false);
  });

  it('rejects unknown options, missing values, missing and extra arguments with the usage line', () => {
    const bad = [['--bogus'], ['-x'], ['--remote'], ['--no-remote=yes'], ['a', 'b']];
    for (const argv of bad) {
      expect(() => parseArgs(create, argv)).toThrow(UsageError);
    }
    expect(() => parseArgs(run, [])).toThrow(/Missing argument <command>/);
    try {
      parseArgs(create, ['--bogus']);
    } catch (err) {
      expect((err as UsageError).usage).toBe('Usage: deis apps:create [<id>] [options]');
    }
  });

  it('prints help with the usage, arguments and options (with defaults)', () => {
    expect(usageLine(run)).toBe('Usage: deis apps:run <command>... [options]');
    const text = helpText(create);
    expect(text).toContain('Usage: deis apps:create [<id>] [options]');
    expect(text).toContain('  -r --remote=<remote>\n    remote name [default: deis]');
    expect(text).toContain('  --no-remote\n    no remote');
  });
});
