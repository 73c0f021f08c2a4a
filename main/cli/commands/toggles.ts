/** maintenance:* and routing:* — the two on/off switches in an app's settings. */
import type { AppSettings } from '../../contract/objects';
import { APP_OPTION, type Command, type Topic } from '../command';

const settingsPath = (app: string) => `/v2/apps/${app}/settings/`;

function toggle(
  name: string,
  summary: string,
  setting: 'maintenance' | 'routable',
  value: boolean,
  verb: string,
): Command {
  return {
    name,
    summary,
    description: `${summary[0]!.toUpperCase()}${summary.slice(1)}.`,
    options: [APP_OPTION],
    async run(ctx, input) {
      const app = ctx.app(input);
      ctx.out.print(`${verb} for ${app}... `);
      await ctx.out.progress(ctx.client().post(settingsPath(app), { [setting]: value }));
      ctx.out.println('done');
    },
  };
}

export const maintenanceTopic: Topic = {
  name: 'maintenance',
  summary: 'manage maintenance mode of an application',
  commands: [
    {
      name: 'maintenance:info',
      summary: 'show maintenance mode of an app',
      description: 'Prints info about the current maintenance status.',
      options: [APP_OPTION],
      async run(ctx, input) {
        const s = await ctx.client().get<AppSettings>(settingsPath(ctx.app(input)));
        ctx.out.println(s.maintenance ? 'Maintenance mode is on.' : 'Maintenance mode is off.');
      },
    },
    toggle(
      'maintenance:on',
      'enable maintenance mode for an app',
      'maintenance',
      true,
      'Enabling maintenance mode',
    ),
    toggle(
      'maintenance:off',
      'disable maintenance mode for an app',
      'maintenance',
      false,
      'Disabling maintenance mode',
    ),
  ],
  defaultCommand: 'maintenance:info',
};

export const routingTopic: Topic = {
  name: 'routing',
  summary: 'manage routability of an application',
  commands: [
    {
      name: 'routing:info',
      summary: 'view routability of an application',
      description: "Prints info about the current application's routability.",
      options: [APP_OPTION],
      async run(ctx, input) {
        const s = await ctx.client().get<AppSettings>(settingsPath(ctx.app(input)));
        // An app whose settings do not say is routable, as in Deis.
        ctx.out.println(s.routable === false ? 'Routing is disabled.' : 'Routing is enabled.');
      },
    },
    toggle('routing:enable', 'make an application routable', 'routable', true, 'Enabling routing'),
    toggle('routing:disable', 'make an application unroutable', 'routable', false, 'Disabling routing'),
  ],
  defaultCommand: 'routing:info',
};
