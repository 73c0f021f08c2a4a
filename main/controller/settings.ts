/**
 * App settings (maintenance, routable, whitelist, autoscale, labels). Like Deis, every change is a new
 * settings row built on the latest one, owned by whoever made the change; a request that would change
 * nothing is refused with 409 so the CLI can say so.
 */
import type { AppSettings, Autoscale } from '../contract/objects';
import { badRequest, conflict, unprocessable } from '../contract/errors';
import { MAX_APP_LABELS, MAX_PROCESS_TYPE_ENTRIES, MAX_WHITELIST_ENTRIES } from '../contract/limits';
import { tooManyAutoscalers, tooManyLabels, tooManyWhitelisted } from '../contract/settings';
import type { Store } from '../store/db';
import { timestamp, uuid } from '../store/clock';
import type { AppRow } from './apps';
import { checkAddresses } from './ip-address';
import type { UserRow } from './users';

export interface SettingsRow {
  uuid: string;
  app_uuid: string;
  owner_id: number;
  maintenance: number;
  routable: number;
  whitelist: string;
  autoscale: string;
  label: string;
  created: string;
  updated: string;
  owner: string;
  app: string;
}

/** The parts of the settings a request may change. */
export interface SettingsValues {
  maintenance: boolean;
  routable: boolean;
  whitelist: string[];
  autoscale: Record<string, Autoscale>;
  label: Record<string, string>;
}

export interface SettingsChange {
  maintenance?: boolean | null;
  routable?: boolean | null;
  whitelist?: string[];
  autoscale?: Record<string, Autoscale | null>;
  label?: Record<string, string | null>;
}

const SELECT_SETTINGS = `SELECT app_settings.*, users.username AS owner, apps.id AS app FROM app_settings
  JOIN users ON users.id = app_settings.owner_id JOIN apps ON apps.uuid = app_settings.app_uuid`;

export function settingsValues(s: SettingsRow): SettingsValues {
  return {
    maintenance: s.maintenance === 1,
    routable: s.routable === 1,
    whitelist: JSON.parse(s.whitelist) as string[],
    autoscale: JSON.parse(s.autoscale) as Record<string, Autoscale>,
    label: JSON.parse(s.label) as Record<string, string>,
  };
}

export function settingsJson(s: SettingsRow): AppSettings {
  return {
    uuid: s.uuid,
    created: s.created,
    updated: s.updated,
    owner: s.owner,
    app: s.app,
    ...settingsValues(s),
  };
}

/** Merges `{key: value | null}` onto `old`: null deletes, and deleting a missing key is a 422. */
function mergeMap<T>(
  old: Record<string, T>,
  change: Record<string, T | null>,
  what: string,
): Record<string, T> {
  // A Map, so that every key (`__proto__` and `constructor` too) is only ever data.
  const next = new Map(Object.entries(old));
  for (const [k, v] of Object.entries(change)) {
    if (v !== null) next.set(k, v);
    else if (!next.delete(k)) throw unprocessable(`${k} does not exist under ${what}`);
  }
  return Object.fromEntries(next);
}

/** JSON with object keys sorted, so `{min, max}` and `{max, min}` compare equal. */
function canonical(v: unknown): string {
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
}

const sameJson = (a: unknown, b: unknown) => canonical(a) === canonical(b);
/** Same members, in one pass each (lists of hundreds are compared on every change). */
function sameSet(a: string[], b: string[]): boolean {
  const inA = new Set(a);
  const inB = new Set(b);
  return inA.size === inB.size && [...inA].every((x) => inB.has(x));
}

/** The limits on what the settings may hold once a change is merged (the request was checked alone). */
function checkCounts(next: SettingsValues): void {
  if (next.whitelist.length > MAX_WHITELIST_ENTRIES)
    throw badRequest(tooManyWhitelisted(next.whitelist.length));
  const labels = Object.keys(next.label).length;
  if (labels > MAX_APP_LABELS) throw badRequest(tooManyLabels(labels));
  const autoscalers = Object.keys(next.autoscale).length;
  if (autoscalers > MAX_PROCESS_TYPE_ENTRIES) throw badRequest(tooManyAutoscalers(autoscalers));
}

export class Settings {
  constructor(private readonly store: Store) {}

  /** The app's current settings (apps get their first row when they are created). */
  latest(app: AppRow): SettingsRow {
    return this.store.db
      .prepare(
        `${SELECT_SETTINGS} WHERE app_settings.app_uuid = ? ORDER BY app_settings.created DESC, app_settings.rowid DESC LIMIT 1`,
      )
      .get(app.uuid) as SettingsRow;
  }

  /** Applies a change as one new settings row; 409 `"<user> changed nothing"` if nothing would change. */
  update(actor: UserRow, app: AppRow, change: SettingsChange): SettingsRow {
    if (change.whitelist) checkAddresses('whitelist', change.whitelist);
    return this.store.tx(() => {
      const old = settingsValues(this.latest(app));
      const next: SettingsValues = {
        maintenance: change.maintenance ?? old.maintenance,
        routable: change.routable ?? old.routable,
        whitelist: change.whitelist ?? old.whitelist,
        autoscale: change.autoscale ? mergeMap(old.autoscale, change.autoscale, 'autoscale') : old.autoscale,
        label: change.label ? mergeMap(old.label, change.label, 'label') : old.label,
      };
      checkCounts(next);
      const changed =
        next.maintenance !== old.maintenance ||
        next.routable !== old.routable ||
        !sameSet(next.whitelist, old.whitelist) ||
        !sameJson(next.autoscale, old.autoscale) ||
        !sameJson(next.label, old.label);
      if (!changed) throw conflict(`${actor.username} changed nothing`);
      const now = timestamp();
      const id = uuid();
      this.store.db
        .prepare(
          `INSERT INTO app_settings (uuid, app_uuid, owner_id, maintenance, routable, whitelist, autoscale, label, created, updated)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          app.uuid,
          actor.id,
          next.maintenance ? 1 : 0,
          next.routable ? 1 : 0,
          JSON.stringify(next.whitelist),
          JSON.stringify(next.autoscale),
          JSON.stringify(next.label),
          now,
          now,
        );
      return this.store.db.prepare(`${SELECT_SETTINGS} WHERE app_settings.uuid = ?`).get(id) as SettingsRow;
    });
  }
}
