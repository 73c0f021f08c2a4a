/** git:* — the app's git remote in the local repository. */
import { APP_OPTION, type Command, type Topic } from '../command';
import { CliError } from '../errors';
import { listRemotes, removeAppRemotes, repositoryUrl, runGit } from '../git';
import { remoteCreated } from './apps';

const remote: Command = {
  name: 'git:remote',
  summary: 'Adds git remote of application to repository',
  description: 'Adds git remote of application to repository',
  options: [
    APP_OPTION,
    { long: 'remote', short: 'r', value: '<remote>', default: 'deis', help: 'name of remote to create.' },
    { long: 'force', short: 'f', help: 'overwrite remote of the given name if it already exists.' },
  ],
  async run(ctx, input) {
    const app = ctx.app(input);
    const name = input.opt('remote')!;
    const client = ctx.client();
    const expected = repositoryUrl(client.controller, app, await ctx.builderPort(client));
    const existing = listRemotes(ctx.cwd).find((r) => r.name === name);
    if (!existing) {
      runGit(['remote', 'add', name, expected], ctx.cwd);
      ctx.out.print(remoteCreated(name, app));
      return;
    }
    if (existing.url === expected) {
      ctx.out.print(`Remote ${name} already exists and is correctly configured for app ${app}.\n`);
      return;
    }
    if (!input.flag('force'))
      throw new CliError(
        `Remote ${name} already exists, please run 'deis git:remote -f' to overwrite\n` +
          `Existing remote URL: ${existing.url}\n` +
          `When forced, will overwrite with: ${expected}`,
      );
    ctx.out.print(`Deleting git remote ${name}.\n`);
    runGit(['remote', 'remove', name], ctx.cwd);
    runGit(['remote', 'add', name, expected], ctx.cwd);
    ctx.out.print(remoteCreated(name, app));
  },
};

const remove: Command = {
  name: 'git:remove',
  summary: 'Removes git remote of application from repository',
  description: 'Removes git remotes of application from repository.',
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    removeAppRemotes(ctx.client().controller, app, ctx.cwd);
    ctx.out.print(`Git remotes for app ${app} removed.\n`);
  },
};

export const gitTopic: Topic = {
  name: 'git',
  summary: 'manage git for applications',
  commands: [remote, remove],
};
