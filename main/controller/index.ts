/** The controller: the domain services, created once and shared by the API, the builder and the UI. */
import { DEFAULT_PLATFORM_DOMAIN } from '../settings';
import type { Store } from '../store/db';
import { Activity } from './activity';
import { Apps } from './apps';
import { Builds } from './builds';
import { Configs } from './config';
import { Releases } from './releases';
import { Certs } from './certs';
import { platformDomainKey } from './domain-name';
import { Domains } from './domains';
import { Keys } from './keys';
import { Perms } from './perms';
import { ServiceCatalog } from './service-catalog';
import { ServiceForwards } from './service-forwards';
import { Services } from './services';
import { Settings } from './settings';
import { Sealer } from '../store/seal';
import { dockerEngine } from '../../cluster/docker/engine';
import { Promotions } from './promotions';
import { Targets } from './targets';
import { Tasks } from './tasks';
import { Tls } from './tls';
import { Users } from './users';
import { Whitelist } from './whitelist';

export class Controller {
  readonly users: Users;
  readonly apps: Apps;
  readonly releases: Releases;
  readonly configs: Configs;
  readonly builds: Builds;
  readonly domains: Domains;
  readonly keys: Keys;
  readonly perms: Perms;
  readonly settings: Settings;
  readonly whitelist: Whitelist;
  readonly tls: Tls;
  readonly certs: Certs;
  readonly tasks: Tasks;
  readonly activity: Activity;
  readonly services: Services;
  readonly serviceForwards: ServiceForwards;
  readonly targets: Targets;
  readonly promotions: Promotions;

  /** `platformDomain`: apps are served at `<app>.<platformDomain>` (DEIS_PLATFORM_DOMAIN). */
  constructor(
    readonly store: Store,
    options: {
      platformDomain?: string;
      /** The backing-service catalog (resources/services); none: no kinds. */
      serviceCatalog?: ServiceCatalog;
      /** Seals secrets the store keeps (DEIS_HOME/secrets.key); default: a key for this process only. */
      sealer?: Sealer;
      /** DEIS_HOME: targets' kubeconfigs are copied under it (none: targets cannot be added). */
      home?: string;
    } = {},
  ) {
    const sealer = options.sealer ?? Sealer.ephemeral();
    const platformDomain = platformDomainKey(options.platformDomain ?? DEFAULT_PLATFORM_DOMAIN);
    this.users = new Users(store);
    this.apps = new Apps(store, platformDomain);
    this.releases = new Releases(store);
    this.configs = new Configs(store, this.releases);
    this.builds = new Builds(store, this.releases);
    this.domains = new Domains(store, this.apps, platformDomain);
    this.keys = new Keys(store);
    this.perms = new Perms(store, this.apps, this.users);
    this.settings = new Settings(store);
    this.whitelist = new Whitelist(this.settings);
    this.tls = new Tls(store);
    this.certs = new Certs(store, this.apps, this.domains);
    this.tasks = new Tasks(store);
    this.activity = new Activity(store);
    this.services = new Services(
      store,
      this.apps,
      this.configs,
      this.tasks,
      options.serviceCatalog ?? new ServiceCatalog(''),
      sealer,
    );
    this.serviceForwards = new ServiceForwards(this.services);
    this.targets = new Targets(store, this.tasks, sealer, options.home ?? '', dockerEngine);
    this.promotions = new Promotions(
      store,
      this.apps,
      this.users,
      this.builds,
      this.releases,
      this.targets,
      dockerEngine,
    );
  }
}
