/** Preferences of the desktop app: putting the bundled `deis` command on the user's PATH. */
import { create } from 'zustand';
import { messageOf } from '../../src/api';
import { bridge } from '../../src/native';

interface PreferencesState {
  cli: { ok: boolean; text: string } | null;
  /** The desktop CLI profile's path, in the desktop app. */
  cliProfile: string | null;
  load(): Promise<void>;
  installCli(): Promise<void>;
}

export const usePreferences = create<PreferencesState>((set) => ({
  cli: null,
  cliProfile: null,
  async load() {
    const access = await bridge()?.access();
    set({ cliProfile: access?.cliProfile ?? null });
  },
  async installCli() {
    try {
      const result = await bridge()?.installCli();
      set({
        cli: result
          ? { ok: true, text: `Linked ${result.linked}. Open a new terminal and run \`deis apps\`.` }
          : null,
      });
    } catch (err) {
      set({ cli: { ok: false, text: messageOf(err) } });
    }
  },
}));
