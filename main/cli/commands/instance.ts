/**
 * instance:* — a Deis Desktop extension: see, stop and start everything the core runs (the router
 * and the apps), and remove it all from the Docker engine. Changing it is for administrators.
 */
import type { InstanceState, Removed } from '../../contract/instance';
import type { Command, Topic } from '../command';
import { CliError } from '../errors';

const info: Command = {
  name: 'instance:info',
  summary: 'show whether everything Deis Desktop runs is running or stopped',
  description: 'Shows whether the router and the apps of this Deis Desktop are running or stopped.',
  async run(ctx) {
    const s = await ctx.client().get<InstanceState>('/v2/desktop/instance/');
    ctx.out.println(`=== ${s.instance}`);
    ctx.out.println(`state: ${s.state}`);
  },
};

const stop: Command = {
  name: 'instance:stop',
  summary: 'stop the router and every app',
  description:
    'Stops the router and every app. They stay stopped, also when Deis Desktop restarts,\nuntil `deis instance:start`; meanwhile deploys, scaling and `deis run` are refused.',
  async run(ctx) {
    ctx.out.print('Stopping the router and every app... ');
    const s = await ctx.out.progress(ctx.client().post<InstanceState>('/v2/desktop/instance/stop/'));
    ctx.out.println(`done, ${s.instance} is ${s.state}`);
  },
};

const start: Command = {
  name: 'instance:start',
  summary: 'start the router and every app again',
  description: 'Starts the router and brings back every app as its current release says.',
  async run(ctx) {
    ctx.out.print('Starting the router and every app... ');
    const s = await ctx.out.progress(ctx.client().post<InstanceState>('/v2/desktop/instance/start/'));
    ctx.out.println(`done, ${s.instance} is ${s.state}`);
  },
};

const remove: Command = {
  name: 'instance:remove',
  summary: 'stop and remove every container, network, volume and app image',
  description:
    "Stops everything, then removes every container, network and volume of this Deis\nDesktop and the images it built for apps from the Docker engine. The apps, their\nreleases and repositories stay in DEIS_HOME: `deis instance:start` runs them again\nonce pushed again. The router's and the stack's images, shared by every instance\non the engine, stay.",
  options: [
    {
      long: 'confirm',
      value: '<instance>',
      help: 'skips the prompt for the instance name (see `deis instance:info`).',
    },
  ],
  async run(ctx, input) {
    const client = ctx.client();
    const { instance } = await client.get<InstanceState>('/v2/desktop/instance/');
    let confirm = input.opt('confirm');
    if (!confirm) {
      confirm = await ctx.prompt.ask(
        ` !    WARNING: Potentially Destructive Action\n` +
          ` !    This command will stop and remove every container, network, volume and app image of: ${instance}\n` +
          ` !    To proceed, type "${instance}" or re-run this command with --confirm=${instance}\n\n> `,
      );
    }
    if (confirm !== instance)
      throw new CliError(
        `Instance ${instance} does not match confirm ${confirm}, aborting; nothing was removed.`,
      );
    ctx.out.print(`Removing everything of ${instance}... `);
    const r = await ctx.out.progress(client.post<Removed>('/v2/desktop/instance/remove/', { confirm }));
    const { containers, networks, volumes, images } = r.removed;
    ctx.out.println(
      `done: ${containers} containers, ${networks} networks, ${volumes} volumes and ${images} images removed; ${r.instance} is ${r.state}`,
    );
  },
};

export const instanceTopic: Topic = {
  name: 'instance',
  summary: 'stop, start or remove everything Deis Desktop runs',
  commands: [info, stop, start, remove],
  defaultCommand: 'instance:info',
};
