/** tls:* — whether the router redirects an app's HTTP requests to HTTPS. */
import type { TLS } from '../../contract/objects';
import { APP_OPTION, type Command, type Topic } from '../command';

const tlsPath = (app: string) => `/v2/apps/${app}/tls/`;

function enforce(name: string, value: boolean): Command {
  const verb = value ? 'Enabling' : 'Disabling';
  return {
    name,
    summary: `${value ? 'enable' : 'disable'} TLS for an application`,
    description: `${verb} the router's enforcement of https-only requests to an application.`,
    options: [APP_OPTION],
    async run(ctx, input) {
      const app = ctx.app(input);
      ctx.out.print(`${verb} https-only requests for ${app}... `);
      await ctx.out.progress(ctx.client().post(tlsPath(app), { https_enforced: value }));
      ctx.out.println('done');
    },
  };
}

const info: Command = {
  name: 'tls:info',
  summary: "view info about an application's TLS settings",
  description: "Prints info about the current application's TLS settings.",
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const tls = await ctx.client().get<Partial<TLS>>(tlsPath(app));
    const enforced = typeof tls.https_enforced === 'boolean' ? String(tls.https_enforced) : 'not set';
    ctx.out.print(`=== ${app} TLS\nHTTPS Enforced: ${enforced}\n`);
  },
};

export const tlsTopic: Topic = {
  name: 'tls',
  summary: 'manage TLS settings for applications',
  commands: [info, enforce('tls:enable', true), enforce('tls:disable', false)],
  defaultCommand: 'tls:info',
};
