/**
 * Backing services: provisioned from the catalog on the target, attached to apps through an
 * environment variable (each attach and detach cuts a release), destroyed only once detached and
 * with its name typed again. The owner or an admin may provision, destroy and attach a service; an
 * app it is attached to must be one the user may change. Credentials are sealed in the store and
 * appear only in the variable set on the app, never in a log, a task or a listing. A service lives on
 * one target (`local` by default), and only apps on that target can be attached to it.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Duplex } from 'node:stream';
import type { ServiceExecIo, ServiceTarget } from '../../cluster/target';
import { LOCAL_TARGET } from '../contract/targets';
import {
  badRequest,
  conflict,
  DeisError,
  forbidden,
  invalid,
  notFound,
  unprocessable,
} from '../contract/errors';
import {
  SERVICE_BACKUP_MAX_BYTES,
  SERVICE_ATTACHMENTS_MAX,
  SERVICE_NAME_MAX,
  SERVICE_STATS_MS,
  SERVICES_PER_CORE,
  SERVICES_PER_USER,
} from '../contract/limits';
import type {
  CatalogEntry,
  Service,
  ServiceAttachRequest,
  ServiceCreateRequest,
  ServiceState,
  ServiceStats,
} from '../contract/services';
import { TargetError } from '../../cluster/target';
import type { Store } from '../store/db';
import { timestamp, uuid } from '../store/clock';
import type { Sealer } from '../store/seal';
import type { AppRow, Apps } from './apps';
import type { Configs } from './config';
import { configData } from './config';
import type { ReleaseRow } from './releases';
import type { ServiceCatalog, ServiceCredentials } from './service-catalog';
import type { Tasks } from './tasks';
import type { UserRow } from './users';

export interface ServiceRow {
  uuid: string;
  name: string;
  kind: string;
  version: string;
  owner_id: number;
  owner: string;
  /** The target it lives on. */
  target: string;
  image: string;
  state: ServiceState;
  error: string | null;
  task_id: string | null;
  secret: string;
  created: string;
  updated: string;
}

const SELECT_SERVICE =
  'SELECT services.*, users.username AS owner FROM services JOIN users ON users.id = services.owner_id';

const BACKUP_FILE = '/tmp/deis-backup';
/** A file restored while the service is stopped is staged in its data folder, where the swap finds it. */
const OFFLINE_RESTORE_FILE = '.deis-restore';
const RESTORE_FILE = '/tmp/deis-restore';

/** The last line a command wrote to stderr, for an error message: short, and never a password. */
const lastLine = (stderr: string): string => stderr.trim().split('\n').pop()?.slice(0, 300) || 'no message';

const mayManage = (user: UserRow, s: ServiceRow) => user.is_superuser === 1 || s.owner_id === user.id;

export class Services {
  private target: ServiceTarget | undefined;
  /** Provisioning under way, by service name: a destroy waits for it. */
  private readonly provisioning = new Map<string, Promise<void>>();
  /** The last attach, detach or promote of each app: the next one waits for it (each reads then sets the app's config). */
  private readonly appWork = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly apps: Apps,
    private readonly configs: Configs,
    private readonly tasks: Tasks,
    readonly catalog: ServiceCatalog,
    private readonly sealer: Sealer,
  ) {
    // Provisioning that was under way when the core stopped did not finish.
    store.tx(() => {
      store.db
        .prepare("UPDATE services SET state = 'failed', error = ? WHERE state = 'provisioning'")
        .run('The core stopped while this service was being provisioned; destroy it and create it again.');
    });
  }

  /** Wires the target services run on. */
  useTarget(target: ServiceTarget): void {
    this.target = target;
  }

  private find(name: string): ServiceRow | undefined {
    return this.store.db.prepare(`${SELECT_SERVICE} WHERE services.name = ?`).get(name) as
      ServiceRow | undefined;
  }

  /** The service `name` if `user` may manage it: unknown → 404, someone else's → 403. */
  access(user: UserRow, name: string): ServiceRow {
    const s = this.find(name);
    if (!s) throw notFound('Service');
    if (!mayManage(user, s)) throw forbidden();
    return s;
  }

  list(user: UserRow): ServiceRow[] {
    return this.store.db
      .prepare(
        `${SELECT_SERVICE} WHERE ? = 1 OR services.owner_id = ? ORDER BY services.created, services.name`,
      )
      .all(user.is_superuser, user.id) as ServiceRow[];
  }

  attachments(s: ServiceRow): { app: string; var: string }[] {
    return this.store.db
      .prepare(
        'SELECT apps.id AS app, service_attachments.var AS var FROM service_attachments JOIN apps ON apps.uuid = service_attachments.app_uuid WHERE service_uuid = ? ORDER BY apps.id',
      )
      .all(s.uuid) as { app: string; var: string }[];
  }

  json(s: ServiceRow): Service {
    return {
      uuid: s.uuid,
      name: s.name,
      kind: s.kind,
      version: s.version,
      owner: s.owner,
      target: s.target,
      image: s.image,
      state: s.state,
      error: s.error,
      task: s.task_id,
      apps: this.attachments(s),
      created: s.created,
      updated: s.updated,
    };
  }

  private credentials(s: ServiceRow): ServiceCredentials {
    return JSON.parse(this.sealer.open(s.secret)) as ServiceCredentials;
  }

  private need<K extends keyof ServiceTarget>(
    method: K,
    missing = 'This target does not run backing services yet; use the Docker target.',
  ): NonNullable<ServiceTarget[K]> {
    const target = this.target;
    const fn = target?.[method];
    if (!fn) throw badRequest(missing);
    // A target that is away (a host or cluster not answering) is a 503 with its reason, as for apps.
    return ((...args: never[]) =>
      (fn as (...a: never[]) => Promise<unknown>).apply(target, args).catch((err: unknown) => {
        if (err instanceof TargetError && err.code === 'unavailable')
          throw new DeisError('unavailable', err.message);
        throw err;
      })) as NonNullable<ServiceTarget[K]>;
  }

  /** The target a service lives on (`local` for a name the store does not know). */
  targetOf(service: string): string {
    const row = this.store.db.prepare('SELECT target FROM services WHERE name = ?').get(service) as
      { target: string } | undefined;
    return row?.target ?? LOCAL_TARGET;
  }

  /** Checks everything, stores the service as provisioning and provisions it in the background (a task). */
  create(user: UserRow, input: ServiceCreateRequest): ServiceRow {
    const entry = this.catalog.get(input.kind);
    if (!entry) {
      const kinds = this.catalog.kinds().map((k) => k.kind);
      throw invalid('kind', `Unknown service kind "${input.kind}"; choose one of: ${kinds.join(', ')}.`);
    }
    const version = input.version ?? entry.versions[0]!;
    if (!entry.versions.includes(version))
      throw invalid(
        'version',
        `${entry.title} ${version} is not in the catalog; choose one of: ${entry.versions.join(', ')}.`,
      );
    this.need('provisionService');
    const target = input.target ?? LOCAL_TARGET;
    const name = input.name ?? `${entry.kind}-${randomBytes(3).toString('hex')}`.slice(0, SERVICE_NAME_MAX);
    if (name === 'catalog') throw invalid('name', 'catalog is a reserved name; choose another name.');
    const creds: ServiceCredentials = {
      user: 'deis',
      password: randomBytes(24).toString('hex'),
      database: name.replace(/-/g, '_'),
    };
    const row = this.store.tx(() => {
      const db = this.store.db;
      // As for an app: `local` or a target of `deis targets`, checked in the transaction a removal of
      // the target also takes, so a service is never left on a target that is gone.
      if (target !== LOCAL_TARGET && !db.prepare('SELECT 1 FROM targets WHERE name = ?').get(target))
        throw invalid(
          'target',
          `There is no target named ${target}; see deis targets for the ones there are.`,
        );
      if (this.find(name))
        throw invalid('name', `A service named ${name} already exists; choose another name.`);
      const mine = (
        db.prepare('SELECT COUNT(*) AS n FROM services WHERE owner_id = ?').get(user.id) as { n: number }
      ).n;
      if (mine >= SERVICES_PER_USER)
        throw badRequest(
          `You have ${SERVICES_PER_USER} services, the most one user may have; destroy one before creating another.`,
        );
      const all = (db.prepare('SELECT COUNT(*) AS n FROM services').get() as { n: number }).n;
      if (all >= SERVICES_PER_CORE)
        throw badRequest(
          `This Deis Desktop runs ${SERVICES_PER_CORE} services, the most it can; destroy one before creating another.`,
        );
      const now = timestamp();
      const id = uuid();
      db.prepare(
        "INSERT INTO services (uuid, name, kind, version, owner_id, target, state, secret, created, updated) VALUES (?, ?, ?, ?, ?, ?, 'provisioning', ?, ?, ?)",
      ).run(
        id,
        name,
        entry.kind,
        version,
        user.id,
        target,
        this.sealer.seal(JSON.stringify(creds)),
        now,
        now,
      );
      return this.find(name)!;
    });
    const task = this.tasks.start(
      'service',
      `Provisioning ${entry.title} ${version} as ${name}${target === LOCAL_TARGET ? '' : ` on ${target}`}`,
    );
    this.store.db.prepare('UPDATE services SET task_id = ? WHERE uuid = ?').run(task.id, row.uuid);
    const spec = this.catalog.spec(name, entry.kind, version, creds);
    const work = this.need('provisionService')(spec, (e) => {
      if (e.kind === 'step') task.step(e.message);
      else if (e.kind === 'log') task.log(e.line);
    })
      .then(async ({ image }) => {
        if (entry.init) {
          task.step('Setting it up');
          const r = await this.need('execService')(name, this.catalog.command(entry.init, creds), {});
          if (r.exitCode !== 0)
            throw new Error(`${entry.title} did not finish setting up (${lastLine(r.stderr)}).`);
        }
        return { image };
      })
      .then(
        ({ image }) => {
          this.setState(row.uuid, 'ready', null, image);
          task.succeed();
        },
        (err: Error) => {
          this.setState(row.uuid, 'failed', err.message, '');
          task.fail(err.message);
        },
      );
    this.provisioning.set(name, work);
    void work.finally(() => this.provisioning.delete(name));
    return this.find(name)!;
  }

  private setState(id: string, state: ServiceState, error: string | null, image: string): void {
    this.store.tx(() => {
      this.store.db
        .prepare('UPDATE services SET state = ?, error = ?, image = ?, updated = ? WHERE uuid = ?')
        .run(state, error, image, timestamp(), id);
    });
  }

  /** Waits for a provisioning under way (tests, and a destroy). */
  async settled(name: string): Promise<void> {
    await this.provisioning.get(name);
  }

  /** The variable an attachment sets: `--as`, else the kind's, else `<KIND>_<NAME>_URL` when that one is taken. */
  private chooseVar(app: AppRow, s: ServiceRow, wanted: string | undefined): string {
    const entry = this.catalog.get(s.kind)!;
    const taken = (v: string) =>
      !!this.store.db
        .prepare('SELECT 1 FROM service_attachments WHERE app_uuid = ? AND var = ?')
        .get(app.uuid, v) || Object.hasOwn(configData(this.configs.current(app)).values, v);
    if (wanted) {
      if (taken(wanted))
        throw conflict(
          `${wanted} is already set on ${app.id}; choose another name with --as, or unset it first.`,
        );
      return wanted;
    }
    if (!taken(entry.envVar)) return entry.envVar;
    const alias = `${entry.aliasPrefix}_${s.name.toUpperCase().replace(/-/g, '_')}_URL`;
    if (taken(alias))
      throw conflict(`${entry.envVar} and ${alias} are already set on ${app.id}; choose a name with --as.`);
    return alias;
  }

  async attach(
    user: UserRow,
    name: string,
    input: ServiceAttachRequest,
  ): Promise<{ var: string; release: ReleaseRow }> {
    const s = this.access(user, name);
    const app = this.apps.access(user, input.app, 'POST');
    return this.serially(app.id, () => this.attachNow(user, s, app, input));
  }

  /**
   * Runs `work` after the app's earlier attach, detach or promote has ended: two at once would both
   * read the config and the second would set a variable the first had just taken.
   */
  private async serially<T>(app: string, work: () => Promise<T>): Promise<T> {
    const before = this.appWork.get(app) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(work);
    this.appWork.set(app, mine);
    try {
      return await mine;
    } finally {
      if (this.appWork.get(app) === mine) this.appWork.delete(app);
    }
  }

  private async attachNow(
    user: UserRow,
    s: ServiceRow,
    app: AppRow,
    input: ServiceAttachRequest,
  ): Promise<{ var: string; release: ReleaseRow }> {
    // An app reaches only services on its own target (a Docker network, a cluster's namespace).
    if (s.target !== app.target)
      throw conflict(
        `${s.name} runs on ${s.target} and ${app.id} on ${app.target}: create a service on ${app.target}.`,
      );
    if (s.state !== 'ready')
      throw conflict(
        s.state === 'provisioning'
          ? `${s.name} is still being provisioned; attach it once it is ready.`
          : `${s.name} failed to provision (${s.error ?? 'unknown error'}); destroy it and create it again.`,
      );
    const attached = this.attachments(s);
    if (attached.some((a) => a.app === app.id)) throw conflict(`${s.name} is already attached to ${app.id}.`);
    if (attached.length >= SERVICE_ATTACHMENTS_MAX)
      throw badRequest(
        `${s.name} is attached to ${SERVICE_ATTACHMENTS_MAX} apps, the most one service may be; detach it from one first.`,
      );
    const variable = this.chooseVar(app, s, input.as);
    const host = await this.need('connectService')(s.name, app.id);
    const url = this.catalog.url(s.kind, this.credentials(s), host);
    let release: ReleaseRow;
    try {
      ({ release } = await this.configs.set(
        app,
        user,
        { values: { [variable]: url } },
        `${user.username} attached ${s.name} as ${variable}`,
      ));
    } catch (err) {
      await this.need('disconnectService')(s.name, app.id).catch(() => undefined);
      throw err;
    }
    this.store.tx(() => {
      this.store.db
        .prepare('INSERT INTO service_attachments (service_uuid, app_uuid, var, created) VALUES (?, ?, ?, ?)')
        .run(s.uuid, app.uuid, variable, timestamp());
    });
    return { var: variable, release };
  }

  async detach(user: UserRow, name: string, appId: string): Promise<{ release: ReleaseRow | null }> {
    const s = this.access(user, name);
    const app = this.apps.access(user, appId, 'POST');
    return this.serially(app.id, () => this.detachNow(user, s, app));
  }

  private async detachNow(
    user: UserRow,
    s: ServiceRow,
    app: AppRow,
  ): Promise<{ release: ReleaseRow | null }> {
    const row = this.store.db
      .prepare('SELECT var FROM service_attachments WHERE service_uuid = ? AND app_uuid = ?')
      .get(s.uuid, app.uuid) as { var: string } | undefined;
    if (!row) throw new DeisError('not_found_detail', `${s.name} is not attached to ${app.id}.`);
    // The service's target must answer before anything changes: one that is away is a 503 here, with
    // the app's config and the attachment as they were, and the detach can simply be tried again.
    // (Connecting an attached service is a no-op; the network is cut only after the app's new
    // release runs, so its old processes keep the service until then.)
    await this.need('connectService')(s.name, app.id).catch((err: unknown) => {
      if (err instanceof DeisError && err.code === 'unavailable') throw err;
    });
    let release: ReleaseRow | null = null;
    // The variable may have been unset by hand: then there is nothing to take off the app.
    if (Object.hasOwn(configData(this.configs.current(app)).values, row.var))
      ({ release } = await this.configs.set(
        app,
        user,
        { values: { [row.var]: null } },
        `${user.username} detached ${s.name} (${row.var})`,
      ));
    this.store.tx(() => {
      this.store.db
        .prepare('DELETE FROM service_attachments WHERE service_uuid = ? AND app_uuid = ?')
        .run(s.uuid, app.uuid);
    });
    await this.need('disconnectService')(s.name, app.id);
    return { release };
  }

  async destroy(user: UserRow, name: string, confirm: string | undefined): Promise<void> {
    const s = this.access(user, name);
    if (confirm !== s.name)
      throw badRequest(
        `Destroying ${s.name} deletes its data; confirm with its name (deis services:destroy ${s.name} --confirm ${s.name}).`,
      );
    const apps = this.attachments(s).map((a) => a.app);
    if (apps.length > 0)
      throw conflict(
        `${s.name} is attached to ${apps.join(', ')}; detach it first (deis services:detach ${s.name} -a ${apps[0]}).`,
      );
    if (s.state === 'provisioning')
      throw conflict(`${s.name} is still being provisioned; destroy it once that has ended.`);
    await this.need('destroyService')(s.name).catch((err: unknown) => {
      // As an app's destroy: a target that is away keeps what it had there; the service is forgotten
      // here, so the target can be removed (else neither could go until the host came back).
      if (!(err instanceof DeisError && err.code === 'unavailable')) throw err;
    });
    this.store.tx(() => {
      this.store.db.prepare('DELETE FROM services WHERE uuid = ?').run(s.uuid);
    });
  }

  /** The service, ready, and its kind's command for `what`; 400 when the kind has none. */
  private operation(user: UserRow, name: string, what: 'backup' | 'restore') {
    const s = this.access(user, name);
    if (s.state !== 'ready') throw conflict(`${s.name} is not ready; try once it is.`);
    const entry = this.catalog.get(s.kind)!;
    const cmd = entry[what] ?? (what === 'restore' ? entry.restoreOffline?.check : undefined);
    if (!cmd)
      throw badRequest(
        `${entry.title} services cannot be ${what === 'backup' ? 'backed up' : 'restored'} here yet.`,
      );
    return { s, entry, cmd: this.catalog.command(cmd, this.credentials(s)) };
  }

  private async run(
    s: ServiceRow,
    command: string[],
    env: Record<string, string> = {},
    io: ServiceExecIo = {},
  ): Promise<{ exitCode: number; stderr: string }> {
    return this.need('execService')(s.name, { command, env }, io);
  }

  /**
   * A backup of the service's data, streamed: it is made into the container's /tmp first, so a
   * failure is an error answer rather than a file cut short.
   */
  async backup(
    user: UserRow,
    name: string,
    signal: AbortSignal,
  ): Promise<{ size: number; filename: string; data: AsyncIterable<Buffer> }> {
    const { s, entry, cmd } = this.operation(user, name, 'backup');
    const made = await this.run(
      s,
      ['sh', '-c', `umask 077; "$@" > ${BACKUP_FILE}`, 'sh', ...cmd.command],
      cmd.env,
    );
    if (made.exitCode !== 0) {
      await this.run(s, ['rm', '-f', BACKUP_FILE]).catch(() => undefined);
      throw unprocessable(`The backup of ${s.name} failed (${lastLine(made.stderr)}).`);
    }
    let sizeText = '';
    await this.run(
      s,
      ['stat', '-c', '%s', BACKUP_FILE],
      {},
      { stdout: (c) => void (sizeText += c.toString()) },
    );
    const size = Number(sizeText.trim());
    if (!(size <= SERVICE_BACKUP_MAX_BYTES)) {
      await this.run(s, ['rm', '-f', BACKUP_FILE]).catch(() => undefined);
      throw unprocessable(
        `The backup of ${s.name} is larger than the ${SERVICE_BACKUP_MAX_BYTES / 1024 / 1024} MiB a backup may be here; use the database's own tools.`,
      );
    }
    const out = new PassThrough();
    void this.run(
      s,
      ['cat', BACKUP_FILE],
      {},
      {
        signal,
        stdout: (chunk) => (out.write(chunk) ? undefined : once(out, 'drain').then(() => undefined)),
      },
    )
      .then(
        (r) => (r.exitCode === 0 ? out.end() : out.destroy(new Error('the backup could not be read'))),
        (err: Error) => out.destroy(err),
      )
      .finally(() => this.run(s, ['rm', '-f', BACKUP_FILE]).catch(() => undefined));
    const stamp = timestamp().replace(/[-:]/g, '').replace('T', '-').replace('Z', '');
    return { size, filename: `${s.name}-${stamp}.${entry.backup!.extension}`, data: out };
  }

  /**
   * Restores a backup into the service: staged in the container's /tmp, then given to the kind's
   * restore command. PostgreSQL restores in one transaction, so a file it cannot restore changes nothing.
   */
  async restore(
    user: UserRow,
    name: string,
    confirm: string | undefined,
    file: AsyncIterable<Buffer>,
  ): Promise<void> {
    const { s, entry, cmd } = this.operation(user, name, 'restore');
    if (confirm !== s.name)
      throw badRequest(
        `Restoring ${s.name} replaces its data; confirm with its name (deis services:restore ${s.name} <file> --confirm ${s.name}).`,
      );
    if (!entry.restore && entry.restoreOffline && entry.dataPath)
      return this.restoreOffline(s, entry.dataPath, entry.restoreOffline, file);
    let size = 0;
    const counted = (async function* () {
      for await (const chunk of file) {
        size += chunk.length;
        yield chunk;
      }
    })();
    try {
      const staged = await this.run(
        s,
        ['sh', '-c', `umask 077; cat > ${RESTORE_FILE}`],
        {},
        { input: counted },
      );
      if (staged.exitCode !== 0)
        throw unprocessable(`The backup could not be written into ${s.name} (${lastLine(staged.stderr)}).`);
      if (size === 0) throw badRequest('Send the backup file as the body of the request; it was empty.');
      const restored = await this.run(
        s,
        ['sh', '-c', `"$@" < ${RESTORE_FILE}`, 'sh', ...cmd.command],
        cmd.env,
      );
      if (restored.exitCode !== 0)
        throw unprocessable(
          `${s.name} could not restore this file (${lastLine(restored.stderr)}); nothing was changed.`,
        );
    } finally {
      await this.run(s, ['rm', '-f', RESTORE_FILE]).catch(() => undefined);
    }
  }

  /**
   * A restore that swaps data files (Redis's RDB): the file is staged in the data folder and checked
   * while the service runs, so a file it could not load changes nothing; then the service is stopped,
   * the swap puts the file in place, and it starts again from it.
   */
  private async restoreOffline(
    s: ServiceRow,
    dataPath: string,
    offline: NonNullable<CatalogEntry['restoreOffline']>,
    file: AsyncIterable<Buffer>,
  ): Promise<void> {
    const replace = this.need(
      'replaceServiceData',
      `${s.kind} services cannot be restored on this target yet; use the Docker target.`,
    );
    const creds = this.credentials(s);
    const staged = `${dataPath}/${OFFLINE_RESTORE_FILE}`;
    const env = { DEIS_RESTORE_FILE: staged };
    let size = 0;
    const counted = (async function* () {
      for await (const chunk of file) {
        size += chunk.length;
        yield chunk;
      }
    })();
    let swapped = false;
    try {
      const put = await this.run(s, ['sh', '-c', 'umask 077; cat > "$DEIS_RESTORE_FILE"'], env, {
        input: counted,
      });
      if (put.exitCode !== 0)
        throw unprocessable(`The backup could not be written into ${s.name} (${lastLine(put.stderr)}).`);
      if (size === 0) throw badRequest('Send the backup file as the body of the request; it was empty.');
      const check = this.catalog.command(offline.check, creds);
      const checked = await this.run(s, check.command, { ...check.env, ...env });
      if (checked.exitCode !== 0)
        throw unprocessable(
          `${s.name} could not restore this file: it is not a backup ${this.catalog.get(s.kind)!.title} can load; nothing was changed.`,
        );
      const swap = this.catalog.command(offline.swap, creds);
      const readiness = this.catalog.command(this.catalog.get(s.kind)!.readiness, creds);
      swapped = true;
      await replace(s.name, { command: swap.command, env: { ...swap.env, ...env } }, readiness).catch(
        (err: unknown) => {
          if (err instanceof TargetError)
            throw unprocessable(`${s.name} could not be restored (${err.message}).`);
          throw err;
        },
      );
    } finally {
      if (!swapped) await this.run(s, ['rm', '-f', staged]).catch(() => undefined);
    }
  }

  /** The service container's last `lines` lines of output. */
  async logs(user: UserRow, name: string, lines: number): Promise<string[]> {
    const s = this.access(user, name);
    if (s.state === 'provisioning' && !this.target?.serviceLogs)
      throw conflict(`${s.name} is still being provisioned; its task shows the progress.`);
    const read = this.need('serviceLogs', 'Service logs are not available on this target yet.');
    try {
      return await read(s.name, lines);
    } catch (err) {
      if (err instanceof TargetError) throw unprocessable(err.message);
      throw err;
    }
  }

  /**
   * Bytes its data takes on disk (`du` of the data folder) and clients connected (the kind's own
   * count); each is null when the kind cannot say or the service does not answer in time.
   */
  async stats(user: UserRow, name: string): Promise<ServiceStats> {
    const s = this.access(user, name);
    if (s.state !== 'ready') return { size: null, connections: null };
    const entry = this.catalog.get(s.kind)!;
    const number = async (command: string[], env: Record<string, string>): Promise<number | null> => {
      let out = '';
      const signal = AbortSignal.timeout(SERVICE_STATS_MS);
      try {
        const r = await this.run(s, command, env, {
          signal,
          stdout: (c) => void (out = (out + c.toString()).slice(0, 256)),
        });
        const n = Number.parseInt(out.trim(), 10);
        return r.exitCode === 0 && Number.isFinite(n) && n >= 0 ? n : null;
      } catch {
        return null;
      }
    };
    const [kib, connections] = await Promise.all([
      entry.dataPath ? number(['du', '-sk', '--', entry.dataPath], {}) : Promise.resolve(null),
      entry.connections
        ? (() => {
            const c = this.catalog.command(entry.connections, this.credentials(s));
            return number(c.command, c.env);
          })()
        : Promise.resolve(null),
    ]);
    return { size: kib === null ? null : kib * 1024, connections };
  }

  /**
   * Makes a second service of a kind, attached under its alias, the app's main one: it takes the
   * kind's variable (DATABASE_URL) and the service that had it takes the alias, in one release.
   */
  async promote(user: UserRow, name: string, appId: string): Promise<{ var: string; release: ReleaseRow }> {
    const s = this.access(user, name);
    const app = this.apps.access(user, appId, 'POST');
    return this.serially(app.id, async () => {
      const entry = this.catalog.get(s.kind)!;
      const main = entry.envVar;
      const mine = this.store.db
        .prepare('SELECT var FROM service_attachments WHERE service_uuid = ? AND app_uuid = ?')
        .get(s.uuid, app.uuid) as { var: string } | undefined;
      if (!mine)
        throw conflict(
          `${s.name} is not attached to ${app.id}; attach it first (deis services:attach ${s.name} -a ${app.id}).`,
        );
      if (mine.var === main) throw conflict(`${s.name} is already ${main} on ${app.id}.`);
      const holder = this.store.db
        .prepare(
          'SELECT services.* FROM service_attachments JOIN services ON services.uuid = service_attachments.service_uuid WHERE app_uuid = ? AND var = ?',
        )
        .get(app.uuid, main) as ServiceRow | undefined;
      const values = configData(this.configs.current(app)).values;
      if (!holder && Object.hasOwn(values, main))
        throw conflict(
          `${main} on ${app.id} was set by hand, not by a service; unset it first (deis config:unset ${main} -a ${app.id}).`,
        );
      const host = await this.need('connectService')(s.name, app.id);
      const change: Record<string, string | null> = {
        [main]: this.catalog.url(s.kind, this.credentials(s), host),
        [mine.var]: null,
      };
      // The service that was main keeps its attachment, under the alias it would have been given.
      let demoted: string | undefined;
      if (holder) {
        demoted = `${entry.aliasPrefix}_${holder.name.toUpperCase().replace(/-/g, '_')}_URL`;
        if (demoted !== mine.var && Object.hasOwn(values, demoted))
          throw conflict(`${demoted} is already set on ${app.id}; unset it first, then promote ${s.name}.`);
        const holderHost = await this.need('connectService')(holder.name, app.id);
        change[demoted] = this.catalog.url(holder.kind, this.credentials(holder), holderHost);
      }
      const { release } = await this.configs.set(
        app,
        user,
        { values: change },
        `${user.username} promoted ${s.name} to ${main}` +
          (holder ? ` (${holder.name} is now ${demoted})` : ''),
      );
      this.store.tx(() => {
        const db = this.store.db;
        const set = db.prepare(
          'UPDATE service_attachments SET var = ? WHERE service_uuid = ? AND app_uuid = ?',
        );
        // Through a name nothing uses, since (app, var) is unique.
        if (holder) set.run(`-${holder.uuid}`, holder.uuid, app.uuid);
        set.run(main, s.uuid, app.uuid);
        if (holder) set.run(demoted, holder.uuid, app.uuid);
      });
      return { var: main, release };
    });
  }

  /**
   * What `services:connect` needs of a service the user may manage: a dialer to its port through the
   * target, and its URL as a desktop tool on this machine reaches it (127.0.0.1 and the local port).
   */
  forwardable(
    user: UserRow,
    name: string,
  ): { name: string; dial: () => Promise<Duplex>; url: (localPort: number) => string } {
    const s = this.access(user, name);
    if (s.state !== 'ready') throw conflict(`${s.name} is not ready; connect once it is.`);
    const dial = this.need('dialService', 'Connecting to a service is not available on this target yet.');
    const entry = this.catalog.get(s.kind)!;
    const creds = this.credentials(s);
    return {
      name: s.name,
      dial: () => dial(s.name, entry.port),
      url: (localPort) => this.catalog.url(s.kind, creds, '127.0.0.1', localPort),
    };
  }

  /** Restarts the service's container; its data stays. */
  async restart(user: UserRow, name: string): Promise<void> {
    const s = this.access(user, name);
    if (s.state !== 'ready') throw conflict(`${s.name} is not ready; it cannot be restarted.`);
    const entry = this.catalog.get(s.kind)!;
    await this.need('restartService')(s.name, this.catalog.command(entry.readiness, this.credentials(s)));
  }
}
