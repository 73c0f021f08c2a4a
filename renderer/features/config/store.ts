/**
 * The config editor: the saved values, a draft the user edits (add, change, remove, paste a .env),
 * and saving the difference, which cuts a release the editor names.
 */
import { create } from 'zustand';
import { configValueProblem } from '../../../main/contract/config';
import { ConfigSchema, page, ReleaseSchema } from '../../../main/contract/responses';
import { get, messageOf, post } from '../../src/api';
import { parseDotenv } from './dotenv';

export interface DraftRow {
  id: number;
  key: string;
  value: string;
}

interface ConfigState {
  app: string | null;
  saved: Record<string, string>;
  draft: DraftRow[];
  error: string | null;
  load(app: string): Promise<void>;
  edit(id: number, change: Partial<Omit<DraftRow, 'id'>>): void;
  add(): void;
  remove(id: number): void;
  /** Merges a pasted .env into the draft; answers the line numbers it could not read. */
  paste(text: string): number[];
  reset(): void;
  /** Saves the draft; answers the version of the release it cut, or null when nothing changed. */
  save(app: string): Promise<number | null>;
}

let nextId = 1;
const rowsOf = (values: Record<string, string>): DraftRow[] =>
  Object.entries(values)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({ id: nextId++, key, value }));

/** The change to send: new and edited keys set, keys gone from the draft removed (null). */
export function configChange(
  saved: Record<string, string>,
  draft: DraftRow[],
): Record<string, string | null> {
  const change: Record<string, string | null> = {};
  const kept = new Set<string>();
  for (const { key, value } of draft) {
    if (!key) continue;
    kept.add(key);
    if (saved[key] !== value) change[key] = value;
  }
  for (const key of Object.keys(saved)) if (!kept.has(key)) change[key] = null;
  return change;
}

/** The first problem with a draft row, in the core's own words. */
export function rowProblem(row: DraftRow, draft: DraftRow[]): string | undefined {
  if (!row.key) return row.value ? 'Give the value a key.' : undefined;
  if (draft.some((r) => r.id !== row.id && r.key === row.key)) return `${row.key} appears twice.`;
  return configValueProblem(row.key, row.value);
}

export const useConfig = create<ConfigState>((set, getState) => ({
  app: null,
  saved: {},
  draft: [],
  error: null,

  async load(app) {
    try {
      const config = await get(`/v2/apps/${app}/config/`, ConfigSchema);
      set({ app, saved: config.values, draft: rowsOf(config.values), error: null });
    } catch (err) {
      set({ error: messageOf(err) });
    }
  },
  edit: (id, change) => set((s) => ({ draft: s.draft.map((r) => (r.id === id ? { ...r, ...change } : r)) })),
  add: () => set((s) => ({ draft: [...s.draft, { id: nextId++, key: '', value: '' }] })),
  remove: (id) => set((s) => ({ draft: s.draft.filter((r) => r.id !== id) })),
  paste(text) {
    const { values, skipped } = parseDotenv(text);
    set((s) => {
      const draft = s.draft.map((r) => (r.key in values ? { ...r, value: values[r.key]! } : r));
      const have = new Set(draft.map((r) => r.key));
      for (const [key, value] of Object.entries(values))
        if (!have.has(key)) draft.push({ id: nextId++, key, value });
      return { draft };
    });
    return skipped;
  },
  reset: () => set((s) => ({ draft: rowsOf(s.saved) })),

  async save(app) {
    const change = configChange(getState().saved, getState().draft);
    if (Object.keys(change).length === 0) return null;
    await post(`/v2/apps/${app}/config/`, ConfigSchema, { values: change });
    const [releases] = await Promise.all([
      get(`/v2/apps/${app}/releases/?limit=1`, page(ReleaseSchema)),
      getState().load(app),
    ]);
    return releases.results[0]?.version ?? null;
  },
}));
