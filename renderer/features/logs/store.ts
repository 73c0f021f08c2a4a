/**
 * An app's log: followed live from the core's log stream when it has one; until then, the output
 * of the app's builds. Pausing freezes the view while lines keep arriving; filters are derived.
 */
import { create } from 'zustand';
import { parseLogLine } from '../../../main/contract/log-lines';
import { page, TaskSchema, TaskWithLogSchema } from '../../../main/contract/responses';
import { follow, get, messageOf } from '../../src/api';

export interface LogLine {
  text: string;
  /**
   * The process type the line came from (`web` of `myapp[web.v3.x7r4f]:`), `controller` for the
   * core's own lines (`deis[controller]:`), or `build` for build output.
   */
  type: string;
}

/** live: following the app's processes; builds: the core has no log stream, build output instead. */
export type LogSource = 'connecting' | 'live' | 'builds';

const MAX_LINES = 5_000;
const HISTORY = 300;
const BUILDS_POLL_MS = 3_000;

/** A line in the core's log format (main/contract/log-lines.ts); another line gets `fallback`. */
export function lineOf(text: string, fallback: string): LogLine {
  return { text, type: parseLogLine(text)?.type ?? fallback };
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
  /** How many lines were shown when the user paused; null while following. */
  pausedAt: number | null;
  error: string | null;
  /** Starts following `app`; the returned function stops. */
  start(app: string): () => void;
  setPaused(paused: boolean): void;
}

async function buildLogs(app: string): Promise<LogLine[]> {
  const tasks = await get(`/v2/desktop/tasks/?app=${encodeURIComponent(app)}&kind=build`, page(TaskSchema));
  const latest = tasks.results.slice(0, 5).reverse();
  const logs = await Promise.all(latest.map((t) => get(`/v2/desktop/tasks/${t.id}/`, TaskWithLogSchema)));
  return logs.flatMap((t) => [
    { text: `── ${t.title} (${t.state}) ──`, type: 'build' },
    ...t.log.map((text) => ({ text, type: 'build' })),
  ]);
}

export const useLogs = create<LogsState>((set) => ({
  app: null,
  source: 'connecting',
  lines: [],
  pausedAt: null,
  error: null,

  start(app) {
    set({ app, source: 'connecting', lines: [], pausedAt: null, error: null });
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const pollBuilds = async () => {
      try {
        set({ source: 'builds', lines: await buildLogs(app), error: null });
      } catch (err) {
        set({ error: messageOf(err) });
      }
      if (!abort.signal.aborted) timer = setTimeout(() => void pollBuilds(), BUILDS_POLL_MS);
    };
    // A line without the prefix continues the one before it (a message with newlines in it).
    const onData = (text: string) =>
      set((s) => ({
        lines: [...s.lines.slice(-(MAX_LINES - 1)), lineOf(text, s.lines.at(-1)?.type ?? 'app')],
      }));
    const connect = (history: number) => {
      const onOpen = () => set({ source: 'live', error: null });
      follow(`/v2/desktop/apps/${app}/logs/?log_lines=${history}`, { onOpen, onData }, abort.signal)
        .then((supported) => {
          if (!supported) return pollBuilds();
          // The core closed the stream (it restarted?): follow again, without repeating history.
          if (!abort.signal.aborted) timer = setTimeout(() => connect(0), BUILDS_POLL_MS);
        })
        .catch((err: unknown) => {
          if (!abort.signal.aborted) set({ error: messageOf(err) });
        });
    };
    connect(HISTORY);
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  },

  setPaused: (paused) => set((s) => ({ pausedAt: paused ? s.lines.length : null })),
}));
