/** Creates the core's services and hands them to each other; the entry points only call `startCore`. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningTarget } from '../cluster';
import type { DesiredApp } from '../cluster/target';
import {
  addedTargetInstance,
  createAddedDockerTarget,
  createAddedKubeTarget,
  removeDockerHostInstance,
} from '../cluster';
import { removeKubeInstance } from '../cluster/kubernetes/instance';
import { Kind } from '../cluster/kind/kind';
import { MultiTarget } from '../cluster/multi-target';
import { createSwitchableTarget } from '../cluster/switchable-target';
import { LOCAL_TARGET } from './contract/targets';
import { LocalAuthority } from './tls/authority';
import { apiRouter } from './api';
import { createApiServer, listen, listenForRouter } from './api/server';
import { ShellGateway } from './api/shell';
import { CORE_SOCKET_NAME, coreSocketDir } from '../cluster/docker/router/config';
import { hostKeyFingerprint, loadOrCreateHostKey } from './builder/hostkey';
import { watchReleaseImages } from './builder/release-images';
import { startBuilderService } from './builder/service';
import { dockerEndpoint, dockerEngine, useDeisHome } from '../cluster/docker/engine';
import { ourKnownHosts } from '../cluster/ssh/known-hosts';
import { displayHost } from '../cluster/docker/engine-discovery';
import { DEFAULT_KEEP_RELEASE_IMAGES, TARGET_CHECK_STEP_MS } from './contract/limits';
import { Controller } from './controller';
import { configData } from './controller/config';
import { Scheduler } from './controller/scheduler';
import { Metrics } from './controller/metrics';
import { dockerState } from './engine-state';
import {
  DEFAULT_INSTANCE,
  DEFAULT_PLATFORM_DOMAIN,
  DEFAULT_ROUTER_BASE,
  rendererDir,
  type CoreSettings,
} from './settings';
import { openStore } from './store/db';
import { Sealer } from './store/seal';
import { ServiceCatalog } from './controller/service-catalog';

export interface Core {
  settings: CoreSettings;
  controller: Controller;
  scheduler: Scheduler;
  /** Where releases run. */
  target: RunningTarget;
  /** The port the API really listens on (differs from settings when 0 was asked for). */
  apiPort: number;
  /** The port the builder's SSH server really listens on. */
  builderPort: number;
  /** The builder's SSH host key fingerprint (`SHA256:…`), which ssh shows on the first push. */
  builderFingerprint: string;
  apiUrl: string;
  /** The metrics collector (the benchmark switches it off and on). */
  metrics: Metrics;
  /** Settles when the target's first start attempt ends (adoption, router): whether it is ready. */
  targetStarted: Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * DEIS_HOME holds the store, keys, repositories and logs: only its owner may enter it, whatever mode
 * it had. (Files are made private one by one too; the process umask is left alone, build contexts
 * need their modes.)
 */
function privateHome(home: string, log: (line: string) => void): void {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const mode = fs.statSync(home).mode & 0o777;
  if (mode === 0o700) return;
  fs.chmodSync(home, 0o700);
  log(`core: ${home} was mode ${mode.toString(8)}; made it 0700 (it holds the store and keys)`);
}

/**
 * The API at deis.<platform domain>:<router port>: the router's nginx passes the host's requests for
 * that name to this socket in DEIS_HOME. A core that cannot listen there still serves on 127.0.0.1.
 */
async function serveThroughRouter(
  server: Parameters<typeof listenForRouter>[0],
  home: string,
  stops: (() => Promise<void> | void)[],
  log: (line: string) => void,
): Promise<void> {
  const dir = coreSocketDir(home);
  const socket = path.join(dir, CORE_SOCKET_NAME);
  // A unix socket's path has room for 107 bytes on Linux (103 on macOS).
  if (Buffer.byteLength(socket) > 103) {
    log(
      `core: the API is not served through the router: the path ${socket} is too long for a socket; use a shorter DEIS_HOME`,
    );
    return;
  }
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
    // The router's nginx (another user) passes through it; DEIS_HOME around it keeps others out.
    fs.chmodSync(dir, 0o711);
    stops.push(await listenForRouter(server, socket));
  } catch (err) {
    log(
      `core: the API is not served through the router: cannot listen on ${socket}: ${(err as Error).message}`,
    );
  }
}

export async function startCore(
  settings: CoreSettings,
  log: (line: string) => void = console.log,
): Promise<Core> {
  privateHome(settings.home, log);
  // Which Docker engine builds (and, on Docker, runs) apps, and why that one: found as the docker
  // CLI finds it. A chosen Docker context that cannot be used stops the start, as it stops `docker`.
  // An ssh:// engine's host key may also be one the user trusted in DEIS_HOME/ssh/known_hosts.
  useDeisHome(settings.home);
  const engine = settings.target === 'fake' ? undefined : dockerEndpoint();
  if (engine) log(`engine: ${engine.reason}`);
  // A damaged host key stops the core before the store is opened (or made): nothing has changed yet.
  const builderFingerprint = hostKeyFingerprint(loadOrCreateHostKey(path.join(settings.home, 'builder')));
  // Everything started so far, stopped in reverse order on shutdown or when a later step fails.
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const store = openStore(path.join(settings.home, 'deis.db'));
    stops.push(() => store.close());
    const controller = new Controller(store, {
      platformDomain: settings.platformDomain ?? DEFAULT_PLATFORM_DOMAIN,
      serviceCatalog: new ServiceCatalog(path.join(settings.resources, 'services')),
      sealer: Sealer.open(settings.home),
      home: settings.home,
    });

    // The local certificate authority behind HTTPS on every <app>.<platform domain>: made once,
    // kept in DEIS_HOME; a damaged one stops the core here, naming its files.
    const authority = LocalAuthority.open(
      path.join(settings.home, 'tls'),
      settings.platformDomain ?? DEFAULT_PLATFORM_DOMAIN,
    );
    const target = createSwitchableTarget({
      authority,
      kind: settings.target ?? 'docker',
      instance: settings.instance ?? DEFAULT_INSTANCE,
      home: settings.home,
      routerPort: settings.routerPort,
      routerTlsPort: settings.routerTlsPort,
      routerTlsPortDefault: settings.routerTlsPortDefault,
      routerBase: settings.routerBase ?? DEFAULT_ROUTER_BASE,
      platformDomain: settings.platformDomain ?? DEFAULT_PLATFORM_DOMAIN,
      // A store made in this start knows no apps, so every container of the instance would look
      // like an orphan: they may be another store's, and are left alone.
      keepOrphans: store.fresh,
      // A bastion's host key is also looked up in (and trusted into) DEIS_HOME/ssh/known_hosts.
      kubernetes: settings.kubernetes?.kube.bastion
        ? {
            ...settings.kubernetes,
            kube: {
              ...settings.kubernetes.kube,
              bastion: { knownHosts: ourKnownHosts(settings.home), ...settings.kubernetes.kube.bastion },
            },
          }
        : settings.kubernetes,
    });
    // One core, many targets: each app's work goes to its own target; `local` is the one above,
    // the targets a user added are made from the store when one of their apps needs them.
    const targetSettings = {
      authority,
      kind: settings.target ?? 'docker',
      instance: settings.instance ?? DEFAULT_INSTANCE,
      home: settings.home,
      routerPort: settings.routerPort,
      routerBase: settings.routerBase ?? DEFAULT_ROUTER_BASE,
      platformDomain: settings.platformDomain ?? DEFAULT_PLATFORM_DOMAIN,
    } as const;
    const targetOf = (app: string) => controller.apps.find(app)?.target ?? LOCAL_TARGET;
    const targets = new MultiTarget(
      target,
      {
        targetOf,
        make: (name) => {
          const added = controller.targets.settingsOf(name);
          if (added) return createAddedKubeTarget({ ...targetSettings }, added);
          const host = controller.targets.dockerSettingsOf(name);
          return host ? createAddedDockerTarget({ ...targetSettings }, host) : undefined;
        },
        desiredOn: (name): DesiredApp[] =>
          scheduler.allDesired().filter((a) => targetOf(a.release.app) === name),
        serviceTargetOf: (service) => controller.services.targetOf(service),
      },
      log,
    );
    const scheduler = new Scheduler(controller, targets);
    // kind runs the docker CLI: it is pointed at the engine the core found.
    controller.targets.useKind(() => new Kind({ home: settings.home, engine, docker: dockerEngine }));
    controller.targets.useRuntime({
      status: (name) => targets.status(name),
      forget: async (name, added) => {
        await targets.forget(name);
        // Its router is all that is left there (it had no apps); a cluster or host that is away keeps it.
        if (!added) return;
        const instance = addedTargetInstance(targetSettings.instance, name);
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('it did not answer')), TARGET_CHECK_STEP_MS);
        });
        await Promise.race([
          'kube' in added
            ? removeKubeInstance(added.kube, instance)
            : removeDockerHostInstance(added, instance),
          late,
        ])
          .catch((err: Error) => log(`target ${name}: its router was not removed from there: ${err.message}`))
          .finally(() => clearTimeout(timer));
      },
      local: () => ({
        kind: settings.target === 'kubernetes' ? 'kubernetes' : 'docker',
        server:
          settings.target === 'kubernetes'
            ? (settings.kubernetes?.kube.kubeconfig ?? '')
            : engine
              ? displayHost(engine.host, os.homedir())
              : '',
        context:
          settings.target === 'kubernetes'
            ? (settings.kubernetes?.kube.context ?? '')
            : (engine?.context ?? ''),
        registry: settings.kubernetes?.registry.address ?? '',
        bastion: settings.kubernetes?.kube.bastion?.url ?? '',
        state: scheduler.readiness.ready ? 'ready' : 'starting',
        message: scheduler.readiness.ready ? '' : scheduler.readiness.reason(),
        routerUrl: target.routerUrl || (target.routerPort ? `http://127.0.0.1:${target.routerPort}` : ''),
        routerHttpsUrl:
          target.routerTlsUrl || (target.routerTlsPort ? `https://127.0.0.1:${target.routerTlsPort}` : ''),
      }),
    });
    // Each backing service runs on its own target, the one of the apps it may be attached to.
    controller.services.useTarget(targets);
    // The controller's events, in the app's log as Deis wrote them (before the deploy's own lines).
    controller.releases.onRelease(async ({ app, release, cause }) => {
      if (cause === 'config') scheduler.note(app, `config ${app.id} updated`);
      if (cause === 'build' && release.build_uuid) scheduler.note(app, `build ${release.build_uuid} created`);
      scheduler.note(app, release.summary);
    });
    controller.releases.onRelease(scheduler.onRelease);
    // After the deploy (a failed one never gets here: its request or push records the failure).
    // Config changes and rollbacks are recorded by the API, with the keys the request named.
    controller.releases.onRelease(({ app, release, cause }) => {
      if (cause !== 'build') return;
      controller.activity.record({
        app,
        user: release.owner,
        action: 'build',
        summary: `${release.summary.replace(/^\S+ /, '')} as v${release.version}`,
      });
    });
    // `deis pull` asks the target which app a local image was built for.
    controller.builds.useImageOrigins((ref) => target.inspectImage(ref));
    // …and pulls the ones the engine lacks, as tasks, with the app's `deis registry:set` login.
    controller.builds.useImagePuller(
      (ref, options) => target.pullImage(ref, options),
      controller.tasks,
      (app) => configData(controller.configs.current(app)).registry,
    );
    // `deis tags:set` is checked against the labels of the target's nodes.
    controller.configs.useNodeLabels(() => target.nodeLabels());
    // After the scheduler's listener: old images go once a release serves (on the local engine, and
    // on a Docker host that keeps copies); rollbacks check theirs.
    watchReleaseImages(controller, targets, {
      keep: settings.keepReleaseImages ?? DEFAULT_KEEP_RELEASE_IMAGES,
      engine: settings.target === 'fake' ? undefined : dockerEngine,
      log,
    });
    // Apps and the router keep running when the core stops: they do not need it.
    stops.push(() => scheduler.stop());
    // Local port forwards to services end with the core that carries them.
    stops.push(async () => controller.serviceForwards.closeAll());
    const metrics = new Metrics(store, (name) => controller.apps.find(name), {
      source: () => target.metrics,
      log,
    });
    metrics.start();
    // Stopped before the store closes (stops run in reverse): the minute in progress is written.
    stops.push(() => metrics.stop());
    controller.apps.onDestroyed(async (app) => metrics.forget(app.id));

    const { builder, folders } = await startBuilderService(controller, {
      home: settings.home,
      port: settings.builderPort,
      resources: settings.resources,
      instance: settings.instance ?? DEFAULT_INSTANCE,
      log,
      prepareStack: settings.prepareStack === true,
      stack: settings.stackImage ? { image: settings.stackImage } : undefined,
    });
    stops.push(() => builder.stop());

    const desktop = {
      builderPort: builder.port,
      get routerPort() {
        return target.routerPort || settings.routerPort;
      },
      get routerTlsPort() {
        return target.routerTlsPort || settings.routerTlsPort || 0;
      },
      routerUrl: () => target.routerUrl,
      authority: () => ({
        path: authority.certificatePath,
        fingerprint: authority.fingerprint,
        certificate: authority.certificate,
        domain: authority.domain,
      }),
      firstRun: () => controller.users.count() === 0,
      docker: dockerState,
      engine: engine
        ? () => ({
            host: displayHost(engine.host, os.homedir()),
            source: engine.source,
            ...(engine.context ? { context: engine.context } : {}),
            ...(engine.product ? { product: engine.product } : {}),
            reason: engine.reason,
          })
        : undefined,
    };
    const shell = new ShellGateway(controller, scheduler, log);
    const server = createApiServer({
      router: apiRouter(controller, desktop, scheduler, {
        shell,
        folders,
        ui: settings.ui ?? rendererDir(),
        power: { instance: settings.instance ?? DEFAULT_INSTANCE, target },
        metrics: { collector: metrics, collected: () => target.metrics !== undefined },
      }),
      users: controller.users,
      platformDomain: settings.platformDomain ?? DEFAULT_PLATFORM_DOMAIN,
      routerPort: () => desktop.routerPort,
      log,
      shell,
    });
    const apiPort = await listen(server, settings.apiPort, settings.host).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE')
          throw new Error(
            `Port ${settings.apiPort} is in use by another program; set DEIS_API_PORT to a free port.`,
          );
        throw err;
      },
    );
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    // Before the server's close (stops run last first): a shell's socket is no HTTP connection it ends.
    stops.push(() => shell.close());
    await serveThroughRouter(server, settings.home, stops, log);
    // Only now does the target adopt what runs, in the background (a first start builds the router
    // image), so the API answers at once; work that needs the target waits for the attempt.
    // Where apps answer: the router's port is only known once it runs (0 asks Docker for one).
    const domain = settings.platformDomain ?? DEFAULT_PLATFORM_DOMAIN;
    scheduler.readiness.onReady(() => {
      if (target.routerUrl) log(`router: apps answer at ${target.routerUrl} (Host: <app>.${domain})`);
      else if (target.routerPort) log(`router: apps answer at http://<app>.${domain}:${target.routerPort}`);
      if (target.routerTlsPort)
        log(
          `router: and at https://<app>.${domain}:${target.routerTlsPort} (trust ${authority.certificatePath} once; see the README's HTTPS section)`,
        );
    });
    const targetStarted = scheduler.start(log);
    return {
      settings,
      controller,
      scheduler,
      target,
      apiPort,
      builderPort: builder.port,
      builderFingerprint,
      apiUrl: `http://${settings.host}:${apiPort}`,
      targetStarted,
      metrics,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
