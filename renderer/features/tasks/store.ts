/**
 * Long work the core does (builds, deploys): the event stream keeps every task and its lines current;
 * a view that opens late asks the core for the task's state and log so far.
 */
import { create } from 'zustand';
import type { Task } from '../../../main/contract/tasks';
import { page, TaskEventSchema, TaskSchema, TaskWithLogSchema } from '../../../main/contract/responses';
import { currentToken, get, messageOf } from '../../src/api';
import { notify } from '../../src/native';

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

let source: EventSource | null = null;

export const useTasks = create<TasksState>((set, getState) => {
  const upsert = (task: Task) =>
    set((s) => ({
      tasks: { ...s.tasks, [task.id]: task },
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
      const token = currentToken();
      if (source || !token) return;
      source = new EventSource(`/v2/desktop/events?token=${encodeURIComponent(token)}`);
      source.onopen = () => set({ streaming: true });
      source.onerror = () => set({ streaming: false });
      const onEvent = (e: MessageEvent<string>) => {
        const parsed = TaskEventSchema.safeParse(JSON.parse(e.data));
        if (!parsed.success) return;
        const event = parsed.data;
        upsert(event.task);
        if (event.type === 'task.log')
          set((s) => ({
            logs: { ...s.logs, [event.task.id]: [...(s.logs[event.task.id] ?? []), event.line] },
          }));
        if (event.type === 'task.succeeded') notify(event.task.title, 'Done.');
        if (event.type === 'task.failed') notify(event.task.title, event.task.error ?? 'Failed.');
        if (event.type === 'task.succeeded' || event.type === 'task.failed')
          set((s) => ({ finished: s.finished + 1 }));
      };
      for (const type of ['task.started', 'task.step', 'task.log', 'task.succeeded', 'task.failed'])
        source.addEventListener(type, onEvent as EventListener);
    },

    disconnect() {
      source?.close();
      source = null;
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
