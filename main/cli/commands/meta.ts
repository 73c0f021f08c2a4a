/** shortcuts:list and version: about the CLI itself. */
import type { Command, Topic } from '../command';
import { CLI_VERSION, CLIENT_API_VERSION } from '../version';

/** Short names and what they stand for (Deis's table, minus the never-shipped `deploy`). */
export const SHORTCUTS: Record<string, string> = {
  create: 'apps:create',
  destroy: 'apps:destroy',
  info: 'apps:info',
  login: 'auth:login',
  logout: 'auth:logout',
  logs: 'apps:logs',
  open: 'apps:open',
  passwd: 'auth:passwd',
  pull: 'builds:create',
  register: 'auth:register',
  rollback: 'releases:rollback',
  run: 'apps:run',
  scale: 'ps:scale',
  sharing: 'perms:list',
  'sharing:list': 'perms:list',
  'sharing:add': 'perms:create',
  'sharing:remove': 'perms:delete',
  whoami: 'auth:whoami',
};

const shortcutsList: Command = {
  name: 'shortcuts:list',
  summary: 'list all available shortcuts',
  description: 'Lists all available shortcuts.',
  async run(ctx) {
    const keys = Object.keys(SHORTCUTS).sort();
    ctx.out.println(keys.map((k) => `${k} -> ${SHORTCUTS[k]}\n`).join(''));
  },
};

const version: Command = {
  name: 'version',
  summary: 'display client version',
  description: 'Displays the client version.',
  options: [{ long: 'all', short: 'a', help: 'list version of all components.' }],
  async run(ctx, input) {
    if (!input.flag('all')) {
      ctx.out.println(CLI_VERSION);
      return;
    }
    ctx.out.print(`Workflow CLI Version:            ${CLI_VERSION}\n`);
    ctx.out.print(`Workflow CLI API Version:        ${CLIENT_API_VERSION}\n`);
    const client = ctx.client();
    const reply = await client.send('GET', '/v2/');
    const header = reply.headers['deis_api_version'];
    ctx.out.print(`Workflow Controller API Version: ${(Array.isArray(header) ? header[0] : header) ?? ''}\n`);
  },
};

export const shortcutsTopic: Topic = {
  name: 'shortcuts',
  summary: 'list all available shortcuts',
  commands: [shortcutsList],
  defaultCommand: 'shortcuts:list',
};

export const versionTopic: Topic = {
  name: 'version',
  summary: 'display client version',
  commands: [version],
  defaultCommand: 'version',
};
