/**
 * Long work the core does (builds, deploys): the event stream keeps every task and its lines current;
 * a view that opens late asks the core for the task's state and log so far.
 */
import { create } from 'zustand';
import type { Task } from '../../../main/contract/tasks';
import { page, TaskEventSchema, TaskSchema, TaskWithLogSchema } from '../../../main/contract/responses';
import { ApiError, currentToken, follow, get, messageOf } from '../../src/api';

interface TasksState {
  tasks: Record<string, Task>;
  logs: Record<string, string[]>;
  /** Newest first, as the core lists them. */
  recent: string[];
  streaming: boolean;
  /** Counts tasks that ended while this window watched, so views can refresh what they changed. */
  finished: number;
  error: string | null;
  connect(): void;
  disconnect(): void;
  loadRecent(filter?: { app?: string; kind?: string }): Promise<Task[]>;
  /** Fetches the task and the lines it has logged so far. */
  watch(id: string): Promise<void>;
}

/** Aborts the stream being read; null when not connected. */
let stream: AbortController | null = null;

/** How long to wait before following the stream again after it ended or failed. */
const RECONNECT_MS = 3000;

export const useTasks = create<TasksState>((set, getState) => {
  const upsert = (task: Task) =>
    set((s) => ({
      // A fetched snapshot can be older than an event that came on the stream meanwhile: a task
      // that ended never goes back to running.
      tasks: {
        ...s.tasks,
        [task.id]: task.state === 'running' && s.tasks[task.id]?.finished ? s.tasks[task.id]! : task,
      },
      recent: s.recent.includes(task.id) ? s.recent : [task.id, ...s.recent],
    }));

  return {
    tasks: {},
    logs: {},
    recent: [],
    streaming: false,
    finished: 0,
    error: null,

    connect() {
      if (stream || !currentToken()) return;
      const abort = new AbortController();
      stream = abort;
      const onData = (data: string) => {
        let json: unknown;
        try {
          json = JSON.parse(data);
        } catch {
          return;
        }
        const parsed = TaskEventSchema.safeParse(json);
        if (!parsed.success) return;
        const event = parsed.data;
        upsert(event.task);
        if (event.type === 'task.log')
          set((s) => ({
            logs: { ...s.logs, [event.task.id]: [...(s.logs[event.task.id] ?? []), event.line] },
          }));
        if (event.type === 'task.succeeded' || event.type === 'task.failed')
          set((s) => ({ finished: s.finished + 1 }));
      };
      // The token goes in the Authorization header (EventSource could only put it in the URL), so
      // the stream is read with fetch, and followed again whenever it ends, until disconnect().
      const loop = async () => {
        while (!abort.signal.aborted) {
          try {
            await follow(
              '/v2/desktop/events/',
              { onOpen: () => set({ streaming: true }), onData },
              abort.signal,
            );
          } catch (err) {
            // A revoked token: the session store signs out; nothing to follow until signed in again.
            if (err instanceof ApiError && err.status === 401) {
              if (stream === abort) stream = null;
              break;
            }
          }
          set({ streaming: false });
          if (!abort.signal.aborted) await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
        }
      };
      void loop();
    },

    disconnect() {
      stream?.abort();
      stream = null;
      set({ streaming: false });
    },

    async loadRecent(filter = {}) {
      const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v) as [string, string][]);
      try {
        const list = await get(`/v2/desktop/tasks/?${query.toString()}`, page(TaskSchema));
        set((s) => {
          const tasks = { ...s.tasks };
          for (const t of list.results) tasks[t.id] = t;
          return { tasks, recent: list.results.map((t) => t.id), error: null };
        });
        return list.results;
      } catch (err) {
        set({ error: messageOf(err) });
        return [];
      }
    },

    async watch(id) {
      const task = await get(`/v2/desktop/tasks/${encodeURIComponent(id)}/`, TaskWithLogSchema);
      const { log, ...rest } = task;
      upsert(rest);
      // Lines that arrived on the stream while this was asked for are already in the fetched log.
      const have = getState().logs[id] ?? [];
      if (log.length >= have.length) set((s) => ({ logs: { ...s.logs, [id]: log } }));
    },
  };
});
