/**
 * Local git: the app's remote URL, finding the app from `git remote -v`, adding and removing remotes.
 * Deis derives the builder from the controller host (`deis.example.com` → `deis-builder.example.com`,
 * port 2222); for an IP address or `localhost` that gives nonsense (`127-builder.0.0.1`), so there the
 * remote uses the controller's own host and the builder port the desktop server reports.
 */
import path from 'node:path';
import { CliError } from './errors';

export const DEFAULT_BUILDER_PORT = 2222;

export interface Remote {
  name: string;
  url: string;
}

/** Runs git in `cwd` and returns its stdout; failures read like the Deis CLI's. */
export function runGit(args: string[], cwd = process.cwd()): string {
  // Built-in modules load when first used: `deis --version` and `deis help` need none of these.
  const res = process
    .getBuiltinModule('node:child_process')
    .spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (res.error) throw new CliError(`Error when running 'git ${args.join(' ')}'\n${res.error.message}`);
  if (res.status !== 0) {
    const stderr = (res.stderr ?? '').trim();
    throw new CliError(`Error when running 'git ${args.join(' ')}'\n${stderr}`.trimEnd());
  }
  return res.stdout;
}

/** The push URLs of `git remote -v` (fetch lines are the same and ignored). */
export function listRemotes(cwd = process.cwd()): Remote[] {
  const out = runGit(['remote', '-v'], cwd);
  const remotes: Remote[] = [];
  for (const line of out.split('\n')) {
    if (!line.endsWith('(push)')) continue;
    const [name, rest] = line.split('\t');
    if (name === undefined || rest === undefined) throw new CliError("Invalid output in 'git remote -v'");
    remotes.push({ name, url: rest.split(' ')[0]! });
  }
  return remotes;
}

/** True for controllers addressed by IP or as `localhost`, where no builder host name can be derived. */
export function isAddressHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return process.getBuiltinModule('node:net').isIP(bare) !== 0 || bare === 'localhost';
}

/** `deis.example.com` → `deis-builder.example.com`. */
export function builderHostname(hostname: string): string {
  const labels = hostname.split('.');
  labels[0] = `${labels[0]}-builder`;
  return labels.join('.');
}

/** The git remote URL of an app on this controller. */
export function repositoryUrl(controller: URL, app: string, builderPort = DEFAULT_BUILDER_PORT): string {
  const host = isAddressHost(controller.hostname)
    ? controller.hostname
    : builderHostname(controller.hostname);
  return `ssh://git@${host}:${builderPort}/${app}.git`;
}

/** The app a remote URL points at, if it points at this controller's builder. */
export function remoteApp(url: string, controller: URL): string | undefined {
  if (isAddressHost(controller.hostname)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    if (parsed.protocol !== 'ssh:' || parsed.hostname !== controller.hostname) return undefined;
    if (!/^\/[^/]+\.git$/.test(parsed.pathname)) return undefined;
  } else if (!url.includes(builderHostname(controller.hostname))) {
    return undefined;
  }
  const last = url.split('/').pop() ?? '';
  return last.split('.')[0];
}

/** The app of the first remote pointing at this controller, else the lower-cased directory name. */
export function detectApp(controller: URL, cwd = process.cwd()): { app: string; fromRemote: boolean } {
  let remotes: Remote[] = [];
  try {
    remotes = listRemotes(cwd);
  } catch {
    // Not a git repository (or no git): the directory name is the app, as in Deis.
  }
  for (const r of remotes) {
    const app = remoteApp(r.url, controller);
    if (app) return { app, fromRemote: true };
  }
  return { app: path.basename(path.resolve(cwd)).toLowerCase(), fromRemote: false };
}

/** Removes every remote pointing at `app` on this controller; errors when there is none. */
export function removeAppRemotes(controller: URL, app: string, cwd = process.cwd()): string[] {
  const names = listRemotes(cwd)
    .filter((r) => remoteApp(r.url, controller) === app)
    .map((r) => r.name);
  if (names.length === 0) throw new CliError("Could not find remote matching app in 'git remote -v'");
  for (const name of names) runGit(['remote', 'remove', name], cwd);
  return names;
}
