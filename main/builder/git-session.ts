/**
 * One git service over one SSH channel: takes the push lock, runs the real git-receive-pack or
 * git-upload-pack on the app's bare repo with the channel as its stdio, and cleans up however it ends.
 */
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { ServerChannel } from 'ssh2';
import type { HookBridge } from './bridge';
import type { GitService } from './command';
import { HOOK_ENV } from './hook-script';
import type { PushLocks } from './locks';
import { buildPush } from './prereceive';
import { ensureRepo, installPreReceiveHook, removeStaleQuarantines } from './repo';
import type { Build } from './types';

export interface GitRequest {
  service: GitService;
  app: string;
  /** The app's uuid when the request was authorized: it names the repository. */
  appUuid: string;
  /** The user the request is for (of the holders of the key the client logged in with). */
  user: string;
  /** The client's GIT_PROTOCOL (e.g. `version=2`), passed on so fetches can use protocol v2. */
  gitProtocol: string | undefined;
}

export interface GitSessionDeps {
  /** `<home>/repos`: the repositories, one per app uuid. */
  reposDir: string;
  hookScript: string;
  /** The bash hook and the bash that runs it; without it, the Node hook (`hookScript`) runs. */
  hookBash?: { bash: string; script: string };
  bridge: HookBridge;
  locks: PushLocks;
  build: Build;
  log: (line: string) => void;
}

/** How long a build that ignores its abort signal may hold the push lock after git has gone. */
const BUILD_SETTLE_MS = 10_000;
const KILL_GRACE_MS = 2_000;

/** A pkt-line; git shows `ERR <text>` as `fatal: remote error: <text>`. */
export function pktLine(text: string): string {
  return (Buffer.byteLength(text) + 4).toString(16).padStart(4, '0') + text;
}

/** Refuses a git request the way git clients display best. */
export function refuseGit(channel: ServerChannel, message: string): void {
  channel.write(pktLine(`ERR ${message}\n`));
  channel.exit(1);
  channel.end();
}

/** The child's environment: ours, minus any GIT_* of the core's own process that could misdirect git. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return { ...env, ...extra };
}

/** Stops git and its hook: on POSIX git runs in its own process group, so the hook goes with it. */
function killGroup(child: ChildProcess): void {
  const signal = (name: NodeJS.Signals) => {
    try {
      if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, name);
      else child.kill(name);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), KILL_GRACE_MS);
  child.once('close', () => clearTimeout(timer));
}

function runGit(
  channel: ServerChannel,
  service: GitService,
  repo: string,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<number> {
  return new Promise((resolve) => {
    // On the command line, core.hooksPath beats any config (a user's global one included) that would
    // send git to other hooks and so accept a push without building it.
    const hooks = service === 'git-receive-pack' ? ['-c', `core.hooksPath=${path.join(repo, 'hooks')}`] : [];
    const child = spawn('git', [...hooks, service.slice('git-'.length), repo], {
      env,
      stdio: 'pipe',
      detached: process.platform !== 'win32',
    });
    let settled = false;
    const finish = (code: number) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', kill);
      resolve(code);
    };
    const kill = () => killGroup(child);
    signal.addEventListener('abort', kill, { once: true });
    if (signal.aborted) kill();
    child.stdin.on('error', () => {}); // EPIPE when git exits before reading all the client sent
    channel.pipe(child.stdin);
    child.stdout.pipe(channel, { end: false });
    child.stderr.pipe(channel.stderr, { end: false });
    child.on('error', () => {
      if (!signal.aborted) channel.stderr.write('The builder could not run git; is git installed?\n');
      finish(1);
    });
    child.on('close', (code) => {
      channel.unpipe(child.stdin);
      finish(code ?? 1);
    });
  });
}

/** Serves one git request; resolves when git has exited and any build it started has settled. */
export async function serveGit(
  channel: ServerChannel,
  request: GitRequest,
  deps: GitSessionDeps,
  stopSignal: AbortSignal,
): Promise<void> {
  const { service, app } = request;
  let release: (() => void) | undefined;
  if (service === 'git-receive-pack') {
    release = deps.locks.tryAcquire(app);
    if (!release) {
      refuseGit(channel, 'Another git push is ongoing. Wait for it to finish, then push again.');
      return;
    }
  }
  // The pusher leaving (Ctrl-C, lost connection) or the builder stopping ends everything this push runs.
  const aborted = new AbortController();
  const abort = () => aborted.abort();
  channel.once('close', abort);
  stopSignal.addEventListener('abort', abort, { once: true });
  if (stopSignal.aborted) abort();
  let token: string | undefined;
  let building: Promise<unknown> = Promise.resolve();
  try {
    const repo = await ensureRepo(deps.reposDir, request.appUuid);
    const env: Record<string, string> = {};
    if (request.gitProtocol) env.GIT_PROTOCOL = request.gitProtocol;
    if (service === 'git-receive-pack') {
      // We hold the push lock, so no git-receive-pack runs here: a quarantine left in the repo is one
      // whose push was killed (the core or git stopped hard), and its objects were never accepted.
      const stale = removeStaleQuarantines(repo);
      if (stale.length) deps.log(`builder: removed ${stale.join(', ')} of a killed push to ${app}`);
      installPreReceiveHook(repo);
      const context = {
        app,
        appUuid: request.appUuid,
        user: request.user,
        repo,
        build: deps.build,
        log: deps.log,
      };
      token = deps.bridge.register((call, output, signal) => {
        const result = buildPush(call, output, signal, context);
        building = result.catch(() => {});
        return result;
      }, aborted.signal);
      Object.assign(env, {
        [HOOK_ENV.token]: token,
        [HOOK_ENV.port]: String(deps.bridge.port),
        [HOOK_ENV.node]: process.execPath,
        [HOOK_ENV.script]: deps.hookScript,
        ...(deps.hookBash
          ? { [HOOK_ENV.bash]: deps.hookBash.bash, [HOOK_ENV.bashScript]: deps.hookBash.script }
          : {}),
        // Inside Electron, execPath is the Electron binary; this makes it behave as plain Node.
        ELECTRON_RUN_AS_NODE: '1',
      });
    }
    const code = await runGit(channel, service, repo, childEnv(env), aborted.signal);
    // Git has exited, so its hook has too: the build is done or aborting. One that ignores its abort
    // signal must not hold the lock for ever.
    await settleWithin(building, BUILD_SETTLE_MS, () =>
      deps.log(
        `builder: the build of ${app} did not stop within 10 s of git exiting; releasing the push lock anyway`,
      ),
    );
    if (!aborted.signal.aborted) {
      channel.exit(code);
      channel.end();
    }
  } catch (err) {
    deps.log(
      `builder: ${service} ${app} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    if (!aborted.signal.aborted)
      refuseGit(channel, 'The builder failed; the Deis Desktop log has the details.');
  } finally {
    if (token) deps.bridge.unregister(token);
    stopSignal.removeEventListener('abort', abort);
    channel.off('close', abort);
    release?.();
  }
}

async function settleWithin(work: Promise<unknown>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve();
    }, ms);
  });
  await Promise.race([work, timeout]);
  clearTimeout(timer);
}
