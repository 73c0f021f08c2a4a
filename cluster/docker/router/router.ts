/**
 * The router container: nginx on its home network, publishing only 127.0.0.1:<router port>, and on
 * every app's network at the same fixed offset, which is how traffic reaches the apps (and how one
 * app reaches another: through the router, under the other app's whitelist and maintenance). It
 * forwards no packets between those networks. It restarts with dockerd, keeps its networks and its
 * last config and tables, so it serves while the core is stopped. nginx.conf is the same for every
 * app (applied with `nginx -t` and a graceful reload when it changes, which is once per router);
 * apps, host names, settings and processes are tables the Lua code reads, replaced without any
 * reload (see lua.ts).
 */
import fs from 'node:fs';
import type Docker from 'dockerode';
import { execIn } from '../exec';
import { labelsFor } from '../labels';
import { appNetworks, gatewayAddress, routerAddress, type Network } from '../network';
import { tarOf } from '../tar';
import { TargetError, type Progress, type TrafficCounters } from '../../target';
import {
  CORE_SOCKET_MOUNT,
  FALLBACK_CERT,
  parseTrafficCounters,
  renderBackends,
  renderCerts,
  renderRouterConfig,
  renderRoutes,
  STATUS_PORT,
  type CoreRoute,
  type LocalCertificates,
  type RouteEntry,
} from './config';
import { ensureRouterImage } from './image';
import { STATE_DIR } from './lua';
import { StatusTunnel } from './status-tunnel';
import { METRICS_LUA, METRICS_LUA_PATH } from './metrics-lua';

export interface RouterOptions {
  instance: string;
  /** Container name. */
  name: string;
  /** Its home network: where its port is published. */
  network: Network;
  /** DEIS_ROUTER_BASE: the Debian image nginx is installed on. */
  base: string;
  /** DEIS_ROUTER_PORT on 127.0.0.1; 0 lets Docker choose one. */
  port: number;
  /** DEIS_ROUTER_TLS_PORT on 127.0.0.1 for HTTPS; 0 lets Docker choose one. */
  tlsPort: number;
  /** The HTTPS port was not asked for by the user: when it is taken, Docker picks another. */
  tlsPortFlexible?: boolean;
  platformDomain: string;
  /** Leaves of the local certificate authority for names under the platform domain. */
  localCertificates?: LocalCertificates;
  /** What nginx serves to a name it has no certificate for (and needs to start at all). */
  fallbackCertificate: { certificate: string; key: string };
  /**
   * The folder (in DEIS_HOME) where the core listens for the router: mounted read-only, so the API is
   * also served at `deis.<platform domain>` to the host (see config.ts). Absent: it is not.
   */
  coreSocketDir?: string;
  /**
   * On an engine on another host: makes the published ports (on that host's 127.0.0.1) reachable on
   * this machine, and returns the ports clients use here (forward.ts); absent on a local engine.
   */
  publish?: (remote: { http: number; tls: number }) => Promise<{ http: number; tls: number }>;
}

const NO_FORWARDING = ['net.ipv4.ip_forward', '0'] as const;
/**
 * Strict reverse-path filtering: a packet is taken only on the interface its answer would leave by,
 * so an app cannot hand the router a packet that claims to come from the host.
 */
const STRICT_SOURCES = ['net.ipv4.conf.all.rp_filter', '1'] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const isNoSuchImage = (err: unknown) =>
  (err as { statusCode?: number }).statusCode === 404 &&
  /no such image/i.test(String((err as Error).message));

export class Router {
  /** The port clients reach the router on. */
  publicPort = 0;
  /** The HTTPS port clients reach the router on. */
  tlsPublicPort = 0;
  private generation = Date.now();
  private appliedConfig = '';
  private appliedRoutes = '';
  private appliedBackends = '';
  private appliedCerts = '';
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private latest: RouteEntry[] = [];
  /** Route switches and drain checks go through one kept-open connection (an exec per call is slow). */
  private readonly tunnel: StatusTunnel;

  constructor(
    private readonly docker: Docker,
    private readonly options: RouterOptions,
  ) {
    this.tunnel = new StatusTunnel(docker, options.name, STATUS_PORT);
  }

  /** Closes the kept-open status connection. */
  close(): void {
    this.tunnel.close();
  }

  get address(): string {
    return routerAddress(this.options.network);
  }

  /** The mount of the core's socket folder, as Docker lists it in HostConfig.Binds. */
  private get coreBind(): string | undefined {
    const dir = this.options.coreSocketDir;
    return dir ? `${dir}:${CORE_SOCKET_MOUNT}:ro` : undefined;
  }

  /** How the API is served at deis.<platform domain>, when it is. */
  private get coreRoute(): CoreRoute | undefined {
    const domain = this.options.platformDomain.toLowerCase();
    // The name goes into nginx.conf: only a plain host name does.
    if (!this.options.coreSocketDir || !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(domain)) return undefined;
    return {
      host: `deis.${domain}`,
      gateway: gatewayAddress(this.options.network),
      address: this.address,
    };
  }

  /** Starts the router if it is not running as configured; an existing one keeps serving. */
  async ensure(progress: Progress): Promise<void> {
    let image = await ensureRouterImage(this.docker, this.options.base, this.options.instance, progress);
    // Made before Docker would make it (as root, for anyone): the router's nginx (www-data) needs to
    // pass through it, and only the owner may reach DEIS_HOME around it.
    if (this.options.coreSocketDir)
      fs.mkdirSync(this.options.coreSocketDir, { recursive: true, mode: 0o711 });
    const existing = await this.inspect();
    if (existing && this.fits(existing, image)) {
      if (!existing.State.Running) await this.docker.getContainer(this.options.name).start();
    } else {
      if (existing) await this.docker.getContainer(this.options.name).remove({ force: true });
      progress({
        kind: 'step',
        message: `Starting the router on 127.0.0.1:${this.options.port || '(any port)'}`,
      });
      try {
        await this.create(image);
      } catch (err) {
        // Another core on this engine with another router base removed our image as an earlier
        // recipe's (forgetOldImages) between our check and the create: make it again, once.
        if (!isNoSuchImage(err)) throw err;
        image = await ensureRouterImage(this.docker, this.options.base, this.options.instance, progress);
        await this.create(image);
      }
      await this.forgetOldImages(image);
    }
    for (const net of (await appNetworks(this.docker, this.options.instance)).values())
      await this.attach(net);
    const info = await this.inspect();
    const binding = info?.NetworkSettings.Ports['80/tcp']?.[0];
    this.publicPort = Number(binding?.HostPort ?? 0);
    this.tlsPublicPort = Number(info?.NetworkSettings.Ports['443/tcp']?.[0]?.HostPort ?? 0);
    if (this.options.publish) {
      const here = await this.options.publish({ http: this.publicPort, tls: this.tlsPublicPort });
      this.publicPort = here.http;
      this.tlsPublicPort = here.tls;
    }
    // A router that was already running keeps what the core before us told it; knowing that
    // spares work (and, for nginx.conf, a reload) when nothing changed meanwhile.
    const read = async (file: string) =>
      (await execIn(this.docker, this.options.name, ['sh', '-c', `cat ${file} 2>/dev/null; true`])).output;
    const config = await read('/etc/nginx/nginx.conf');
    // Rendered with generation 0, the config is comparable with what we would render now.
    const generation = /^# .*Generation (\d+)\./.exec(config)?.[1];
    this.appliedConfig = generation ? config.split(generation).join('0') : config;
    this.appliedRoutes = await read(`${STATE_DIR}/routes.txt`);
    this.appliedBackends = await read(`${STATE_DIR}/backends.txt`);
    this.appliedCerts = await read(`${STATE_DIR}/certs.txt`);
  }

  /** Connects the router to an app's network at its fixed address there (once). */
  async attach(net: Network): Promise<void> {
    const address = routerAddress(net);
    const current = (await this.inspect())?.NetworkSettings.Networks[net.name];
    if (current?.IPAMConfig?.IPv4Address === address) return;
    const network = this.docker.getNetwork(net.name);
    if (current) await network.disconnect({ Container: this.options.name, Force: true });
    try {
      await network.connect({
        Container: this.options.name,
        EndpointConfig: { IPAMConfig: { IPv4Address: address } },
      });
    } catch (err) {
      // Another attach of the same network got there first.
      const now = (await this.inspect())?.NetworkSettings.Networks[net.name];
      if (now?.IPAMConfig?.IPv4Address !== address) throw err;
    }
  }

  /** What the router serves now: app → `ip:port`s (as the last core left it, right after `ensure`). */
  backends(): Map<string, string[]> {
    const table = new Map<string, string[]>();
    for (const line of this.appliedBackends.split('\n')) {
      const [app, ...peers] = line.trim().split(/\s+/);
      if (app) table.set(app, peers);
    }
    return table;
  }

  /** Router images of earlier recipes; one still used by another instance stays. */
  private async forgetOldImages(current: string): Promise<void> {
    const images = await this.docker.listImages({ filters: { reference: ['deis-desktop/router'] } });
    for (const image of images)
      for (const tag of image.RepoTags ?? [])
        if (tag !== current)
          await this.docker
            .getImage(tag)
            .remove()
            .catch(() => undefined);
  }

  private fits(info: Docker.ContainerInspectInfo, image: string): boolean {
    const wanted = this.options.port ? String(this.options.port) : undefined;
    const binding = info.HostConfig.PortBindings?.['80/tcp']?.[0] as { HostPort?: string } | undefined;
    const tls = info.HostConfig.PortBindings?.['443/tcp']?.[0] as { HostPort?: string } | undefined;
    const tlsWanted =
      this.options.tlsPort && !this.options.tlsPortFlexible ? String(this.options.tlsPort) : undefined;
    const onNet =
      info.NetworkSettings.Networks[this.options.network.name]?.IPAMConfig?.IPv4Address === this.address;
    // A router made before apps had networks of their own may forward packets between them.
    const forwards = info.HostConfig.Sysctls?.[NO_FORWARDING[0]] !== NO_FORWARDING[1];
    const strict = info.HostConfig.Sysctls?.[STRICT_SOURCES[0]] === STRICT_SOURCES[1];
    // The core's socket folder: mounted exactly when it should be (DEIS_HOME may have moved).
    const binds = info.HostConfig.Binds ?? [];
    const mounted = this.coreBind ? binds.length === 1 && binds[0] === this.coreBind : binds.length === 0;
    return (
      info.Config.Image === image &&
      onNet &&
      !forwards &&
      strict &&
      mounted &&
      (wanted === undefined || binding?.HostPort === wanted) &&
      // Routers made before HTTPS publish no TLS port.
      tls !== undefined &&
      (tlsWanted === undefined || tls.HostPort === tlsWanted)
    );
  }

  private async inspect(): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(this.options.name).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  private async create(image: string): Promise<void> {
    const tlsPort = this.options.tlsPort ? String(this.options.tlsPort) : '';
    try {
      await this.createWith(image, tlsPort);
    } catch (err) {
      // The default HTTPS port is taken (another program, another core): any free port will do.
      if (
        !(err instanceof TargetError && err.message.includes(`Port ${tlsPort} `)) ||
        !this.options.tlsPortFlexible
      )
        throw err;
      await this.createWith(image, '');
    }
  }

  private async createWith(image: string, tlsPort: string): Promise<void> {
    const c = await this.docker.createContainer({
      name: this.options.name,
      Image: image,
      Labels: labelsFor(this.options.instance, 'router'),
      ExposedPorts: { '80/tcp': {}, '443/tcp': {} },
      HostConfig: {
        RestartPolicy: { Name: 'unless-stopped' },
        PortBindings: {
          '80/tcp': [{ HostIp: '127.0.0.1', HostPort: this.options.port ? String(this.options.port) : '' }],
          '443/tcp': [{ HostIp: '127.0.0.1', HostPort: tlsPort }],
        },
        NetworkMode: this.options.network.name,
        // It proxies HTTP; it must never route a packet from one app's network to another's.
        Sysctls: {
          [NO_FORWARDING[0]]: NO_FORWARDING[1],
          [STRICT_SOURCES[0]]: STRICT_SOURCES[1],
        },
        ...(this.coreBind ? { Binds: [this.coreBind] } : {}),
      },
      NetworkingConfig: {
        EndpointsConfig: { [this.options.network.name]: { IPAMConfig: { IPv4Address: this.address } } },
      },
    });
    try {
      await c.start();
    } catch (err) {
      await c.remove({ force: true }).catch(() => undefined);
      const message = String((err as Error).message);
      if (/address already in use|port is already allocated/i.test(message)) {
        // Docker names the port it could not bind: say which of the two it was.
        if (tlsPort && message.includes(`:${tlsPort}`))
          throw new TargetError(
            'setup',
            `Port ${tlsPort} is in use by another program; set DEIS_ROUTER_TLS_PORT to a free port.`,
          );
        throw new TargetError(
          'setup',
          `Port ${this.options.port} is in use by another program; set DEIS_ROUTER_PORT to a free port.`,
        );
      }
      throw err;
    }
  }

  /**
   * Routes `routes` and resolves once nginx serves them to new requests. Calls made while an apply
   * runs are folded into one more apply with the newest routes.
   */
  apply(routes: RouteEntry[]): Promise<void> {
    this.latest = routes;
    this.queued ??= (this.running ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        this.running = this.applyNow(this.latest).catch(async (err: unknown) => {
          // Someone removed or stopped the router: bring it back and try once more.
          if ((await this.inspect())?.State.Running) throw err;
          await this.ensure(() => undefined);
          await this.applyNow(this.latest);
        });
        return this.running;
      });
    return this.queued;
  }

  private async applyNow(routes: RouteEntry[]): Promise<void> {
    const ports = { publicPort: this.publicPort, tlsPublicPort: this.tlsPublicPort };
    const core = this.coreRoute;
    const config = renderRouterConfig({ ...ports, generation: 0, core, metrics: true });
    if (config !== this.appliedConfig) {
      const generation = ++this.generation;
      const text = renderRouterConfig({ ...ports, generation, core, metrics: true });
      const container = this.docker.getContainer(this.options.name);
      const fallback = this.options.fallbackCertificate;
      await container.putArchive(
        tarOf([
          { name: 'next.conf', content: text },
          {
            name: FALLBACK_CERT.slice('/etc/nginx/'.length),
            content: `${fallback.certificate.trim()}\n${fallback.key.trim()}\n`,
            mode: 0o600,
          },
          // nginx.conf names the module's hash: a new module comes with a new config and a reload.
          { name: METRICS_LUA_PATH.slice('/etc/nginx/'.length), content: METRICS_LUA, mode: 0o644 },
        ]),
        { path: '/etc/nginx' },
      );
      const result = await execIn(this.docker, this.options.name, [
        'sh',
        '-c',
        'nginx -t -q -c /etc/nginx/next.conf && mv /etc/nginx/next.conf /etc/nginx/nginx.conf && nginx -s reload',
      ]);
      if (result.exitCode !== 0)
        throw new TargetError('setup', `The router refused its new configuration: ${result.output.trim()}`);
      await this.waitForGeneration(generation);
      this.tunnel.close();
      this.appliedConfig = config;
    }
    // Certificates, then routes, then backends: a new app's name has its certificate before it is
    // routed, and is routed before its processes get traffic.
    const certs = renderCerts(routes, this.options.platformDomain, this.options.localCertificates);
    if (certs !== this.appliedCerts) {
      await this.put('certs', certs);
      this.appliedCerts = certs;
    }
    const table = renderRoutes(routes, this.options.platformDomain, this.tlsPublicPort, this.publicPort);
    if (table !== this.appliedRoutes) {
      await this.put('routes', table);
      this.appliedRoutes = table;
    }
    const backends = renderBackends(routes);
    if (backends !== this.appliedBackends) {
      await this.put('backends', backends);
      this.appliedBackends = backends;
    }
  }

  /** Replaces one of the router's tables through its status endpoint, from inside its container. */
  private async put(table: 'routes' | 'backends' | 'certs', body: string): Promise<void> {
    const fast = await this.tunnel
      .request('PUT', `/${table}`, Buffer.from(body))
      .then((r) => r.text.trim())
      .catch(() => undefined);
    if (fast === 'ok') return;
    const r = await execIn(
      this.docker,
      this.options.name,
      [
        'curl',
        '-s',
        '-m',
        '5',
        '-X',
        'PUT',
        '--data-binary',
        '@-',
        `http://127.0.0.1:${STATUS_PORT}/${table}`,
      ],
      { input: Buffer.from(body) },
    );
    if (r.exitCode !== 0 || r.output.trim() !== 'ok')
      throw new TargetError('setup', `The router did not take its new ${table}: ${r.output.trim()}`);
  }

  /** A status endpoint's answer, through the tunnel when it works, else through an exec of its own. */
  private async status(path: string, fresh = false): Promise<{ output: string }> {
    if (!fresh) {
      const r = await this.tunnel.request('GET', path).catch(() => undefined);
      if (r?.status === 200) return { output: r.text };
    }
    return execIn(this.docker, this.options.name, [
      'curl',
      '-s',
      '-m',
      '5',
      `http://127.0.0.1:${STATUS_PORT}${path}`,
    ]);
  }

  /** Every routed app's request counters (see metrics-lua.ts); empty until the config that counts is applied. */
  async trafficCounters(): Promise<TrafficCounters[] | undefined> {
    if (!this.appliedConfig.includes('deis_metrics')) return undefined;
    const r = await this.status('/metrics');
    return parseTrafficCounters(r.output);
  }

  /** New workers answer the status endpoint with the new generation once the reload took effect. */
  private async waitForGeneration(generation: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      // A fresh connection each time: a kept-open one may still be served by a worker of before.
      const r = await this.status('/generation', true);
      if (r.output.trim() === String(generation)) return;
      await sleep(50);
    }
    throw new TargetError('setup', 'The router did not load its new configuration within 10 seconds.');
  }

  /**
   * Waits until processes taken out of rotation have finished the requests they were given (at
   * most `timeoutMs`), so stopping them cuts nothing short.
   */
  async drained(peers: string[], timeoutMs: number): Promise<void> {
    if (peers.length === 0) return;
    // A balancer that picked a peer just before the switch counts its request a moment later.
    await sleep(50);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = await this.status(`/inflight?peers=${peers.join(',')}`);
      if (r.output.trim() === '0') return;
      await sleep(100);
    }
  }
}
