/**
 * An app's log: the live tail when the core has a logs endpoint (polled, as `deis logs` reads it);
 * until then, the output of its builds. Filtering by process type and searching are derived.
 */
import { create } from 'zustand';
import { page, TaskWithLogSchema, TaskSchema } from '../../../main/contract/responses';
import { ApiError, get, getText, messageOf } from '../../src/api';

export interface LogLine {
  text: string;
  /** The process type the line came from (`web` of `app[web.1]:`), or `build` for build output. */
  type: string;
}

export type LogSource = 'live' | 'builds' | 'unknown';

const PROC_RE = /^\S*\s*[\w-]*\[([a-z0-9-]+)(?:\.[^\]]*)?\]:/;

export function lineOf(text: string, fallback: string): LogLine {
  return { text, type: PROC_RE.exec(text)?.[1] ?? fallback };
}

export function filterLines(lines: LogLine[], type: string, search: string): LogLine[] {
  const needle = search.toLowerCase();
  return lines.filter(
    (l) => (type === 'all' || l.type === type) && (!needle || l.text.toLowerCase().includes(needle)),
  );
}

interface LogsState {
  app: string | null;
  source: LogSource;
  lines: LogLine[];
  paused: boolean;
  error: string | null;
  refresh(app: string): Promise<void>;
  setPaused(paused: boolean): void;
}

const LOG_LINES = 500;

async function buildLogs(app: string): Promise<LogLine[]> {
  const tasks = await get(`/v2/desktop/tasks/?app=${encodeURIComponent(app)}&kind=build`, page(TaskSchema));
  const latest = tasks.results.slice(0, 5).reverse();
  const logs = await Promise.all(latest.map((t) => get(`/v2/desktop/tasks/${t.id}/`, TaskWithLogSchema)));
  return logs.flatMap((t) => [
    { text: `── ${t.title} (${t.state}) ──`, type: 'build' },
    ...t.log.map((text) => ({ text, type: 'build' })),
  ]);
}

export const useLogs = create<LogsState>((set, getState) => ({
  app: null,
  source: 'unknown',
  lines: [],
  paused: false,
  error: null,

  async refresh(app) {
    if (getState().app !== app) set({ app, lines: [], source: 'unknown' });
    if (getState().paused) return;
    try {
      const text = await getText(`/v2/apps/${app}/logs?log_lines=${LOG_LINES}`);
      const lines = text
        .split('\n')
        .filter(Boolean)
        .map((t) => lineOf(t, 'app'));
      set({ source: 'live', lines, error: null });
    } catch (err) {
      // No logs endpoint (or no logs yet): show what the builds said instead.
      if (err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 503)) {
        try {
          set({ source: 'builds', lines: await buildLogs(app), error: null });
        } catch (inner) {
          set({ error: messageOf(inner) });
        }
      } else set({ error: messageOf(err) });
    }
  },
  setPaused: (paused) => set({ paused }),
}));
