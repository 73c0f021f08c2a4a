/**
 * `npm run serve`: the headless core. Also the entry Electron starts in a utilityProcess; there it
 * tells the shell over `process.parentPort` when it is ready (or why it failed) and stops on request.
 */
import type { CoreMessage, ShellMessage } from './contract/ipc';
import { startCore, type Core } from './core';
import { ensureDesktopUser } from './desktop-user';
import { readSettings } from './settings';

/** Electron's port to the parent in a utilityProcess; absent under plain Node. */
interface ParentPort {
  postMessage(message: CoreMessage): void;
  on(event: 'message', listener: (e: { data: ShellMessage }) => void): void;
}
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

/** Every address a user needs, once, at startup. */
function addresses(core: Core, domain: string, ui: boolean): string[] {
  const host = new URL(core.apiUrl).hostname;
  const onCluster = core.settings.target === 'kubernetes';
  const router = onCluster
    ? `http://<app>.${domain} through the router in the cluster (its address is printed when it is ready)`
    : core.settings.routerPort
      ? `http://<app>.${domain}:${core.settings.routerPort}`
      : `http://<app>.${domain}:<port> (the port is printed when the router starts)`;
  return [
    ...(ui
      ? [
          `  UI:         open ${core.apiUrl}/ in a browser (the first user you create there is the administrator)`,
        ]
      : []),
    `  deis CLI:   deis register ${core.apiUrl}   (or deis login ${core.apiUrl})`,
    `  git push:   the builder's SSH on ${host}:${core.builderPort}; remotes are ssh://git@${host}:${core.builderPort}/<app>.git`,
    `              its host key is ${core.builderFingerprint}: ssh shows it on the first push, answer yes if it matches`,
    ...(onCluster
      ? [`  apps:       ${router}`]
      : [
          `  apps:       ${router} (the router)`,
          `  HTTPS:      https://<app>.${domain}:${core.settings.routerTlsPort || '<port>'}, certificates from the local authority ${core.settings.home}/tls/ca.crt (trust it once: README, HTTPS)`,
        ]),
    `  DEIS_HOME:  ${core.settings.home}`,
  ];
}

async function main(): Promise<void> {
  const settings = readSettings();
  const core = await startCore(settings);
  const desktop = settings.desktopUser
    ? await ensureDesktopUser(core.controller, settings.home, core.apiUrl)
    : null;
  console.log(`Deis Desktop core ready: API ${core.apiUrl} (data in ${settings.home})`);
  for (const line of addresses(core, settings.platformDomain ?? 'localhost', !parentPort)) console.log(line);
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`Stopping the core (${why})...`);
    core.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  parentPort?.on('message', (e) => {
    if (e.data.type === 'stop') stop('asked by the desktop app');
  });
  parentPort?.postMessage({
    type: 'ready',
    apiUrl: core.apiUrl,
    builderPort: core.builderPort,
    routerPort: settings.routerPort,
    tokenFile: desktop?.tokenFile ?? null,
    cliProfile: desktop?.cliProfile ?? null,
  });
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`Error: ${message}`);
  parentPort?.postMessage({ type: 'failed', message });
  process.exit(1);
});
