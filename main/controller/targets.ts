/**
 * Targets in the store: `local` (the core's own engine: always there, the default, never removed),
 * the Kubernetes clusters an administrator adds from a kubeconfig file, each with the registry its
 * images go to, and Docker engines on other hosts reached over SSH. Adding copies the chosen context
 * into DEIS_HOME (kubeconfig-import) and checks the target (API server, namespaces, registry login
 * and push; or the host key, the login, the engine and what a deploy makes there) before anything is
 * stored: a target that fails a check is not added and its copy is removed. An unknown host key is a
 * 409 naming it, trusted only when the request repeats its exact fingerprint. The registry password
 * is sealed and never answered; removing a target is refused while apps or backing services run on it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { checkKubeTarget } from '../../cluster/kubernetes/check';
import { describeStep, Kind, KindError } from '../../cluster/kind/kind';
import type { KindStep } from '../../cluster/kind/progress';
import { advertisedRegistry } from '../../cluster/kind/local-registry';
import { connectKube } from '../../cluster/kubernetes/client';
import {
  importKubeconfigContext,
  listKubeconfigContexts,
  targetKubeconfigPath,
  type KubeconfigSource,
} from '../../cluster/kubernetes/kubeconfig-import';
import type { AddedDockerTarget, AddedKubeTarget } from '../../cluster';
import { parseSshUrl } from '../../cluster/ssh/address';
import { ourKnownHosts, type BastionSettings } from '../../cluster/ssh/bastion';
import { hostKeyFiles, probeHostKey, type SshOptions } from '../../cluster/ssh/connect';
import { checkDockerHost } from '../../cluster/ssh/docker-check';
import type { PresentedHostKey } from '../../cluster/ssh/errors';
import { trustHostKey } from '../../cluster/ssh/known-hosts';
import { badRequest, conflict, forbidden, invalid, notFoundDetail } from '../contract/errors';
import { KIND_PROGRESS_STEPS_MAX, TARGETS_MAX } from '../contract/limits';
import {
  LOCAL_TARGET,
  targetKindOf,
  type AddTargetRequest,
  type KubeconfigContextsRequest,
  type RemoveTargetRequest,
  type TargetPowerResult,
  type KubeconfigContextsResult,
  type TargetInfo,
  type TargetCheck,
  type TargetKind,
  type TargetTestResult,
} from '../contract/targets';
import type { Store } from '../store/db';
import { timestamp } from '../store/clock';
import type { Sealer } from '../store/seal';
import type { Tasks } from './tasks';
import type { UserRow } from './users';

export interface TargetRow {
  name: string;
  kind: TargetKind;
  kubeconfig: string;
  context: string;
  /** The API server (kubernetes), or the host's `ssh://user@host[:port]` (docker). */
  server: string;
  server_version: string;
  registry: string;
  registry_username: string;
  registry_secret: string;
  bastion: string;
  /** The SSH key file: the bastion's (kubernetes) or the Docker host's (docker); empty: the agent and ~/.ssh/id_*. */
  bastion_identity: string;
  /** A kind target's cluster. */
  kind_cluster: string;
  owner_id: number | null;
  created: string;
  updated: string;
}

/** What the core knows of a target at run time (the multi-target's view). */
export interface TargetLiveStatus {
  state: TargetInfo['state'];
  message: string;
  routerUrl: string;
  /** Where apps on it answer HTTPS; empty when nowhere (yet). */
  routerHttpsUrl: string;
}

/** What the core says of `local`: the engine it was started with. */
export interface LocalTargetInfo {
  kind: TargetKind;
  server: string;
  context: string;
  registry: string;
  /** DEIS_KUBE_BASTION, when the core's own cluster is behind one. */
  bastion?: string;
}

const mayManage = (user: UserRow) => user.is_superuser === 1;

/** What the checks of an add answered. */
export interface TargetCheckAnswer {
  ok: boolean;
  checks: TargetCheck[];
  /** kind's steps with their times (`✓ Preparing nodes (1 node) 2.1 s`), for a kind target. */
  steps?: string[];
}

export class Targets {
  private status: (name: string) => TargetLiveStatus = () => ({
    state: 'idle',
    message: '',
    routerUrl: '',
    routerHttpsUrl: '',
  });
  private forgetter: (name: string, added: AddedKubeTarget | AddedDockerTarget | undefined) => Promise<void> =
    async () => {};
  private local: () => LocalTargetInfo & TargetLiveStatus = () => ({
    kind: 'docker',
    server: '',
    context: '',
    registry: '',
    state: 'ready',
    message: '',
    routerUrl: '',
    routerHttpsUrl: '',
  });

  constructor(
    private readonly store: Store,
    private readonly tasks: Tasks,
    private readonly sealer: Sealer,
    /** DEIS_HOME: added targets' kubeconfigs are copied under `targets/`. */
    private readonly home: string,
    /** The local engine: it logs in to registries and pushes to them for the checks. */
    private readonly docker: () => Docker,
  ) {}

  /** The `kind` program, pointed at the engine the core uses (core.ts gives its endpoint). */
  private kindTool: () => Kind = () => new Kind({ home: this.home, docker: this.docker });

  useKind(factory: () => Kind): void {
    this.kindTool = factory;
  }

  /** Wires what the running core knows: each target's state, `local`'s description, and letting go of a removed one. */
  useRuntime(runtime: {
    status: (name: string) => TargetLiveStatus;
    local: () => LocalTargetInfo & TargetLiveStatus;
    /** Lets go of a removed target and removes what it left on its cluster or host (its router). */
    forget: (name: string, added: AddedKubeTarget | AddedDockerTarget | undefined) => Promise<void>;
  }): void {
    this.status = runtime.status;
    this.local = runtime.local;
    this.forgetter = runtime.forget;
  }

  find(name: string): TargetRow | undefined {
    return this.store.db.prepare('SELECT * FROM targets WHERE name = ?').get(name) as TargetRow | undefined;
  }

  /** Whether apps may be put on `name`. */
  exists(name: string): boolean {
    return name === LOCAL_TARGET || this.find(name) !== undefined;
  }

  private rows(): TargetRow[] {
    return this.store.db.prepare('SELECT * FROM targets ORDER BY name').all() as TargetRow[];
  }

  private appsOn(name: string): string[] {
    return (
      this.store.db.prepare('SELECT id FROM apps WHERE target = ? ORDER BY id').all(name) as { id: string }[]
    ).map((r) => r.id);
  }

  private servicesOn(name: string): string[] {
    return (
      this.store.db.prepare('SELECT name FROM services WHERE target = ? ORDER BY name').all(name) as {
        name: string;
      }[]
    ).map((r) => r.name);
  }

  /** Every target, `local` first; any signed-in user may see them (no secret is in them). */
  list(): TargetInfo[] {
    const local = this.local();
    const counts = new Map(
      (
        this.store.db.prepare('SELECT target, COUNT(*) AS n FROM apps GROUP BY target').all() as {
          target: string;
          n: number;
        }[]
      ).map((r) => [r.target, r.n]),
    );
    const first: TargetInfo = {
      name: LOCAL_TARGET,
      kind: local.kind,
      default: true,
      state: local.state,
      message: local.message,
      server: local.server,
      context: local.context,
      server_version: '',
      registry: local.registry,
      registry_username: '',
      bastion: local.bastion ?? '',
      cluster: '',
      router_url: local.routerUrl,
      router_https_url: local.routerHttpsUrl || null,
      apps: counts.get(LOCAL_TARGET) ?? 0,
      created: '',
    };
    return [first, ...this.rows().map((r) => this.json(r, counts.get(r.name) ?? 0))];
  }

  private json(r: TargetRow, apps: number): TargetInfo {
    const live = this.status(r.name);
    return {
      name: r.name,
      kind: r.kind,
      default: false,
      state: live.state,
      message: live.message,
      server: r.server,
      context: r.context,
      server_version: r.server_version,
      registry: r.registry,
      registry_username: r.registry_username,
      bastion: r.bastion,
      cluster: r.kind_cluster,
      router_url: live.routerUrl,
      router_https_url: live.routerHttpsUrl || null,
      apps,
      created: r.created,
    };
  }

  get(name: string): TargetInfo {
    if (name === LOCAL_TARGET) return this.list()[0]!;
    const row = this.find(name);
    if (!row) throw notFoundDetail(`No target named ${name}; see deis targets.`);
    return this.json(row, this.appsOn(name).length);
  }

  /** How to reach an added target, its registry password unsealed (for the core only). */
  settingsOf(name: string): AddedKubeTarget | undefined {
    const row = this.find(name);
    if (row?.kind === 'kind') return this.kindSettings(row);
    if (!row || row.kind !== 'kubernetes') return undefined;
    return {
      name: row.name,
      kube: {
        kubeconfig: row.kubeconfig,
        context: row.context || undefined,
        ...(row.bastion ? { bastion: this.bastionOf(row.bastion, row.bastion_identity) } : {}),
      },
      registry: {
        address: row.registry,
        ...(row.registry_username
          ? { username: row.registry_username, password: this.sealer.open(row.registry_secret) }
          : {}),
      },
    };
  }

  /**
   * A kind cluster: its kubeconfig in DEIS_HOME; images pushed to its local registry when it has
   * one (kind's recipe; the faster path, see bench/kind-delivery.ts), else loaded with `kind load docker-image`.
   */
  private kindSettings(row: TargetRow): AddedKubeTarget {
    const cluster = row.kind_cluster;
    const kube = { kubeconfig: row.kubeconfig, context: row.context || undefined };
    if (row.registry) {
      const registry = {
        address: row.registry,
        ...(row.registry_username
          ? { username: row.registry_username, password: this.sealer.open(row.registry_secret) }
          : {}),
      };
      return { name: row.name, kube, registry, delivery: { kind: 'registry', registry } };
    }
    return {
      name: row.name,
      kube,
      registry: { address: '' },
      delivery: {
        kind: 'load',
        where: `the kind cluster "${cluster}"`,
        load: (ref, log) => this.kindTool().loadImage(cluster, ref, log),
      },
    };
  }

  /** How to reach an added Docker host over SSH (for the core only). */
  dockerSettingsOf(name: string): AddedDockerTarget | undefined {
    const row = this.find(name);
    if (!row || row.kind !== 'docker') return undefined;
    return { name: row.name, url: row.server, ssh: this.sshOf(row.bastion_identity) };
  }

  private sshOf(identity: string | undefined): SshOptions {
    return { ...(identity ? { identity } : {}), knownHosts: ourKnownHosts(this.home) };
  }

  /** How to reach a bastion: its key file, and our known_hosts besides the user's. */
  private bastionOf(url: string, identity: string): BastionSettings {
    return { url, ...(identity ? { identity } : {}), knownHosts: ourKnownHosts(this.home) };
  }

  /** A path must be absolute (the CLI resolves it); content is taken as sent (its size was bounded on arrival). */
  private kubeconfigSource(input: { kubeconfig?: string; kubeconfig_content?: string }): KubeconfigSource {
    if (input.kubeconfig_content !== undefined) return { content: input.kubeconfig_content };
    if (!input.kubeconfig || !path.isAbsolute(input.kubeconfig))
      throw invalid('kubeconfig', 'Give the kubeconfig as an absolute path (the CLI resolves it for you).');
    return input.kubeconfig;
  }

  /** The contexts of a kubeconfig, to choose one before adding a target (administrators only, as adding). */
  async contexts(user: UserRow, input: KubeconfigContextsRequest): Promise<KubeconfigContextsResult> {
    if (!mayManage(user))
      throw forbidden('Only an administrator may add targets: a target reads a file of this machine.');
    const listing = await listKubeconfigContexts(this.kubeconfigSource(input));
    return { current_context: listing.currentContext, contexts: listing.contexts };
  }

  /**
   * Adds a Kubernetes cluster from a kubeconfig on this machine (or its text) (administrators only: it reads a
   * file of the host). The context is copied into DEIS_HOME, then checked; a failed check removes
   * the copy and stores nothing, and the answer is the check's sentence.
   */
  async add(
    user: UserRow,
    input: AddTargetRequest,
  ): Promise<{ target: TargetInfo; checks: TargetCheckAnswer }> {
    if (!mayManage(user))
      throw forbidden('Only an administrator may add targets: a target reads a file of this machine.');
    const name = input.name;
    if (name === LOCAL_TARGET)
      throw invalid('name', 'local is the name of the engine the core runs on; pick another name.');
    if (this.find(name))
      throw conflict(`A target named "${name}" already exists; pick another name or remove it first.`);
    const count = (this.store.db.prepare('SELECT COUNT(*) AS n FROM targets').get() as { n: number }).n;
    if (count >= TARGETS_MAX)
      throw badRequest(
        `Deis Desktop keeps at most ${TARGETS_MAX} targets; remove one before adding another.`,
      );
    if (!this.home) throw badRequest('This core has no DEIS_HOME to keep a target in.');
    // Undone when the add fails: a host key trusted on the way (nothing of a failed add is kept).
    const undo: (() => void)[] = [];
    try {
      const kind = targetKindOf(input);
      return kind === 'docker'
        ? await this.addDocker(user, input, undo)
        : kind === 'kind'
          ? await this.addKind(user, input)
          : await this.addKube(user, input, undo);
    } catch (err) {
      for (const u of undo.reverse()) u();
      throw err;
    }
  }

  /**
   * What to do with a host key no known_hosts file has: without `trust`, nothing (the add answers
   * 409 with the key); with the fingerprint the host presents, it is appended to our own
   * known_hosts (and removed again if the add fails); another fingerprint trusts nothing.
   */
  private unknownKeyPolicy(trust: string | undefined, undo: (() => void)[]) {
    const seen: { key?: PresentedHostKey } = {};
    const decide = (key: PresentedHostKey): boolean => {
      seen.key = key;
      if (!trust || trust !== key.fingerprint) return false;
      const ours = ourKnownHosts(this.home);
      const before = fs.existsSync(ours) ? fs.statSync(ours).size : -1;
      trustHostKey(hostKeyFiles({}), ours, key);
      undo.push(() => {
        if (before < 0) fs.rmSync(ours, { force: true });
        else fs.truncateSync(ours, before);
      });
      return true;
    };
    /** The answer to an add that stopped at an unknown key. */
    const refusal = (key: PresentedHostKey) => {
      const host = { host: key.name, type: key.type, fingerprint: key.fingerprint };
      if (trust && trust !== key.fingerprint)
        return invalid(
          'trust_host_key',
          `The host ${key.name} presented the ${key.type} key ${key.fingerprint}, not ${trust}: nothing was trusted. Check the fingerprint with the host's owner.`,
        );
      return conflict(
        `The host ${key.name} is not known: it presented the ${key.type} key ${key.fingerprint}. If that is its key (ask its owner, or run ssh-keygen -lf on its host key), add the target again with trust_host_key set to that fingerprint.`,
        { host_key: host },
      );
    };
    return { decide, refusal, seen };
  }

  /**
   * Adds a Docker engine on another host over SSH: its host key, the login, the engine and what a
   * deploy makes there are checked as a task before anything is stored.
   */
  private async addDocker(
    user: UserRow,
    input: AddTargetRequest,
    undo: (() => void)[],
  ): Promise<{ target: TargetInfo; checks: TargetCheckAnswer }> {
    const name = input.name;
    const url = input.docker!;
    try {
      parseSshUrl(url, 'The Docker host');
    } catch (err) {
      throw invalid('docker', (err as Error).message);
    }
    if (input.identity && !path.isAbsolute(input.identity))
      throw invalid('identity', 'Give the key file as an absolute path (the CLI resolves it for you).');
    const policy = this.unknownKeyPolicy(input.trust_host_key, undo);
    const task = this.tasks.start('target', `Adding the target ${name}`);
    const result = await checkDockerHost({
      url,
      ssh: this.sshOf(input.identity),
      step: (s) => task.step(s),
      unknownKey: policy.decide,
    });
    for (const c of result.checks) task.log(`${c.ok ? 'ok' : 'failed'}: ${c.message}`);
    const failed = result.checks.find((c) => !c.ok);
    if (failed) {
      task.fail(failed.message);
      if (result.unknownKey) throw policy.refusal(result.unknownKey);
      throw badRequest(`The target ${name} was not added: ${failed.message}`);
    }
    task.succeed();
    this.insert(user, {
      name,
      kind: 'docker',
      server: url,
      server_version: result.version ?? '',
      bastion_identity: input.identity ?? '',
    });
    return { target: this.get(name), checks: result };
  }

  /** One new row, in one transaction that refuses a name taken meanwhile. */
  private insert(user: UserRow, row: Partial<TargetRow> & { name: string; kind: TargetKind }): void {
    const now = timestamp();
    this.store.tx(() => {
      if (this.find(row.name))
        throw conflict(`A target named "${row.name}" already exists; pick another name or remove it first.`);
      this.store.db
        .prepare(
          `INSERT INTO targets (name, kind, kubeconfig, context, server, server_version, registry, registry_username, registry_secret, bastion, bastion_identity, kind_cluster, owner_id, created, updated)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          row.name,
          row.kind,
          row.kubeconfig ?? '',
          row.context ?? '',
          row.server ?? '',
          row.server_version ?? '',
          row.registry ?? '',
          row.registry_username ?? '',
          row.registry_secret ?? '',
          row.bastion ?? '',
          row.bastion_identity ?? '',
          row.kind_cluster ?? '',
          user.id,
          now,
          now,
        );
    });
  }

  /**
   * A bastion's host key, before the checks reach through it: an unknown one is trusted only as
   * `trust_host_key` says (else a 409 naming it). A changed one, or a bastion that cannot be
   * reached, is left for the API server check to say.
   */
  private async admitBastionKey(
    url: string,
    ssh: SshOptions,
    policy: ReturnType<Targets['unknownKeyPolicy']>,
  ): Promise<void> {
    const probe = await probeHostKey(parseSshUrl(url, 'The bastion'), ssh).catch(() => undefined);
    if (probe?.refusal?.code !== 'host_key_unknown') return;
    if (!policy.decide(probe.key)) throw policy.refusal(probe.key);
  }

  private async addKube(
    user: UserRow,
    input: AddTargetRequest,
    undo: (() => void)[],
  ): Promise<{ target: TargetInfo; checks: TargetCheckAnswer }> {
    const name = input.name;
    const source = this.kubeconfigSource(input);
    if (input.bastion)
      try {
        parseSshUrl(input.bastion, 'The bastion');
      } catch (err) {
        throw invalid('bastion', (err as Error).message);
      }
    if (input.bastion_identity && !path.isAbsolute(input.bastion_identity))
      throw invalid(
        'bastion_identity',
        'Give the key file as an absolute path (the CLI resolves it for you).',
      );
    if (!input.registry)
      throw invalid(
        'registry',
        'A Kubernetes target needs the registry its images are pushed to (host:port), and its login if it has one.',
      );
    const imported = await importKubeconfigContext({
      home: this.home,
      name,
      file: source,
      context: input.context,
    });
    const folder = path.dirname(imported.kubeconfig);
    try {
      const registry = {
        address: input.registry,
        ...(input.registry_username
          ? { username: input.registry_username, password: input.registry_password }
          : {}),
      };
      const task = this.tasks.start('target', `Adding the target ${name}`);
      if (input.bastion) {
        task.step('Checking the host key of the bastion');
        try {
          await this.admitBastionKey(
            input.bastion,
            this.sshOf(input.bastion_identity),
            this.unknownKeyPolicy(input.trust_host_key, undo),
          );
        } catch (err) {
          task.fail((err as Error).message);
          throw err;
        }
      }
      const checks = await checkKubeTarget({
        kube: {
          kubeconfig: imported.kubeconfig,
          context: imported.context.name,
          ...(input.bastion ? { bastion: this.bastionOf(input.bastion, input.bastion_identity ?? '') } : {}),
        },
        registry,
        docker: this.docker(),
        step: (s) => task.step(s),
      });
      for (const c of checks.checks) task.log(`${c.ok ? 'ok' : 'failed'}: ${c.message}`);
      const failed = checks.checks.find((c) => !c.ok);
      if (failed) {
        task.fail(failed.message);
        throw badRequest(`The target ${name} was not added: ${failed.message}`);
      }
      task.succeed();
      this.insert(user, {
        name,
        kind: 'kubernetes',
        kubeconfig: imported.kubeconfig,
        context: imported.context.name,
        server: imported.context.server,
        server_version: checks.version ?? '',
        registry: input.registry,
        registry_username: input.registry_username ?? '',
        registry_secret: input.registry_password ? this.sealer.seal(input.registry_password) : '',
        bastion: input.bastion ?? '',
        bastion_identity: input.bastion_identity ?? '',
      });
      return { target: this.get(name), checks };
    } catch (err) {
      fs.rmSync(folder, { recursive: true, force: true });
      throw err;
    }
  }

  /** A failure of kind as the add's answer: what to install when it is missing, else kind's sentence. */
  private kindRefusal(name: string, err: unknown): unknown {
    if (!(err instanceof KindError)) return err;
    return badRequest(err.missing ? err.message : `The target ${name} was not added: ${err.message}`);
  }

  /** kind's steps as the task's: each named step starts as kind starts it and its time is logged as it ends. */
  private kindSteps(task: ReturnType<Tasks['start']>): (step: KindStep) => void {
    const started = new Set<string>();
    return (step) => {
      const label = step.detail ? `${step.label} (${step.detail})` : step.label;
      if (step.state === 'running') {
        if (started.has(step.key)) return;
        started.add(step.key);
        task.step(label);
        return;
      }
      // A terminal's output names a step only as it ends.
      if (!started.has(step.key)) {
        started.add(step.key);
        task.step(label);
      }
      task.log(describeStep(step));
    };
  }

  /**
   * Adopts a local kind cluster, or creates it (`create`) as a task whose named steps are kind's own
   * (ensuring node image, preparing nodes, …, each with its time). Its kubeconfig, from `kind get
   * kubeconfig`, is kept in DEIS_HOME/targets/<name>/ (mode 0600), never in ~/.kube/config; images
   * reach it with `kind load docker-image`. Without `kind` on PATH: a 400 saying what to install,
   * and nothing is stored.
   */
  private async addKind(
    user: UserRow,
    input: AddTargetRequest,
  ): Promise<{ target: TargetInfo; checks: TargetCheckAnswer }> {
    const name = input.name;
    const cluster = input.cluster ?? name;
    const kind = this.kindTool();
    let version: string;
    try {
      version = await kind.version();
    } catch (err) {
      throw this.kindRefusal(name, err);
    }
    const file = targetKubeconfigPath(this.home, name);
    const folder = path.dirname(file);
    if (fs.existsSync(folder))
      throw conflict(`A target named "${name}" already exists; pick another name or remove it first.`);
    const task = this.tasks.start(
      'target',
      `${input.create ? 'Creating' : 'Adopting'} the kind cluster ${cluster} as the target ${name}`,
    );
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    try {
      task.step('Looking for the kind cluster');
      const clusters = await kind.clusters();
      const exists = clusters.includes(cluster);
      if (input.create && exists)
        throw conflict(
          `A kind cluster named "${cluster}" already exists; add it without create (--create) to use it as it is.`,
        );
      if (!input.create && !exists)
        throw badRequest(
          `There is no kind cluster named "${cluster}" (${clusters.length ? `kind has ${clusters.slice(0, 10).join(', ')}` : 'kind has none'}); add it with create (deis targets:add ${name} --kind=${cluster} --create) to create it.`,
        );
      const onStep = this.kindSteps(task);
      const steps: string[] = [];
      const record = (step: KindStep) => {
        onStep(step);
        if (step.state !== 'running' && steps.length < KIND_PROGRESS_STEPS_MAX)
          steps.push(describeStep(step));
      };
      if (input.create) await kind.create({ name: cluster, kubeconfig: file }, record);
      else {
        task.step('Reading the kubeconfig');
        await kind.writeKubeconfig(cluster, file);
      }
      const listing = await listKubeconfigContexts(file);
      const context = listing.contexts.find((c) => c.current) ?? listing.contexts[0];
      const kube = { kubeconfig: file, context: context?.name };
      // The faster path when there is one: the registry given, or the one the cluster advertises.
      const address =
        input.registry ??
        (await connectKube(kube)
          .then(advertisedRegistry)
          .catch(() => undefined));
      const registry = address
        ? {
            address,
            ...(input.registry_username
              ? { username: input.registry_username, password: input.registry_password }
              : {}),
          }
        : undefined;
      if (address && !input.registry)
        task.log(`The cluster advertises the local registry ${address}: images are pushed there.`);
      const checks = await checkKubeTarget({
        kube,
        docker: this.docker(),
        ...(registry
          ? { registry }
          : {
              loads: `Images are loaded into the nodes of the kind cluster "${cluster}" with kind load docker-image (${version}); no registry is needed.`,
            }),
        step: (s) => task.step(s),
      });
      for (const c of checks.checks) task.log(`${c.ok ? 'ok' : 'failed'}: ${c.message}`);
      const failed = checks.checks.find((c) => !c.ok);
      if (failed) throw badRequest(`The target ${name} was not added: ${failed.message}`);
      task.succeed();
      this.insert(user, {
        name,
        kind: 'kind',
        kubeconfig: file,
        context: context?.name ?? '',
        server: checks.server ?? context?.server ?? '',
        server_version: checks.version ?? '',
        registry: registry?.address ?? '',
        registry_username: registry?.username ?? '',
        registry_secret: registry?.password ? this.sealer.seal(registry.password) : '',
        kind_cluster: cluster,
      });
      return { target: this.get(name), checks: { ...checks, steps: steps.slice() } };
    } catch (err) {
      task.fail((err as Error).message);
      fs.rmSync(folder, { recursive: true, force: true });
      throw this.kindRefusal(name, err);
    }
  }

  /** The kind target `name` (404 when there is none, 400 when it is another kind). */
  private kindRow(name: string, what: string): TargetRow {
    // `local` is the core's own engine, never a kind cluster of ours.
    const row = name === LOCAL_TARGET ? undefined : this.find(name);
    if (!row && name !== LOCAL_TARGET) throw notFoundDetail(`No target named ${name}; see deis targets.`);
    if (row?.kind !== 'kind')
      throw badRequest(
        `${name} is not a kind target: only a kind cluster's nodes are ${what} by Deis Desktop.`,
      );
    return row;
  }

  /**
   * Starts or stops a kind target's cluster (administrators only): `docker start`/`stop` of its node
   * containers, as a task with a named step and its time. A failure is a 400 with kind's sentence.
   */
  async power(user: UserRow, name: string, action: 'start' | 'stop'): Promise<TargetPowerResult> {
    if (!mayManage(user)) throw forbidden(`Only an administrator may ${action} targets.`);
    const row = this.kindRow(name, action === 'start' ? 'started' : 'stopped');
    const cluster = row.kind_cluster;
    const task = this.tasks.start(
      'target',
      `${action === 'start' ? 'Starting' : 'Stopping'} the kind cluster ${cluster} (${name})`,
    );
    const steps: string[] = [];
    const onStep = this.kindSteps(task);
    const record = (step: KindStep) => {
      onStep(step);
      if (step.state !== 'running') steps.push(describeStep(step));
    };
    try {
      const kind = this.kindTool();
      if (action === 'start') await kind.start(cluster, record);
      else await kind.stop(cluster, record);
    } catch (err) {
      task.fail((err as Error).message);
      if (err instanceof KindError) throw badRequest(err.message);
      throw err;
    }
    task.succeed();
    return { name, action, ok: true, task: task.id, steps };
  }

  /** Checks a target again, as a task with a named step per check (administrators: it pushes with the stored login). */
  async test(user: UserRow, name: string): Promise<TargetTestResult> {
    if (!mayManage(user)) throw forbidden('Only an administrator may test targets.');
    if (name === LOCAL_TARGET) {
      const local = this.local();
      const task = this.tasks.start('target', `Testing the target ${name}`);
      task.step('Reaching the engine');
      const ok = local.state === 'ready';
      const message = ok
        ? `The local target is ready${local.server ? ` (${local.server})` : ''}.`
        : local.message;
      if (ok) task.succeed();
      else task.fail(message);
      return { name, ok, checks: [{ name: 'engine', ok, message }], task: task.id };
    }
    const dockerHost = this.dockerSettingsOf(name);
    const settings = this.settingsOf(name);
    if (!settings && !dockerHost) throw notFoundDetail(`No target named ${name}; see deis targets.`);
    const task = this.tasks.start('target', `Testing the target ${name}`);
    const loads =
      settings?.delivery?.kind === 'load'
        ? `Images are loaded into the nodes of ${settings.delivery.where} with kind load docker-image; no registry is needed.`
        : undefined;
    const result = dockerHost
      ? await checkDockerHost({ url: dockerHost.url, ssh: dockerHost.ssh, step: (s) => task.step(s) })
      : await checkKubeTarget({
          kube: settings!.kube,
          registry: settings!.registry,
          ...(loads ? { loads } : {}),
          docker: this.docker(),
          step: (s) => task.step(s),
        });
    for (const c of result.checks) task.log(`${c.ok ? 'ok' : 'failed'}: ${c.message}`);
    const failed = result.checks.find((c) => !c.ok);
    if (failed) task.fail(failed.message);
    else task.succeed();
    if (result.version)
      this.store.tx(() => {
        this.store.db
          .prepare('UPDATE targets SET server_version = ?, updated = ? WHERE name = ?')
          .run(result.version, timestamp(), name);
      });
    return { name, ok: result.ok, checks: result.checks, task: task.id };
  }

  /**
   * Removes a target no app or backing service runs on (administrators only); `local` is never removed. A kind
   * target's cluster is left as it is, unless `delete_cluster` is asked with the target's name typed
   * again as `confirm`: then `kind delete cluster` runs first (as a task), and a failure keeps the target.
   */
  async remove(user: UserRow, name: string, options: RemoveTargetRequest = {}): Promise<void> {
    if (!mayManage(user)) throw forbidden('Only an administrator may remove targets.');
    if (name === LOCAL_TARGET)
      throw badRequest('local is the engine the core runs on: it is always there and cannot be removed.');
    let added: AddedKubeTarget | AddedDockerTarget | undefined =
      this.settingsOf(name) ?? this.dockerSettingsOf(name);
    if (options.delete_cluster) {
      const row = this.kindRow(name, 'deleted');
      if (options.confirm !== name)
        throw invalid(
          'confirm',
          `To delete the kind cluster "${row.kind_cluster}" with the target, type the target's name (${name}) as confirm.`,
        );
      const apps = this.appsOn(name);
      if (apps.length)
        throw conflict(
          `The target ${name} still runs ${apps.length} app${apps.length === 1 ? '' : 's'} (${apps.slice(0, 10).join(', ')}${apps.length > 10 ? ', …' : ''}); destroy ${apps.length === 1 ? 'it' : 'them'} first.`,
        );
      // A service's data is in the cluster: deleting the cluster would take it without a word.
      const services = this.servicesOn(name);
      if (services.length)
        throw conflict(
          `The target ${name} still has ${services.length} backing service${services.length === 1 ? '' : 's'} (${services.slice(0, 10).join(', ')}${services.length > 10 ? ', …' : ''}); destroy ${services.length === 1 ? 'it' : 'them'} first (deis services:destroy ${services[0]}).`,
        );
      const task = this.tasks.start('target', `Deleting the kind cluster ${row.kind_cluster} (${name})`);
      try {
        await this.kindTool().delete(row.kind_cluster, this.kindSteps(task), row.kubeconfig);
      } catch (err) {
        task.fail((err as Error).message);
        if (err instanceof KindError) throw badRequest(`The target ${name} was kept: ${err.message}`);
        throw err;
      }
      task.succeed();
      // Nothing of it is left to clean up there.
      added = undefined;
    }
    const row = this.store.tx(() => {
      const found = this.find(name);
      if (!found) throw notFoundDetail(`No target named ${name}; see deis targets.`);
      const apps = this.appsOn(name);
      if (apps.length)
        throw conflict(
          `The target ${name} still runs ${apps.length} app${apps.length === 1 ? '' : 's'} (${apps.slice(0, 10).join(', ')}${apps.length > 10 ? ', …' : ''}); destroy ${apps.length === 1 ? 'it' : 'them'} first.`,
        );
      // Its backing services' containers and data are there: they are destroyed by name, not by accident.
      const services = this.servicesOn(name);
      if (services.length)
        throw conflict(
          `The target ${name} still has ${services.length} backing service${services.length === 1 ? '' : 's'} (${services.slice(0, 10).join(', ')}${services.length > 10 ? ', …' : ''}); destroy ${services.length === 1 ? 'it' : 'them'} first (deis services:destroy ${services[0]}).`,
        );
      this.store.db.prepare('DELETE FROM targets WHERE name = ?').run(name);
      return found;
    });
    await this.forgetter(name, added);
    fs.rmSync(path.dirname(targetKubeconfigPath(this.home, row.name)), { recursive: true, force: true });
  }
}
