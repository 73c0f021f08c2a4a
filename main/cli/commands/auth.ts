/** auth:* — register, log in and out, change passwords, cancel accounts, regenerate tokens. */
import { controllerString, normalizeController } from '../client';
import type { Command, Topic } from '../command';
import type { Context } from '../context';
import { ApiError, CliError } from '../errors';
import { deleteSettings, DEFAULT_RESPONSE_LIMIT, loadSettings, saveSettings } from '../settings';
import type { User } from '../../contract/objects';

const sslVerifyOption = {
  long: 'ssl-verify',
  value: 'true',
  help: 'enables/disables SSL certificate verification for API requests',
};

async function login(
  ctx: Context,
  controller: string,
  username: string | undefined,
  password: string | undefined,
  sslVerify: boolean,
): Promise<void> {
  const url = normalizeController(controller);
  const client = ctx.newClient(url, '', sslVerify);
  await client.checkConnection();
  const user = username || (await ctx.prompt.ask('username: '));
  let pass = password;
  if (!pass) {
    pass = await ctx.prompt.secret('password: ');
    ctx.out.println();
  }
  const { token } = await client.post<{ token: string }>('/v2/auth/login/', {
    username: user,
    password: pass,
  });
  const file = saveSettings(
    { username: user, sslVerify, controller: controllerString(url), token, limit: DEFAULT_RESPONSE_LIMIT },
    ctx.configFlag,
    ctx.env,
  );
  ctx.out.print(`Logged in as ${user}\n`);
  ctx.out.print(`Configuration file written to ${file}\n`);
}

/** The detail of a 403 when it says more than Deis's generic sentence. */
function refusal(body: string): string | undefined {
  try {
    const detail = (JSON.parse(body) as { detail?: unknown }).detail;
    return typeof detail === 'string' && detail !== '' ? detail : undefined;
  } catch {
    return undefined;
  }
}

const register: Command = {
  name: 'auth:register',
  summary: 'register a new user',
  description: 'Registers a new user with a Deis controller.',
  args: [
    { name: 'controller', help: "fully-qualified controller URI, e.g. 'http://deis.local3.deisapp.com/'" },
  ],
  options: [
    { long: 'username', value: '<username>', help: 'provide a username for the new account.' },
    { long: 'password', value: '<password>', help: 'provide a password for the new account.' },
    { long: 'email', value: '<email>', help: 'provide an email address.' },
    { long: 'login', value: 'true', help: 'logs into the new account after registering.' },
    sslVerifyOption,
  ],
  async run(ctx, input) {
    const controller = input.arg('controller')!;
    const sslVerify = input.opt('ssl-verify') !== 'false';
    const url = normalizeController(controller);
    const client = ctx.newClient(url, '', sslVerify);
    // An admin registering someone on a controller in admin-only mode sends their own token.
    try {
      const existing = loadSettings(ctx.configFlag, ctx.env);
      if (normalizeController(existing.controller).host === url.host) client.token = existing.token;
    } catch {
      /* not logged in: register anonymously */
    }
    await client.checkConnection();
    const username = input.opt('username') || (await ctx.prompt.ask('username: '));
    let password = input.opt('password');
    if (!password) {
      password = await ctx.prompt.secret('password: ');
      const confirm = await ctx.prompt.secret('\npassword (confirm): ');
      ctx.out.println();
      if (password !== confirm) throw new CliError('Password mismatch, aborting registration.');
    }
    const email = input.opt('email') || (await ctx.prompt.ask('email: '));
    try {
      await client.post<User>('/v2/auth/register/', { username, password, email });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      ctx.out.printErr('Registration failed: ');
      // A refusal says why and what to do (log in as the administrator, or open registration).
      if (err.status === 403) throw new CliError(refusal(err.body) ?? err.message);
      throw err;
    }
    ctx.out.print(`Registered ${username}\n`);
    if (input.opt('login') !== 'false') await login(ctx, controller, username, password, sslVerify);
  },
};

const loginCommand: Command = {
  name: 'auth:login',
  summary: 'authenticate against a controller',
  description: 'Logs in by authenticating against a controller.',
  args: [
    { name: 'controller', help: 'a fully-qualified controller URI, e.g. "http://deis.local3.deisapp.com/".' },
  ],
  options: [
    { long: 'username', value: '<username>', help: 'provide a username for the account.' },
    { long: 'password', value: '<password>', help: 'provide a password for the account.' },
    sslVerifyOption,
  ],
  run: (ctx, input) =>
    login(
      ctx,
      input.arg('controller')!,
      input.opt('username'),
      input.opt('password'),
      input.opt('ssl-verify') !== 'false',
    ),
};

const logout: Command = {
  name: 'auth:logout',
  summary: 'clear the current user session',
  description: 'Logs out from a controller and clears the user session.',
  async run(ctx) {
    deleteSettings(ctx.configFlag, ctx.env);
    ctx.out.println('Logged out');
  },
};

const passwd: Command = {
  name: 'auth:passwd',
  summary: 'change the password for the current user',
  description: 'Changes the password for the current user.',
  options: [
    { long: 'password', value: '<password>', help: 'the current password for the account.' },
    { long: 'new-password', value: '<new-password>', help: 'the new password for the account.' },
    { long: 'username', value: '<username>', help: "the account's username." },
  ],
  async run(ctx, input) {
    const client = ctx.client();
    const username = input.opt('username');
    let password = input.opt('password');
    let newPassword = input.opt('new-password');
    if (!password && !username) {
      password = await ctx.prompt.secret('current password: ');
      ctx.out.println();
    }
    if (!newPassword) {
      newPassword = await ctx.prompt.secret('new password: ');
      const confirm = await ctx.prompt.secret('\nnew password (confirm): ');
      ctx.out.println();
      if (newPassword !== confirm) throw new CliError('Password mismatch, not changing.');
    }
    const body: Record<string, string> = { new_password: newPassword };
    if (username) body.username = username;
    if (password) body.password = password;
    try {
      await client.post('/v2/auth/passwd/', body);
    } catch (err) {
      if (err instanceof ApiError) ctx.out.printErr('Password change failed: ');
      throw err;
    }
    ctx.out.println('Password change succeeded.');
  },
};

const whoami: Command = {
  name: 'auth:whoami',
  summary: 'display the current user',
  description: 'Displays the currently logged in user.',
  options: [{ long: 'all', help: 'fetch a more detailed description about the user.' }],
  async run(ctx, input) {
    const s = ctx.settings();
    const client = ctx.client();
    if (!input.flag('all')) {
      ctx.out.print(`You are ${s.username} at ${controllerString(client.controller)}\n`);
      return;
    }
    const u = await client.get<User & { id?: number }>('/v2/auth/whoami/');
    ctx.out.println(
      [
        `ID: ${u.id ?? 0}`,
        `Username: ${u.username}`,
        `Email: ${u.email}`,
        `First Name: ${u.first_name}`,
        `Last Name: ${u.last_name}`,
        `Last Login: ${u.last_login ?? ''}`,
        `Is Superuser: ${u.is_superuser}`,
        `Is Staff: ${u.is_staff}`,
        `Is Active: ${u.is_active}`,
        `Date Joined: ${u.date_joined}`,
      ].join('\n'),
    );
  },
};

const cancel: Command = {
  name: 'auth:cancel',
  summary: 'remove the current user account',
  description: 'Cancels and removes the current account.',
  options: [
    { long: 'username', value: '<username>', help: 'provide a username for the account.' },
    { long: 'password', value: '<password>', help: 'provide a password for the account.' },
    { long: 'yes', help: 'force "yes" when prompted.' },
  ],
  async run(ctx, input) {
    let s = ctx.settings();
    const username = input.opt('username');
    const password = input.opt('password');
    if (!username || password) {
      ctx.out.println('Please log in again in order to cancel this account');
      await login(ctx, s.controller, username, password, s.sslVerify);
      s = loadSettings(ctx.configFlag, ctx.env);
    }
    let yes = input.flag('yes');
    if (!yes) {
      const target = username || s.username;
      const answer = await ctx.prompt.ask(`cancel account ${target} at ${s.controller}? (y/N): `);
      yes = answer.trim().toLowerCase() === 'y';
    }
    if (!yes) {
      ctx.out.printErr('Account not changed\n');
      return;
    }
    const client = ctx.newClient(normalizeController(s.controller), s.token, s.sslVerify);
    await client.delete('/v2/auth/cancel/', username ? { username } : undefined);
    // Cancelling yourself ends your session.
    if (!username || username === s.username) deleteSettings(ctx.configFlag, ctx.env);
    ctx.out.println('Account cancelled');
  },
};

const regenerate: Command = {
  name: 'auth:regenerate',
  summary: 'regenerate user tokens',
  description: 'Regenerates auth token, defaults to regenerating token for the current user.',
  options: [
    {
      long: 'username',
      short: 'u',
      value: '<username>',
      help: 'specify user to regenerate. Requires admin privileges.',
    },
    { long: 'all', help: 'regenerate token for every user. Requires admin privileges.' },
  ],
  async run(ctx, input) {
    const username = input.opt('username');
    const all = input.flag('all');
    const body = all ? { all: true } : username ? { username } : {};
    const { token } = await ctx.client().post<{ token: string }>('/v2/auth/tokens/', body);
    if (!username && !all) saveSettings({ ...ctx.settings(), token }, ctx.configFlag, ctx.env);
    ctx.out.println('Token Regenerated');
  },
};

export const authTopic: Topic = {
  name: 'auth',
  summary: 'manage authentication',
  commands: [register, loginCommand, logout, passwd, whoami, cancel, regenerate],
};
