/** An app's releases: the timeline, the config difference between two of them, and rollback. */
import { create } from 'zustand';
import type { Release } from '../../../main/contract/objects';
import { ConfigSchema, page, ReleaseSchema, RollbackResponseSchema } from '../../../main/contract/responses';
import { get, messageOf, post } from '../../src/api';
import { diffConfig, type ConfigChange } from './diff';

interface ReleasesState {
  app: string | null;
  releases: Release[];
  error: string | null;
  /** The two versions compared (older, newer) and what changed between them. */
  compared: { from: number; to: number; changes: ConfigChange[] } | null;
  load(app: string): Promise<void>;
  compare(app: string, from: number, to: number): Promise<void>;
  /** Rolls back to `version`; answers the version of the release it cut. */
  rollback(app: string, version: number): Promise<number>;
}

export const useReleases = create<ReleasesState>((set, getState) => ({
  app: null,
  releases: [],
  error: null,
  compared: null,

  async load(app) {
    if (getState().app !== app) set({ app, releases: [], compared: null });
    try {
      const list = await get(`/v2/apps/${app}/releases/?limit=100`, page(ReleaseSchema));
      set({ releases: list.results, error: null });
    } catch (err) {
      set({ error: messageOf(err) });
    }
  },

  async compare(app, from, to) {
    const [older, newer] = from < to ? [from, to] : [to, from];
    try {
      const [a, b] = await Promise.all([
        get(`/v2/apps/${app}/releases/v${older}/config/`, ConfigSchema),
        get(`/v2/apps/${app}/releases/v${newer}/config/`, ConfigSchema),
      ]);
      set({ compared: { from: older, to: newer, changes: diffConfig(a.values, b.values) }, error: null });
    } catch (err) {
      set({ error: messageOf(err) });
    }
  },

  async rollback(app, version) {
    const { version: cut } = await post(`/v2/apps/${app}/releases/rollback/`, RollbackResponseSchema, {
      version,
    });
    await getState().load(app);
    return cut;
  },
}));
