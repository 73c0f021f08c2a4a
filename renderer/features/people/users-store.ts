/** Administrators' view of the core's users: list, create, make or unmake admin, remove, new token. */
import { create } from 'zustand';
import type { User } from '../../../main/contract/objects';
import { page, TokenSchema, UserSchema } from '../../../main/contract/responses';
import { get, messageOf, post, send, setToken } from '../../src/api';
import { saveToken } from '../../src/session';
import { useSession } from '../session/store';

/** Users one listing shows: a team's core has tens; past this the screen says how many it left out. */
export const USERS_PAGE = 500;

export interface NewUser {
  username: string;
  email: string;
  password: string;
}

interface UsersState {
  users: User[];
  /** All the core has (may exceed users.length). */
  count: number;
  loaded: boolean;
  error: string | null;
  load(): Promise<void>;
  /** Throws the API's error (with its field sentences) for the form to show. */
  create(input: NewUser): Promise<void>;
  setAdmin(username: string, admin: boolean): Promise<void>;
  remove(username: string): Promise<void>;
  /** Revokes every token of the user and answers the new one (shown once). */
  regenerate(username: string): Promise<string>;
}

export const useUsers = create<UsersState>((set, getState) => ({
  users: [],
  count: 0,
  loaded: false,
  error: null,
  async load() {
    try {
      const list = await get(`/v2/users/?limit=${USERS_PAGE}`, page(UserSchema));
      set({ users: list.results, count: list.count, loaded: true, error: null });
    } catch (err) {
      set({ loaded: true, error: messageOf(err) });
    }
  },
  async create(input) {
    await post('/v2/auth/register/', UserSchema, input);
    await getState().load();
  },
  async setAdmin(username, admin) {
    if (admin) await send('POST', '/v2/admin/perms/', { username });
    else await send('DELETE', `/v2/admin/perms/${encodeURIComponent(username)}/`);
    await getState().load();
  },
  async remove(username) {
    await send('DELETE', '/v2/auth/cancel/', { username });
    await getState().load();
  },
  async regenerate(username) {
    const { token } = await post('/v2/auth/tokens/', TokenSchema, { username });
    // Regenerating one's own token revokes this window's too: carry on with the new one.
    if (username === useSession.getState().user?.username) {
      setToken(token);
      saveToken(token, localStorage.getItem('deis.token') !== null);
    }
    return token;
  },
}));
