/** The controller: the domain services, created once and shared by the API, the builder and the UI. */
import type { Store } from '../store/db';
import { Apps } from './apps';
import { Builds } from './builds';
import { Configs } from './config';
import { Releases } from './releases';
import { Users } from './users';

export class Controller {
  readonly users: Users;
  readonly apps: Apps;
  readonly releases: Releases;
  readonly configs: Configs;
  readonly builds: Builds;

  constructor(readonly store: Store) {
    this.users = new Users(store);
    this.apps = new Apps(store);
    this.releases = new Releases(store);
    this.configs = new Configs(store, this.releases);
    this.builds = new Builds(store, this.releases);
  }
}
