/**
 * Long work the user can watch (builds, deploys, cluster boot): a task with an id, named steps with
 * elapsed time, log lines and a final state, pushed as events on the event stream.
 */

export type TaskState = 'running' | 'succeeded' | 'failed';

export interface TaskStep {
  name: string;
  started: string;
  /** Milliseconds the step took; absent while it runs. */
  elapsedMs?: number;
}

export interface Task {
  id: string;
  /** What kind of work: 'build', 'deploy', ... */
  kind: string;
  title: string;
  /** The app it concerns, if any. */
  app: string | null;
  /** Who started it (a git push, a folder deploy); null for the core's own work. */
  user: string | null;
  /** The release it cut, once it has (a deploy that then fails still names it); null otherwise. */
  release: number | null;
  state: TaskState;
  steps: TaskStep[];
  /** The error a person can act on, when failed. */
  error: string | null;
  created: string;
  finished: string | null;
}

export interface TaskWithLog extends Task {
  log: string[];
}

export type TaskEvent =
  | { type: 'task.started'; task: Task }
  | { type: 'task.step'; task: Task; step: TaskStep }
  | { type: 'task.log'; task: Task; line: string }
  | { type: 'task.succeeded'; task: Task }
  | { type: 'task.failed'; task: Task };

/**
 * The tasks of a destroyed app keep its name with this suffix, which no app name can have, so a new
 * app of the same name inherits none of them (see the controller's `Tasks.retireApp`).
 */
export const DESTROYED_APP_SUFFIX = ' (destroyed)';

/** The app a task concerns, and whether that app has been destroyed since; null for no app. */
export function taskApp(task: Pick<Task, 'app'>): { name: string; destroyed: boolean } | null {
  if (task.app === null) return null;
  if (task.app.endsWith(DESTROYED_APP_SUFFIX))
    return { name: task.app.slice(0, -DESTROYED_APP_SUFFIX.length), destroyed: true };
  return { name: task.app, destroyed: false };
}
