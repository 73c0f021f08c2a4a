/** An app's collaborators: whoever may use the app besides its owner (and administrators). */
import { create } from 'zustand';
import { PermsSchema } from '../../../main/contract/responses';
import { get, messageOf, send } from '../../src/api';

interface CollaboratorsState {
  app: string | null;
  users: string[];
  loaded: boolean;
  error: string | null;
  load(app: string): Promise<void>;
  /** Throws the API's error (an unknown user: its sentence) for the form to show. */
  add(app: string, username: string): Promise<void>;
  remove(app: string, username: string): Promise<void>;
}

const path = (app: string) => `/v2/apps/${encodeURIComponent(app)}/perms/`;

export const useCollaborators = create<CollaboratorsState>((set, getState) => ({
  app: null,
  users: [],
  loaded: false,
  error: null,
  async load(app) {
    if (getState().app !== app) set({ app, users: [], loaded: false });
    try {
      const { users } = await get(path(app), PermsSchema);
      if (getState().app === app) set({ users, loaded: true, error: null });
    } catch (err) {
      if (getState().app === app) set({ loaded: true, error: messageOf(err) });
    }
  },
  async add(app, username) {
    await send('POST', path(app), { username });
    await getState().load(app);
  },
  async remove(app, username) {
    await send('DELETE', `${path(app)}${encodeURIComponent(username)}/`);
    await getState().load(app);
  },
}));
