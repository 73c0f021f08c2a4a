/** Who is signed in, to which core: the login (or first-run registration) and the core's public facts. */
import { create } from 'zustand';
import {
  DesktopInfoSchema,
  TokenSchema,
  UserSchema,
  type DesktopInfo,
} from '../../../main/contract/responses';
import type { User } from '../../../main/contract/objects';
import { get, messageOf, post, setToken, whenUnauthorized } from '../../src/api';
import { bridge } from '../../src/native';
import { clearToken, loadToken, saveToken } from '../../src/session';

type Status = 'starting' | 'signed-out' | 'signed-in';

interface SessionState {
  status: Status;
  info: DesktopInfo | null;
  user: User | null;
  busy: boolean;
  error: string | null;
  start(): Promise<void>;
  login(username: string, password: string, remember: boolean): Promise<void>;
  /** First run: the first account registered becomes the administrator. */
  createAdmin(username: string, password: string, email: string): Promise<void>;
  logout(): void;
}

export const useSession = create<SessionState>((set, getState) => {
  const signIn = async (token: string) => {
    setToken(token);
    const user = await get('/v2/auth/whoami/', UserSchema);
    set({ status: 'signed-in', user, error: null });
  };
  whenUnauthorized(() => {
    clearToken();
    setToken(null);
    set({ status: 'signed-out', user: null, error: 'Your session ended; sign in again.' });
  });

  return {
    status: 'starting',
    info: null,
    user: null,
    busy: false,
    error: null,

    async start() {
      try {
        // In the desktop app the shell hands over the desktop user's token once the core is up.
        const desktop = await bridge()?.access();
        const info = await get('/v2/desktop/info/', DesktopInfoSchema);
        set({ info });
        const token = desktop?.token ?? loadToken();
        if (token) await signIn(token);
        else set({ status: 'signed-out' });
      } catch (err) {
        setToken(null);
        set({ status: 'signed-out', error: getState().info ? null : messageOf(err) });
      }
    },

    async login(username, password, remember) {
      set({ busy: true, error: null });
      try {
        const { token } = await post('/v2/auth/login/', TokenSchema, { username, password });
        saveToken(token, remember);
        await signIn(token);
      } catch (err) {
        set({ error: messageOf(err) });
      } finally {
        set({ busy: false });
      }
    },

    async createAdmin(username, password, email) {
      set({ busy: true, error: null });
      try {
        await post('/v2/auth/register/', UserSchema, { username, password, email });
        const info = getState().info;
        if (info) set({ info: { ...info, first_run: false } });
      } catch (err) {
        set({ busy: false, error: messageOf(err) });
        return;
      }
      set({ busy: false });
      await getState().login(username, password, false);
    },

    logout() {
      clearToken();
      setToken(null);
      set({ status: 'signed-out', user: null, error: null });
    },
  };
});
