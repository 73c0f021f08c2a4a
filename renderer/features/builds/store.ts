/** An app's builds, newest first, and the full output of the one the user opens. */
import { create } from 'zustand';
import type { Build } from '../../../main/contract/objects';
import { BuildSchema, page } from '../../../main/contract/responses';
import { get, getText, messageOf } from '../../src/api';

interface BuildsState {
  app: string | null;
  builds: Build[];
  open: { uuid: string; log: string } | null;
  error: string | null;
  load(app: string): Promise<void>;
  show(app: string, uuid: string): Promise<void>;
}

export const useBuilds = create<BuildsState>((set, getState) => ({
  app: null,
  builds: [],
  open: null,
  error: null,
  async load(app) {
    if (getState().app !== app) set({ app, builds: [], open: null });
    try {
      const list = await get(`/v2/apps/${app}/builds/?limit=100`, page(BuildSchema));
      set({ builds: list.results, error: null });
    } catch (err) {
      set({ error: messageOf(err) });
    }
  },
  async show(app, uuid) {
    try {
      set({ open: { uuid, log: await getText(`/v2/apps/${app}/builds/${uuid}/log/`) }, error: null });
    } catch (err) {
      set({ error: messageOf(err) });
    }
  },
}));
