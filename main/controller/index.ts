/** The controller: the domain services, created once and shared by the API, the builder and the UI. */
import type { Store } from '../store/db';
import { Apps } from './apps';
import { Domains } from './domains';
import { Keys } from './keys';
import { Users } from './users';

export class Controller {
  readonly users: Users;
  readonly apps: Apps;
  readonly domains: Domains;
  readonly keys: Keys;

  constructor(readonly store: Store) {
    this.users = new Users(store);
    this.apps = new Apps(store);
    this.domains = new Domains(store);
    this.keys = new Keys(store);
  }
}
