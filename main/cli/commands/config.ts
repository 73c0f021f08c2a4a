/** config:* — list, set, unset, pull and push an app's environment variables. */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../contract/objects';
import { APP_OPTION, type Command, type Topic } from '../command';
import type { Context } from '../context';
import { CliError } from '../errors';
import { encodeSshKey, envLines, formatEnv, parseConfigPairs } from '../env-file';
import { prettyTabs } from '../output';

const configPath = (app: string) => `/v2/apps/${app}/config/`;

const stringify = (values: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(values ?? {}).map(([k, v]) => [k, String(v)]));

async function printConfig(ctx: Context, app: string, format: 'table' | 'oneline' | 'diff'): Promise<void> {
  const config = await ctx.client().get<Config>(configPath(app));
  const values = stringify(config.values);
  const keys = Object.keys(values).sort();
  if (format === 'oneline') {
    if (keys.length > 0) ctx.out.print(`${keys.map((k) => `${k}=${values[k]}`).join(' ')}\n`);
  } else if (format === 'diff') {
    ctx.out.print(keys.map((k) => `${k}=${values[k]}\n`).join(''));
  } else {
    ctx.out.print(`=== ${app} Config\n${prettyTabs(values, 6)}`);
  }
}

/** config:set's work, shared with config:push. */
async function setConfig(ctx: Context, app: string, pairs: string[]): Promise<void> {
  const values = parseConfigPairs(pairs);
  if (values.SSH_KEY !== undefined) values.SSH_KEY = encodeSshKey(values.SSH_KEY);
  for (const key of Object.keys(values)) {
    if (key.includes('HEALTHCHECK_'))
      ctx.out.println(`Hey there! We've noticed that you're using 'deis config:set HEALTHCHECK_URL'
to set up healthchecks. This functionality has been deprecated. In the future, please use
'deis healthchecks' to set up application health checks. Thanks!`);
  }
  ctx.out.print('Creating config... ');
  const config = await ctx.out.progress(ctx.client().post<Config>(configPath(app), { values }));
  const release = config?.values?.WORKFLOW_RELEASE;
  ctx.out.print(release !== undefined ? `done, ${release}\n\n` : 'done\n\n');
  await printConfig(ctx, app, 'table');
}

const list: Command = {
  name: 'config:list',
  summary: 'list environment variables for an app',
  description: 'Lists environment variables for an application.',
  options: [
    { long: 'oneline', help: 'print output on one line.' },
    { long: 'diff', help: 'print output on multiple lines for comparison against .env files.' },
    { ...APP_OPTION, help: 'the uniquely identifiable name of the application.' },
  ],
  run: (ctx, input) =>
    printConfig(
      ctx,
      ctx.app(input),
      input.flag('oneline') ? 'oneline' : input.flag('diff') ? 'diff' : 'table',
    ),
};

const set: Command = {
  name: 'config:set',
  summary: 'set environment variables for an app',
  description: 'Sets environment variables for an application.',
  args: [{ name: 'var>=<value', variadic: true, help: 'the environment variable and its value.' }],
  options: [APP_OPTION],
  run: (ctx, input) => setConfig(ctx, ctx.app(input), input.list('var>=<value')),
};

const unset: Command = {
  name: 'config:unset',
  summary: 'unset environment variables for an app',
  description: 'Unsets an environment variable for an application.',
  args: [{ name: 'key', variadic: true, help: "the variable to remove from the application's environment." }],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const values = Object.fromEntries(input.list('key').map((k) => [k, null]));
    ctx.out.print('Removing config... ');
    await ctx.out.progress(ctx.client().post(configPath(app), { values }));
    ctx.out.print('done\n\n');
    await printConfig(ctx, app, 'table');
  },
};

const pull: Command = {
  name: 'config:pull',
  summary: 'extract environment variables to .env',
  description:
    "Extract all environment variables from an application for local use.\n\nThe environmental variables can be piped into a file, 'deis config:pull > file',\nor stored locally in a file named .env. This file can be\nread by foreman to load the local environment for your app.",
  options: [
    { ...APP_OPTION, help: 'The application that you wish to pull from' },
    { long: 'interactive', short: 'i', help: 'Prompts for each value to be overwritten' },
    { long: 'overwrite', short: 'o', help: 'Allows you to have the pull overwrite keys in .env' },
  ],
  async run(ctx, input) {
    const app = ctx.app(input);
    const remote = stringify((await ctx.client().get<Config>(configPath(app))).values);
    if (!ctx.out.isTTY) {
      ctx.out.print(formatEnv(remote));
      return;
    }
    const file = path.join(ctx.cwd, '.env');
    if (!input.flag('overwrite') && fs.existsSync(file))
      throw new CliError('.env already exists, pass -o to overwrite');
    let values = remote;
    if (input.flag('interactive')) {
      values = parseConfigPairs(envLines(fs.readFileSync(file, 'utf8')));
      for (const [key, value] of Object.entries(remote)) {
        const local = values[key];
        if (local === undefined) values[key] = value;
        else if (local !== value) {
          const answer = await ctx.prompt.ask(`${key}: overwrite ${local} with ${value}? (y/N) `);
          if (answer.trim().toLowerCase() === 'y') values[key] = value;
        }
      }
    }
    // The file holds secrets: readable by the user only (Deis wrote it 0755).
    fs.writeFileSync(file, formatEnv(values), { mode: 0o600 });
  },
};

/** Piped stdin (a pipe, or a non-empty file) is read unless a path was given. */
function readStdinIfPiped(): string | undefined {
  try {
    const stat = fs.fstatSync(0);
    // Node gives child processes socket pairs, not FIFOs, as pipes.
    if (stat.isFIFO() || stat.isSocket() || (stat.isFile() && stat.size > 0))
      return fs.readFileSync(0, 'utf8');
  } catch {
    /* no stdin */
  }
  return undefined;
}

const push: Command = {
  name: 'config:push',
  summary: 'set environment variables from .env',
  description:
    "Sets environment variables for an application.\n\nThis file can be read by foreman\nto load the local environment for your app. The file should be piped via\nstdin, 'deis config:push < .env', or using the --path option.",
  options: [
    APP_OPTION,
    {
      long: 'path',
      short: 'p',
      value: '<path>',
      help: 'a path leading to an environment file [default: .env]',
    },
  ],
  async run(ctx, input) {
    const app = ctx.app(input);
    const given = input.opt('path');
    // An empty pipe (a script's stdin) falls back to .env rather than pushing nothing.
    let text = given === undefined ? readStdinIfPiped() : undefined;
    if (!text) {
      const file = path.resolve(ctx.cwd, given ?? '.env');
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new CliError(
          `open ${given ?? '.env'}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
        );
      }
    }
    await setConfig(ctx, app, envLines(text));
  },
};

export const configTopic: Topic = {
  name: 'config',
  summary: 'manage environment variables that define app config',
  commands: [list, set, unset, pull, push],
  defaultCommand: 'config:list',
};
