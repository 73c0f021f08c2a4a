/** `npm run serve`: the headless core. Also the entry Electron starts in a utilityProcess. */
import { startCore } from './core';
import { readSettings } from './settings';

async function main(): Promise<void> {
  const settings = readSettings();
  const core = await startCore(settings);
  console.log(`Deis Desktop core ready: API ${core.apiUrl} (data in ${settings.home})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`Stopping the core (${signal})...`);
    core.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`Error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
