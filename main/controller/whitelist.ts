/**
 * The app's IP whitelist at the router: adding is a union, removing refuses addresses that are not
 * listed (422). Both are settings changes, so they share the settings history and its 409.
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
    const current = this.addresses(app);
    const next = [
      ...current,
      ...addresses.filter((a, i) => !current.includes(a) && addresses.indexOf(a) === i),
    ];
    return settingsValues(this.settings.update(actor, app, { whitelist: next })).whitelist;
  }

  remove(actor: UserRow, app: AppRow, addresses: string[]): void {
    checkAddresses('addresses', addresses);
    const current = this.addresses(app);
    const unknown = addresses.filter((a) => !current.includes(a));
    if (unknown.length > 0)
      throw unprocessable(
        `addresses {${unknown.map((a) => `'${a}'`).join(', ')}} does not exist in whitelist`,
      );
    this.settings.update(actor, app, { whitelist: current.filter((a) => !addresses.includes(a)) });
  }
}
