/**
 * The task the core starts for long target work (adding, testing) is known only once the request
 * that runs it answers; while it runs, it is found by its title among the target tasks that were not
 * there before, so its steps can be watched live.
 */
import { useEffect, useRef, useState } from 'react';
import { page, TaskSchema } from '../../../main/contract/responses';
import { get } from '../../src/api';

/** How often the task list is asked for while the request runs. */
const POLL_MS = 700;

export async function targetTaskIds(): Promise<Set<string>> {
  const list = await get('/v2/desktop/tasks/?kind=target', page(TaskSchema)).catch(() => null);
  return new Set(list?.results.map((t) => t.id) ?? []);
}

/**
 * The id of a task titled `title` that is not in `before`. Once the request has `settled`, it is
 * looked for once more and then no longer (a request refused before its task started has none).
 */
export function useNewTask(
  title: string | null,
  before: Set<string> | null,
  settled: boolean,
): string | null {
  const [found, setFound] = useState<string | null>(null);
  const done = useRef(settled);
  done.current = settled;
  useEffect(() => {
    setFound(null);
    if (!title || !before) return;
    let stopped = false;
    const look = async () => {
      while (!stopped) {
        const list = await get('/v2/desktop/tasks/?kind=target', page(TaskSchema)).catch(() => null);
        const task = list?.results.find((t) => t.title === title && !before.has(t.id));
        if (task) {
          if (!stopped) setFound(task.id);
          return;
        }
        if (done.current) return;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    };
    void look();
    return () => {
      stopped = true;
    };
  }, [title, before]);
  return found;
}
