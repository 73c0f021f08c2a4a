/** The apps the user can reach, each with its current release and processes; create, deploy, destroy. */
import { create } from 'zustand';
import { APP_ID_MESSAGE, APP_ID_RE } from '../../../main/contract/apps';
import type { App, Release } from '../../../main/contract/objects';
import {
  AppSchema,
  page,
  PodSchema,
  ReleaseSchema,
  TaskSchema,
  type PodInfo,
} from '../../../main/contract/responses';
import { get, messageOf, post, send } from '../../src/api';

export interface AppSummary {
  app: App;
  release: Release | null;
  /** null when the core cannot list processes (no run stage yet, or it failed). */
  pods: PodInfo[] | null;
}

/** The Deis app-name rule, as the user types; an empty name lets the core pick one. */
export function appNameProblem(name: string): string | null {
  if (name === '') return null;
  return APP_ID_RE.test(name) ? null : APP_ID_MESSAGE;
}

/** What a person would call the app's state. */
export function appState(s: AppSummary): { label: string; tone: 'ok' | 'bad' | 'busy' | 'muted' } {
  if (!s.release || s.release.build === null) return { label: 'waiting for code', tone: 'muted' };
  if (s.release.failed) return { label: `v${s.release.version} failed`, tone: 'bad' };
  const wanted = Object.values(s.app.structure).reduce((a, b) => a + b, 0);
  if (s.pods === null) return { label: 'released', tone: 'ok' };
  const up = s.pods.filter((p) => p.state === 'up').length;
  if (s.pods.some((p) => p.state === 'crashed' || p.state === 'error'))
    return { label: 'crashing', tone: 'bad' };
  // An empty formation means nothing was ever scheduled; zeros mean the user scaled it down.
  if (Object.keys(s.app.structure).length === 0) return { label: 'released', tone: 'ok' };
  if (wanted === 0) return { label: 'scaled to zero', tone: 'muted' };
  if (up < wanted) return { label: `starting ${up}/${wanted}`, tone: 'busy' };
  return { label: 'running', tone: 'ok' };
}

interface AppsState {
  apps: AppSummary[];
  loading: boolean;
  error: string | null;
  load(): Promise<void>;
  /** Creates the app (on `target`, default local) and answers its id (the core's pick when `name` is empty). */
  create(name: string, target?: string): Promise<string>;
  /** Starts deploying a local folder; answers the task that does it. */
  deploy(app: string, path: string): Promise<string>;
  destroy(app: string): Promise<void>;
}

async function summarize(app: App): Promise<AppSummary> {
  const [releases, pods] = await Promise.all([
    get(`/v2/apps/${app.id}/releases/?limit=1`, page(ReleaseSchema)).catch(() => null),
    get(`/v2/apps/${app.id}/pods/`, page(PodSchema)).catch(() => null),
  ]);
  return { app, release: releases?.results[0] ?? null, pods: pods?.results ?? null };
}

export const useApps = create<AppsState>((set, getState) => ({
  apps: [],
  loading: false,
  error: null,

  async load() {
    set({ loading: true });
    try {
      const list = await get('/v2/apps/?limit=100', page(AppSchema));
      set({ apps: await Promise.all(list.results.map(summarize)), error: null });
    } catch (err) {
      set({ error: messageOf(err) });
    } finally {
      set({ loading: false });
    }
  },

  async create(name, target) {
    const app = await post('/v2/apps/', AppSchema, {
      ...(name ? { id: name } : {}),
      ...(target && target !== 'local' ? { target } : {}),
    });
    await getState().load();
    return app.id;
  },

  async deploy(app, path) {
    const task = await post(`/v2/desktop/apps/${app}/deploy/`, TaskSchema, { path });
    return task.id;
  },

  async destroy(app) {
    await send('DELETE', `/v2/apps/${app}/`);
    set((s) => ({ apps: s.apps.filter((a) => a.app.id !== app) }));
  },
}));
