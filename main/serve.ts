/**
 * `npm run serve`: the headless core. Also the entry Electron starts in a utilityProcess; there it
 * tells the shell over `process.parentPort` when it is ready (or why it failed) and stops on request.
 */
import type { CoreMessage, ShellMessage } from './contract/ipc';
import { startCore } from './core';
import { ensureDesktopUser } from './desktop-user';
import { readSettings } from './settings';

/** Electron's port to the parent in a utilityProcess; absent under plain Node. */
interface ParentPort {
  postMessage(message: CoreMessage): void;
  on(event: 'message', listener: (e: { data: ShellMessage }) => void): void;
}
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

async function main(): Promise<void> {
  const settings = readSettings();
  const core = await startCore(settings);
  const desktop = settings.desktopUser
    ? await ensureDesktopUser(core.controller, settings.home, core.apiUrl)
    : null;
  console.log(`Deis Desktop core ready: API ${core.apiUrl} (data in ${settings.home})`);
  if (!parentPort) console.log(`The UI: open ${core.apiUrl}/ in a browser.`);
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
