/** Every topic of the CLI, and the help texts that list them. */
import type { Command, Topic } from './command';
import { activityTopic } from './commands/activity';
import { appsTopic } from './commands/apps';
import { authTopic } from './commands/auth';
import { autoscaleTopic } from './commands/autoscale';
import { buildsTopic } from './commands/builds';
import { certsTopic } from './commands/certs';
import { configTopic } from './commands/config';
import { domainsTopic } from './commands/domains';
import { gitTopic } from './commands/git';
import { healthchecksTopic } from './commands/healthchecks';
import { instanceTopic } from './commands/instance';
import { keysTopic } from './commands/keys';
import { labelsTopic } from './commands/labels';
import { limitsTopic } from './commands/limits';
import { metricsTopic } from './commands/metrics';
import { shortcutsTopic, versionTopic } from './commands/meta';
import { permsTopic } from './commands/perms';
import { psTopic } from './commands/ps';
import { registryTopic } from './commands/registry';
import { releasesTopic } from './commands/releases';
import { servicesTopic } from './commands/services';
import { tagsTopic } from './commands/tags';
import { promoteTopic, targetsTopic } from './commands/targets';
import { tlsTopic } from './commands/tls';
import { maintenanceTopic, routingTopic } from './commands/toggles';
import { usersTopic } from './commands/users';
import { whitelistTopic } from './commands/whitelist';

export const TOPICS: Topic[] = [
  activityTopic,
  appsTopic,
  authTopic,
  autoscaleTopic,
  buildsTopic,
  certsTopic,
  configTopic,
  domainsTopic,
  gitTopic,
  healthchecksTopic,
  instanceTopic,
  keysTopic,
  labelsTopic,
  limitsTopic,
  metricsTopic,
  permsTopic,
  promoteTopic,
  psTopic,
  registryTopic,
  releasesTopic,
  routingTopic,
  maintenanceTopic,
  servicesTopic,
  tagsTopic,
  targetsTopic,
  tlsTopic,
  usersTopic,
  versionTopic,
  whitelistTopic,
  shortcutsTopic,
];

export function findTopic(name: string): Topic | undefined {
  return TOPICS.find((t) => t.name === name);
}

export function findCommand(name: string): Command | undefined {
  for (const t of TOPICS) for (const c of t.commands) if (c.name === name) return c;
  return undefined;
}

/** `Valid commands for apps:` and one line per command. */
export function topicHelp(topic: Topic): string {
  const width = Math.max(...topic.commands.map((c) => c.name.length)) + 4;
  const lines = topic.commands.map((c) => `${c.name.padEnd(width)}${c.summary}`);
  return `\nValid commands for ${topic.name}:\n\n${lines.join('\n')}\n\nUse 'deis help [command]' to learn more.\n`;
}

const SHORTCUT_LINES: [string, string][] = [
  ['create', 'create a new application'],
  ['destroy', 'destroy an application'],
  ['info', 'view information about the current app'],
  ['logs', 'view aggregated log info for the app'],
  ['open', 'open a URL to the app in a browser'],
  ['pull', 'imports an image and deploys as a new release'],
  ['run', 'run a command in an ephemeral app container'],
  ['scale', 'scale processes by type (web=2, worker=1)'],
];

/** `deis help`. */
export function mainHelp(): string {
  const row = (name: string, text: string) => `  ${name.padEnd(14)}${text}`;
  const subcommands = TOPICS.filter((t) => t.name !== 'auth' && t.name !== 'shortcuts').map((t) =>
    row(t.name, t.summary),
  );
  return `
The Deis command-line client issues API calls to a Deis controller.

Usage: deis <command> [<args>...]

Options:
  -h --help
    display help information
  -v --version
    display client version
  -c --config=<config>
    path to configuration file. Equivalent to
    setting $DEIS_PROFILE. Defaults to ~/.deis/config.json.
    If value is not a filepath, will assume location ~/.deis/client.json

Auth commands, use 'deis help auth' to learn more::

${row('register', 'register a new user with a controller')}
${row('login', 'login to a controller')}
${row('logout', 'logout from the current controller')}

Subcommands, use 'deis help [subcommand]' to learn more::

${subcommands.join('\n')}

Shortcut commands, use 'deis shortcuts' to see all::

${SHORTCUT_LINES.map(([n, t]) => row(n, t)).join('\n')}

Use 'git push deis master' to deploy to an application.
`;
}
