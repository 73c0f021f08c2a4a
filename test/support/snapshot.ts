/** A full dump of the store, to prove that a rejected request changed nothing. */
import type { Store } from '../../main/store/db';

export function snapshot(store: Store): string {
  const tables = store.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { name: string }[];
  const dump: Record<string, unknown[]> = {};
  for (const { name } of tables)
    dump[name] = store.db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all();
  return JSON.stringify(dump);
}
