/**
 * Desktop notifications when a build or deploy the signed-in user started ends: the Web
 * Notifications API (Electron's renderer shows them as the system's), off until the user turns them
 * on from a click, which is when the permission is asked for. Driven by the task stream the shell
 * already follows; a click on one brings the window forward on the app's page.
 */
import { create } from 'zustand';
import type { Task } from '../../../main/contract/tasks';
import { hrefOf } from '../../src/route';
import { useSession } from '../session/store';
import { useTasks } from '../tasks/store';

const KEY = 'deis.notifications';
/** Work that ends in a release of the user's code: a git push or a folder deploy. */
const NOTIFIED_KINDS = new Set(['build']);

type Permission = NotificationPermission | 'unsupported';

const permissionNow = (): Permission =>
  typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;

interface NotificationsState {
  /** The user's choice (kept across restarts); notifications also need the permission. */
  wanted: boolean;
  permission: Permission;
  /** Asks for the permission if need be: call it from a click or a key press. */
  enable(): Promise<void>;
  disable(): void;
}

export const useNotifications = create<NotificationsState>((set) => ({
  wanted: localStorage.getItem(KEY) === 'on',
  permission: permissionNow(),
  async enable() {
    if (typeof Notification === 'undefined') return set({ permission: 'unsupported' });
    const permission =
      Notification.permission === 'default'
        ? await Notification.requestPermission()
        : Notification.permission;
    if (permission === 'granted') localStorage.setItem(KEY, 'on');
    set({ permission, wanted: permission === 'granted' });
  },
  disable() {
    localStorage.removeItem(KEY);
    set({ wanted: false });
  },
}));

/** The notification's title and body for a finished task: the app, the release and how it ended. */
export function describeEnd(task: Task): { title: string; body: string } {
  const app = task.app ?? 'the app';
  const release = task.release === null ? '' : ` v${task.release}`;
  if (task.state === 'succeeded')
    return { title: `${app}${release} is deployed`, body: `${task.title} finished.` };
  return {
    title: release ? `${app}${release} failed` : `${task.title} failed`,
    body: task.error ?? 'It failed; the build log says why.',
  };
}

function show(task: Task): void {
  const { title, body } = describeEnd(task);
  const n = new Notification(title, { body, tag: task.id });
  const app = task.app;
  n.onclick = () => {
    window.focus();
    if (app) window.location.hash = hrefOf({ page: 'app', app, tab: 'overview' });
    n.close();
  };
}

/**
 * Follows the tasks store: a build of the signed-in user's that this window saw running and that
 * has now ended is notified once. Answers the function that stops following.
 */
export function notifyFinishedWork(): () => void {
  return useTasks.subscribe((now, before) => {
    if (now.tasks === before.tasks) return;
    const { wanted } = useNotifications.getState();
    const me = useSession.getState().user?.username;
    if (!wanted || permissionNow() !== 'granted' || !me) return;
    for (const task of Object.values(now.tasks)) {
      if (
        task === before.tasks[task.id] ||
        task.state === 'running' ||
        before.tasks[task.id]?.state !== 'running'
      )
        continue;
      if (NOTIFIED_KINDS.has(task.kind) && task.user === me) show(task);
    }
  });
}
