/** One app's overview: the app, its current release and build, its processes, and scaling them. */
import { create } from 'zustand';
import type { App, Build, Release } from '../../../main/contract/objects';
import {
  AppSchema,
  BuildSchema,
  page,
  PodSchema,
  ReleaseSchema,
  type PodInfo,
} from '../../../main/contract/responses';
import { ApiError, get, messageOf, send } from '../../src/api';

interface OverviewState {
  appId: string | null;
  app: App | null;
  release: Release | null;
  build: Build | null;
  /** null when this core cannot list processes yet. */
  pods: PodInfo[] | null;
  error: string | null;
  load(app: string): Promise<void>;
  /** Lists the processes again; a failure keeps the last list (the next refresh may answer). */
  refreshPods(app: string): Promise<void>;
  /** Scales process types; answers a sentence saying what happened. */
  scale(app: string, structure: Record<string, number>): Promise<string>;
}

/** The process types an app can run: its build's Procfile, plus any it is scaled to. */
export function processTypes(app: App | null, build: Build | null): string[] {
  const types = new Set([...Object.keys(build?.procfile ?? {}), ...Object.keys(app?.structure ?? {})]);
  if (build && types.size === 0) types.add(build.dockerfile ? 'cmd' : 'web');
  return [...types].sort();
}

export const useOverview = create<OverviewState>((set, read) => ({
  appId: null,
  app: null,
  release: null,
  build: null,
  pods: null,
  error: null,

  async load(id) {
    set((s) => (s.appId === id ? {} : { appId: id, app: null, release: null, build: null, pods: null }));
    try {
      const [app, releases, builds, pods] = await Promise.all([
        get(`/v2/apps/${id}/`, AppSchema),
        get(`/v2/apps/${id}/releases/?limit=1`, page(ReleaseSchema)),
        get(`/v2/apps/${id}/builds/?limit=1`, page(BuildSchema)),
        get(`/v2/apps/${id}/pods/`, page(PodSchema)).catch(() => null),
      ]);
      set({
        app,
        release: releases.results[0] ?? null,
        build: builds.results[0] ?? null,
        pods: pods?.results ?? null,
        error: null,
      });
    } catch (err) {
      set({ error: messageOf(err) });
    }
  },

  async refreshPods(id) {
    const pods = await get(`/v2/apps/${id}/pods/`, page(PodSchema)).catch(() => null);
    if (pods && read().appId === id) set({ pods: pods.results });
  },

  async scale(app, structure) {
    try {
      await send('POST', `/v2/apps/${app}/scale/`, structure);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 405))
        throw new Error('This core cannot scale processes yet: the run stage is not installed.');
      throw err;
    }
    return `Scaled ${Object.entries(structure)
      .map(([t, n]) => `${t} to ${n}`)
      .join(', ')}.`;
  },
}));
