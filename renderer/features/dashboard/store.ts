/** The dashboard's facts: whether the core answers (and how fast), its ports, and engine/target state. */
import { create } from 'zustand';
import { DesktopInfoSchema, type DesktopInfo } from '../../../main/contract/responses';
import { get, getText, messageOf } from '../../src/api';

interface DashboardState {
  health: { ok: boolean; ms: number; message: string } | null;
  info: DesktopInfo | null;
  refresh(): Promise<void>;
}

export const useDashboard = create<DashboardState>((set) => ({
  health: null,
  info: null,
  async refresh() {
    const started = performance.now();
    try {
      await getText('/readiness');
      set({ health: { ok: true, ms: Math.round(performance.now() - started), message: 'Answering' } });
    } catch (err) {
      set({ health: { ok: false, ms: 0, message: messageOf(err) } });
    }
    try {
      set({ info: await get('/v2/desktop/info/', DesktopInfoSchema) });
    } catch {
      // The health line already says the core is away.
    }
  },
}));
