/** apps:* — create, list, destroy and transfer applications (info, open, logs and run live nearby). */
import type { App } from '../../contract/objects';
import { APP_OPTION, LIMIT_OPTION, type Command, type Topic } from '../command';
import { CliError } from '../errors';
import { detectApp, removeAppRemotes, repositoryUrl, runGit } from '../git';
import { limitCount } from '../output';
import { appsInfo, appsOpen } from './apps-info';
import { appsLogs, appsRun } from './apps-logs';

export const remoteCreated = (remote: string, app: string) =>
  `Git remote ${remote} successfully created for app ${app}.\n`;

/** What to say when `git remote add` failed for want of a repository here (or of git itself). */
function noRepository(gitError: string, cwd: string, app: string): string | undefined {
  const later = `\`deis git:remote -a ${app}\``;
  if (/not a git repository/i.test(gitError))
    return (
      `No git remote was added: ${cwd} is not a git repository.\n` +
      `To deploy with git push, run \`git init\` there, then ${later}.\n`
    );
  if (/\bENOENT\b/.test(gitError))
    return `No git remote was added: git is not installed (or not on the PATH).\nInstall it, then run ${later} in the app's repository.\n`;
  return undefined;
}

const create: Command = {
  name: 'apps:create',
  summary: 'create a new application',
  description: 'Creates a new application.\n\n- if no <id> is provided, one will be generated automatically.',
  args: [
    {
      name: 'id',
      optional: true,
      help: 'a uniquely identifiable name for the application. No other app can already\n    exist with this name.',
    },
  ],
  options: [
    { long: 'no-remote', help: "do not create a 'deis' git remote." },
    { long: 'buildpack', short: 'b', value: '<buildpack>', help: 'a buildpack url to use for this app' },
    { long: 'remote', short: 'r', value: '<remote>', default: 'deis', help: 'name of remote to create.' },
    {
      long: 'target',
      value: '<target>',
      help: 'where the app runs: local (the default) or a target of deis targets.',
    },
  ],
  async run(ctx, input) {
    const client = ctx.client();
    const id = input.arg('id');
    const target = input.opt('target');
    ctx.out.print('Creating Application... ');
    const app = await ctx.out.progress(
      client.post<App>('/v2/apps/', { ...(id ? { id } : {}), ...(target ? { target } : {}) }),
    );
    ctx.out.print(`done, created ${app.id}\n`);

    const buildpack = input.opt('buildpack');
    if (buildpack) await client.post(`/v2/apps/${app.id}/config/`, { values: { BUILDPACK_URL: buildpack } });

    const remote = input.opt('remote')!;
    if (input.flag('no-remote')) {
      ctx.out.print(
        `If you want to add a git remote for this app later, use \`deis git:remote -a ${app.id}\`\n`,
      );
      return;
    }
    const url = repositoryUrl(client.controller, app.id, await ctx.builderPort(client));
    try {
      runGit(['remote', 'add', remote, url], ctx.cwd);
    } catch (err) {
      // The app exists now either way: outside a repository that is a note, not a failure.
      const note = err instanceof CliError ? noRepository(err.message, ctx.cwd, app.id) : undefined;
      if (note) {
        ctx.out.print(note);
        return;
      }
      if (err instanceof CliError && new RegExp(`remote ${remote} already exists`).test(err.message))
        throw new CliError(
          `A git remote with the name ${remote} already exists. To overwrite this remote run:\n` +
            `deis git:remote --force --remote ${remote} --app ${app.id}`,
        );
      throw err;
    }
    ctx.out.print(remoteCreated(remote, app.id));
  },
};

const list: Command = {
  name: 'apps:list',
  summary: 'list accessible applications',
  description: 'Lists applications visible to the current user.',
  options: [LIMIT_OPTION],
  async run(ctx, input) {
    const limit = ctx.limit(input);
    const page = await ctx.client().list<App>('/v2/apps/', limit);
    ctx.out.print(`=== Apps${limitCount(page.results.length, page.count)}`);
    for (const app of page.results) ctx.out.println(app.id);
  },
};

const destroy: Command = {
  name: 'apps:destroy',
  summary: 'destroy an application',
  description: 'Destroys an application.',
  options: [
    APP_OPTION,
    {
      long: 'confirm',
      value: '<app>',
      help: 'skips the prompt for the application name. <app> is the uniquely identifiable\n    name for the application.',
    },
  ],
  async run(ctx, input) {
    const client = ctx.client();
    let app = input.opt('app');
    let fromRemote = false;
    if (!app) ({ app, fromRemote } = detectApp(client.controller, ctx.cwd));
    let confirm = input.opt('confirm');
    if (!confirm) {
      confirm = await ctx.prompt.ask(
        ` !    WARNING: Potentially Destructive Action\n` +
          ` !    This command will destroy the application: ${app}\n` +
          ` !    To proceed, type "${app}" or re-run this command with --confirm=${app}\n\n> `,
      );
    }
    if (confirm !== app) throw new CliError(`App ${app} does not match confirm ${confirm}, aborting.`);
    const started = Date.now();
    ctx.out.print(`Destroying ${app}...\n`);
    await client.delete(`/v2/apps/${app}/`);
    ctx.out.print(`done in ${Math.floor((Date.now() - started) / 1000)}s\n`);
    // Only a remote the app was found through is removed; a directory name leaves git alone.
    if (fromRemote) {
      removeAppRemotes(client.controller, app, ctx.cwd);
      ctx.out.print(`Git remotes for app ${app} removed.\n`);
    }
  },
};

const transfer: Command = {
  name: 'apps:transfer',
  summary: 'transfer app ownership to another user',
  description: 'Transfer app ownership to another user.',
  args: [{ name: 'username', help: 'the user that the app will be transferred to.' }],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const username = input.arg('username')!;
    ctx.out.print(`Transferring ${app} to ${username}... `);
    await ctx.client().post(`/v2/apps/${app}/`, { owner: username });
    ctx.out.println('done');
  },
};

export const appsTopic: Topic = {
  name: 'apps',
  summary: 'manage applications used to provide services',
  commands: [create, list, appsInfo, appsOpen, appsLogs, appsRun, destroy, transfer],
  defaultCommand: 'apps:list',
};
