/** perms:* — app collaborators and system administrators (also `deis sharing`). */
import type { AdminPerm } from '../../contract/objects';
import { APP_OPTION, LIMIT_OPTION, type Command, type Topic } from '../command';
import type { Context } from '../context';
import type { Input } from '../args';
import { UsageError } from '../errors';
import { limitCount } from '../output';

const adminOption = (help: string) => ({ long: 'admin', help });

/** docopt's `[-a --app=<app>|--admin]`: one or the other. */
function target(ctx: Context, input: Input, usage: string): { admin: true } | { admin: false; app: string } {
  if (input.flag('admin')) {
    if (input.opt('app') !== undefined) throw new UsageError('--app and --admin cannot be combined', usage);
    return { admin: true };
  }
  return { admin: false, app: ctx.app(input) };
}

const list: Command = {
  name: 'perms:list',
  summary: 'list permissions granted on an app',
  description:
    'Lists all users with permission to use an app, or lists all users with system\nadministrator privileges.',
  usage: 'perms:list [-a --app=<app>|--admin|--admin --limit=<num>]',
  options: [
    {
      ...APP_OPTION,
      help: 'lists all users with permission to <app>. <app> is the uniquely identifiable name\n    for the application.',
    },
    adminOption('lists all users with system administrator privileges.'),
    LIMIT_OPTION,
  ],
  async run(ctx, input) {
    const t = target(ctx, input, 'Usage: deis perms:list [-a --app=<app>|--admin|--admin --limit=<num>]');
    const client = ctx.client();
    if (t.admin) {
      const page = await client.list<AdminPerm>('/v2/admin/perms/', ctx.limit(input));
      ctx.out.print(`=== Administrators${limitCount(page.results.length, page.count)}`);
      for (const u of page.results) ctx.out.println(u.username);
      return;
    }
    const { users } = await client.get<{ users: string[] }>(`/v2/apps/${t.app}/perms/`);
    ctx.out.print(`=== ${t.app}'s Users\n`);
    for (const u of users) ctx.out.println(u);
  },
};

const create: Command = {
  name: 'perms:create',
  summary: 'create a new permission for a user',
  description:
    'Gives another user permission to use an app, or gives another user\nsystem administrator privileges.',
  usage: 'perms:create <username> [-a --app=<app>|--admin]',
  args: [{ name: 'username', help: 'the name of the new user.' }],
  options: [
    {
      ...APP_OPTION,
      help: 'grants <username> permission to use <app>. <app> is the uniquely identifiable name\n    for the application.',
    },
    adminOption('grants <username> system administrator privileges.'),
  ],
  async run(ctx, input) {
    const username = input.arg('username')!;
    const t = target(ctx, input, 'Usage: deis perms:create <username> [-a --app=<app>|--admin]');
    if (t.admin) {
      ctx.out.print(`Adding ${username} to system administrators... `);
      await ctx.client().post('/v2/admin/perms/', { username });
    } else {
      ctx.out.print(`Adding ${username} to ${t.app} collaborators... `);
      await ctx.client().post(`/v2/apps/${t.app}/perms/`, { username });
    }
    ctx.out.println('done');
  },
};

const remove: Command = {
  name: 'perms:delete',
  summary: 'delete a permission for a user',
  description:
    "Revokes another user's permission to use an app, or revokes another user's system\nadministrator privileges.",
  usage: 'perms:delete <username> [-a --app=<app>|--admin]',
  args: [{ name: 'username', help: 'the name of the user.' }],
  options: [
    {
      ...APP_OPTION,
      help: 'revokes <username> permission to use <app>. <app> is the uniquely identifiable name\n    for the application.',
    },
    adminOption('revokes <username> system administrator privileges.'),
  ],
  async run(ctx, input) {
    const username = input.arg('username')!;
    const t = target(ctx, input, 'Usage: deis perms:delete <username> [-a --app=<app>|--admin]');
    if (t.admin) {
      ctx.out.print(`Removing ${username} from system administrators... `);
      await ctx.client().delete(`/v2/admin/perms/${encodeURIComponent(username)}`);
    } else {
      ctx.out.print(`Removing ${username} from ${t.app} collaborators... `);
      await ctx.client().delete(`/v2/apps/${t.app}/perms/${encodeURIComponent(username)}`);
    }
    ctx.out.println('done');
  },
};

export const permsTopic: Topic = {
  name: 'perms',
  summary: 'manage permissions for applications',
  commands: [list, create, remove],
  defaultCommand: 'perms:list',
};
