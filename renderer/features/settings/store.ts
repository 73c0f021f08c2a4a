/** An app's settings: maintenance and routing toggles, limits and health checks (config), destroying it. */
import { create } from 'zustand';
import type { AppSettings, Config } from '../../../main/contract/objects';
import { AppSettingsSchema, ConfigSchema } from '../../../main/contract/responses';
import { get, messageOf, post, send } from '../../src/api';

interface SettingsState {
  settings: AppSettings | null;
  config: Config | null;
  error: string | null;
  load(app: string): Promise<void>;
  toggle(app: string, field: 'maintenance' | 'routable', value: boolean): Promise<void>;
  /** Sets (or with '' removes) a memory or CPU limit for a process type. */
  setLimit(app: string, kind: 'memory' | 'cpu', type: string, value: string): Promise<void>;
  /** Sets an HTTP readiness check on a process type's path, or removes its checks with ''. */
  setHealthcheck(app: string, type: string, path: string, port: number): Promise<void>;
  destroy(app: string): Promise<void>;
}

export const useAppSettings = create<SettingsState>((set, getState) => ({
  settings: null,
  config: null,
  error: null,
  async load(app) {
    try {
      const [settings, config] = await Promise.all([
        get(`/v2/apps/${app}/settings/`, AppSettingsSchema),
        get(`/v2/apps/${app}/config/`, ConfigSchema),
      ]);
      set({ settings, config, error: null });
    } catch (err) {
      set({ error: messageOf(err) });
    }
  },
  async toggle(app, field, value) {
    // The switch moves at once; a refusal puts it back.
    const before = getState().settings;
    if (before) set({ settings: { ...before, [field]: value } });
    try {
      set({ settings: await post(`/v2/apps/${app}/settings/`, AppSettingsSchema, { [field]: value }) });
    } catch (err) {
      set({ settings: before });
      throw err;
    }
  },
  async setLimit(app, kind, type, value) {
    set({
      config: await post(`/v2/apps/${app}/config/`, ConfigSchema, { [kind]: { [type]: value || null } }),
    });
  },
  async setHealthcheck(app, type, path, port) {
    const probe = { httpGet: { path, port }, initialDelaySeconds: 5, timeoutSeconds: 5, periodSeconds: 10 };
    const change = path ? { [type]: { readinessProbe: probe, livenessProbe: null } } : { [type]: null };
    set({ config: await post(`/v2/apps/${app}/config/`, ConfigSchema, { healthcheck: change }) });
  },
  async destroy(app) {
    await send('DELETE', `/v2/apps/${app}/`);
  },
}));
