/**
 * Helpers for tests of the run stage on the real engine: a core on the Docker target with its own
 * instance, an app image built from a fixture by the real ImageBuilder, requests through the router,
 * steady load that counts failures, and cleanup of everything the instance created.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type tls from 'node:tls';
import { dockerEngine } from '../../cluster/docker/engine';
import { LABEL_INSTANCE } from '../../cluster/docker/labels';
import { cacheVolume } from '../../main/builder/buildpack-build';
import { ImageBuilder } from '../../main/builder/image-builder';
import { DEFAULT_STACK_IMAGE } from '../../main/builder/stack';
import { Api, startTestCore, type TestCore } from './core';
import { bareFrom, repoFromFixture } from './git';
import { BASE_IMAGE, ensureStackImage } from './images';

export const docker = dockerEngine();

export function instanceName(label: string): string {
  return `dd-test-${label}-${process.pid}`;
}

export function startDockerCore(instance: string, home?: string, routerPort?: number): Promise<TestCore> {
  return startTestCore({ target: 'docker', instance, routerBase: BASE_IMAGE, home, routerPort });
}

/** A port nothing listens on right now, for a router that must keep its port across restarts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** The instance builds of fixtures are marked with (their cache volumes are named after it). */
export const BUILD_INSTANCE = instanceName('build');

/**
 * Builds a fixture app with the real builder, as a push would; returns its image, Procfile, and the
 * build cache volume to remove afterwards.
 */
export async function buildFixture(app: string, fixture: string) {
  await ensureStackImage();
  const builder = new ImageBuilder(() => docker, {
    stackImage: DEFAULT_STACK_IMAGE,
    buildpackDirs: [path.resolve('resources/buildpacks')],
    instance: BUILD_INSTANCE,
  });
  const { dir, sha } = repoFromFixture(fixture);
  const appUuid = randomUUID();
  const built = await builder.build({
    app,
    appUuid,
    trusted: true,
    sha,
    repo: bareFrom(dir),
    config: {},
    output: { line: () => {} },
  });
  return { ...built, sha, appUuid, cache: cacheVolume(BUILD_INSTANCE, appUuid) };
}

/** POST /builds/ as the builder hook would: the image, its Procfile and the Dockerfile marker. */
export function pushBuild(api: Api, app: string, built: Awaited<ReturnType<typeof buildFixture>>) {
  return api.post(`/v2/apps/${app}/builds/`, {
    image: built.image,
    procfile: built.procfile,
    ...(built.dockerfile ? { dockerfile: 'true' } : {}),
  });
}

export interface RouterReply {
  status: number;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request through the router with `Host: <host>`. */
export function viaRouter(
  port: number,
  host: string,
  urlPath = '/',
  timeoutMs = 10_000,
): Promise<RouterReply> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: urlPath, headers: { Host: host }, agent, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const tlsAgents = new Map<string, https.Agent>();

/**
 * One HTTPS request through the router's TLS port, asking for `host` by SNI and checking the
 * certificate it gets against `ca` (PEM) for that name, as a browser that trusts `ca` would.
 */
export function viaRouterTls(
  port: number,
  host: string,
  ca: string,
  urlPath = '/',
  timeoutMs = 10_000,
  /** A new connection (a new handshake) rather than one kept alive from an earlier request. */
  fresh = false,
): Promise<RouterReply & { issuer: string }> {
  const key = `${host}\0${ca}`;
  let agent = tlsAgents.get(key);
  if (!agent) tlsAgents.set(key, (agent = new https.Agent({ keepAlive: true, maxSockets: 64, ca })));
  if (fresh) agent = new https.Agent({ keepAlive: false, ca });
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        servername: host,
        headers: { Host: host },
        agent,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        const issuer = String((res.socket as tls.TLSSocket).getPeerCertificate().issuer?.CN ?? '');
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), issuer }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Distinct failure messages a Load keeps (each with its count), so a failed test prints a short list. */
const LOAD_DISTINCT_FAILURES = 20;

/**
 * A load generator's pause between two requests of one worker. A steady load, not a flood: the
 * router opens a new connection to the app for every request, which the kernel's conntrack table
 * keeps 120 s in TIME_WAIT; unpaced, a few minutes of load (about 3,000 requests a second here)
 * filled it ("nf_conntrack: table full, dropping packet") and the test cluster's router pod, whose
 * liveness probe could no longer connect, was restarted in the middle of a test.
 */
const LOAD_PAUSE_MS = 10;

/** Steady load: `workers` loops of sequential requests until stopped; every non-200 counts as failed. */
export class Load {
  ok = 0;
  /** Failed requests by message. */
  private readonly failed = new Map<string, number>();
  readonly bodies = new Set<string>();
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(
    port: number,
    host: string,
    workers = 4,
    request: (port: number, host: string) => Promise<RouterReply> = viaRouter,
  ) {
    this.loops = Array.from({ length: workers }, async () => {
      while (this.running) {
        try {
          const r = await request(port, host);
          if (r.status === 200) {
            this.ok++;
            this.bodies.add(r.body.split(' on ')[0]!);
          } else this.fail(`${r.status} ${r.body.slice(0, 120)}`);
        } catch (err) {
          this.fail(String((err as Error).message));
        }
        await sleep(LOAD_PAUSE_MS);
      }
    });
  }

  private fail(message: string): void {
    const seen = this.failed.get(message);
    if (seen !== undefined) this.failed.set(message, seen + 1);
    else if (this.failed.size < LOAD_DISTINCT_FAILURES) this.failed.set(message, 1);
    else this.failed.set('(other failures)', (this.failed.get('(other failures)') ?? 0) + 1);
  }

  /** Every failure: each distinct message once, with how many times it happened. */
  get failures(): string[] {
    return [...this.failed].map(([message, n]) => (n === 1 ? message : `${message} (x${n})`));
  }

  /** How many requests failed. */
  get failedCount(): number {
    let n = 0;
    for (const count of this.failed.values()) n += count;
    return n;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

/** Removes every container and network of a test instance (cached images stay). */
export async function removeInstance(instance: string): Promise<void> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABEL_INSTANCE}=${instance}`] },
  });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  const networks = await docker.listNetworks({ filters: { label: [`${LABEL_INSTANCE}=${instance}`] } });
  for (const name of new Set([instance, ...networks.map((n) => n.Name)]))
    await docker
      .getNetwork(name)
      .remove()
      .catch(() => undefined);
  // Build caches are labelled with the instance too.
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABEL_INSTANCE}=${instance}`] } });
  for (const v of Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => undefined);
}

export async function removeImage(image: string): Promise<void> {
  await docker
    .getImage(image)
    .remove({ force: true })
    .catch(() => undefined);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error('condition not met in time');
}

/**
 * Untags every `deis-desktop/<app>:*` image of these apps (an image left without tags goes). For
 * cleanup: quiet when no engine answers.
 */
export async function removeAppImages(apps: string[]): Promise<void> {
  for (const image of await docker.listImages().catch(() => []))
    for (const tag of image.RepoTags ?? [])
      if (apps.some((a) => tag.startsWith(`deis-desktop/${a}:`)))
        await docker
          .getImage(tag)
          .remove({ noprune: false })
          .catch(() => undefined);
}
