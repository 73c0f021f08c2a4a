/** How times, durations and URLs read in the UI. */

/** "3 min ago" for a Deis timestamp (UTC, `YYYY-MM-DDTHH:MM:SSZ`). */
export function ago(timestamp: string, now = Date.now()): string {
  const then = Date.parse(timestamp);
  if (Number.isNaN(then)) return timestamp;
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return new Date(then).toLocaleDateString();
}

export function elapsed(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * The app's address on the local router, as Deis names it: `<app>.<domain>`; null while no router
 * listens (the core reports port 0).
 */
export const appUrl = (app: string, routerPort: number): string | null =>
  routerPort ? `http://${app}.localhost${routerPort === 80 ? '' : `:${routerPort}`}` : null;

export const gitRemote = (app: string, builderPort: number): string =>
  `ssh://git@127.0.0.1:${builderPort}/${app}.git`;
