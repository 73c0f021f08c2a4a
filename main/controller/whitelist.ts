/**
 * The app's IP whitelist at the router: adding is a union, removing refuses addresses that are not
 * listed (422). Both are settings changes, so they share the settings history, its 409 and its
 * limit on entries. Every step is one pass with a Set: a list at the limit is handled in
 * microseconds, and a longer one is refused (by the request schema) before any of this runs.
 */
import { unprocessable } from '../contract/errors';
import type { AppRow } from './apps';
import { checkAddresses } from './ip-address';
import { settingsValues, type Settings } from './settings';
import type { UserRow } from './users';

export class Whitelist {
  constructor(private readonly settings: Settings) {}

  addresses(app: AppRow): string[] {
    return settingsValues(this.settings.latest(app)).whitelist;
  }

  /** Adds addresses, keeping the existing order and appending new ones; returns the new list. */
  add(actor: UserRow, app: AppRow, addresses: string[]): string[] {
    checkAddresses('addresses', addresses);
    // A Set keeps insertion order: the current list first, then new addresses as first given.
    const next = [...new Set([...this.addresses(app), ...addresses])];
    return settingsValues(this.settings.update(actor, app, { whitelist: next })).whitelist;
  }

  remove(actor: UserRow, app: AppRow, addresses: string[]): void {
    checkAddresses('addresses', addresses);
    const current = this.addresses(app);
    const listed = new Set(current);
    const unknown = [...new Set(addresses.filter((a) => !listed.has(a)))];
    if (unknown.length > 0)
      throw unprocessable(
        `addresses {${unknown.map((a) => `'${a}'`).join(', ')}} does not exist in whitelist`,
      );
    const removed = new Set(addresses);
    this.settings.update(actor, app, { whitelist: current.filter((a) => !removed.has(a)) });
  }
}
