/** Starts the builder: the SSH git server, the hook bridge its pushes call back into, and their cleanup. */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { HookBridge } from './bridge';
import { serveGit } from './git-session';
import { findBash, PRE_RECEIVE_BASH, PRE_RECEIVE_JS } from './hook-script';
import { loadOrCreateHostKey } from './hostkey';
import { PushLocks } from './locks';
import { removeStaleQuarantines, repoKeys, repoPath, REPOS_DIR } from './repo';
import { createSshServer } from './sshd';
import type { Builder, BuilderOptions } from './types';

export type * from './types';
export { fingerprintMd5 } from './auth';

const STOP_GRACE_MS = 2_000;

export async function startBuilder(options: BuilderOptions): Promise<Builder> {
  const builderDir = path.join(options.home, 'builder');
  const hostKey = loadOrCreateHostKey(builderDir);
  const hookScript = path.join(builderDir, 'pre-receive.cjs');
  fs.writeFileSync(hookScript, PRE_RECEIVE_JS);
  const hookBash = path.join(builderDir, 'pre-receive.bash');
  fs.writeFileSync(hookBash, PRE_RECEIVE_BASH);

  const reposDir = path.join(options.home, REPOS_DIR);
  // Nothing pushes yet: what a killed push left in any repo can go.
  for (const key of repoKeys(reposDir)) {
    const stale = removeStaleQuarantines(repoPath(reposDir, key));
    if (stale.length) options.log(`builder: removed ${stale.join(', ')} of a killed push to ${key}.git`);
  }

  const bridge = new HookBridge(options.log);
  await bridge.listen();
  const stopping = new AbortController();
  const running = new Set<Promise<void>>();
  const deps = {
    reposDir,
    hookScript,
    hookBash: findBash() ? { bash: findBash()!, script: hookBash } : undefined,
    bridge,
    locks: options.locks ?? new PushLocks(),
    build: options.build,
    log: options.log,
  };
  const { server, closeAll, counts } = createSshServer({
    hostKey,
    lookupKey: options.lookupKey,
    authorize: options.authorize,
    log: options.log,
    limits: options.limits,
    serveGit: (channel, request) => {
      const work = serveGit(channel, request, deps, stopping.signal);
      running.add(work);
      return work.finally(() => running.delete(work));
    },
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await bridge.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new Error(
        `Port ${options.port} is in use by another program; set DEIS_BUILDER_PORT to a free port.`,
      );
    throw err;
  }
  server.on('error', (err: Error) => options.log(`builder: ssh server: ${err.message}`));

  let stopped: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    connections: counts,
    stop: () =>
      (stopped ??= (async () => {
        stopping.abort();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        closeAll();
        await Promise.all(running);
        await bridge.close();
        // A client that ignores our disconnect must not hold up the core's shutdown.
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)));
        await Promise.race([closed, late]);
        clearTimeout(timer);
      })()),
  };
}
