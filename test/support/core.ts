/** Starts a real core (real SQLite, real HTTP on 127.0.0.1, a temp DEIS_HOME) for a test file. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCore, type Core } from '../../main/core';
import type { KubernetesSettings } from '../../main/settings';

export interface TestCore {
  core: Core;
  url: string;
  home: string;
  stop(): Promise<void>;
}

/**
 * API tests run on the in-memory target; tests of the run stage ask for the real Docker target with
 * their own instance (network, router) and, to see a restart, the home of an earlier core.
 */
export interface TestCoreOptions {
  target?: 'docker' | 'fake' | 'kubernetes';
  /** With target `kubernetes`: the cluster and its registry. */
  kubernetes?: KubernetesSettings;
  instance?: string;
  routerBase?: string;
  /** Default 0: Docker picks one (and picks again when the router restarts). */
  routerPort?: number;
  home?: string;
  log?: (line: string) => void;
  /** The resources folder (a fixture's, to choose the stack Dockerfile); default the repository's. */
  resources?: string;
  /** A throwaway stack tag, so the cached `deis-desktop/stack:bookworm` is left alone. */
  stackImage?: string;
  /** Prepare a missing stack at startup, as `npm run serve` does (off by default in tests). */
  prepareStack?: boolean;
  /** Default true: return once the target's first start attempt ended. */
  waitForTarget?: boolean;
  /**
   * Default true (with waitForTarget): when that first attempt failed, say why on the console and
   * wait for the core's own retries (every 5 s) to make the target ready, as a user would; throw
   * with the reason after 120 s. False for tests that look at a target that is not ready.
   */
  untilReady?: boolean;
  /** DEIS_KEEP_RELEASE_IMAGES (default 5). */
  keepReleaseImages?: number;
}

export async function startTestCore(options: TestCoreOptions = {}): Promise<TestCore> {
  const home = options.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'deis-test-'));
  const core = await startCore(
    {
      home,
      resources: options.resources ?? path.resolve('resources'),
      apiPort: 0,
      builderPort: 0,
      routerPort: options.routerPort ?? 0,
      host: '127.0.0.1',
      target: options.target ?? 'fake',
      kubernetes: options.kubernetes,
      instance: options.instance,
      routerBase: options.routerBase,
      stackImage: options.stackImage,
      prepareStack: options.prepareStack,
      keepReleaseImages: options.keepReleaseImages,
    },
    options.log ?? (() => {}),
  );
  // Tests look at the router and processes at once: let the target finish adopting first.
  if (options.waitForTarget !== false && !(await core.targetStarted) && options.untilReady !== false) {
    // On a busy machine a first start can fail (the router slow to load its configuration): the core
    // tries again by itself. Without this, every test of a file failed with the router's 404s.
    const readiness = core.scheduler.readiness;
    console.warn(`test core: the target's first start failed; waiting for a retry: ${readiness.reason()}`);
    const deadline = Date.now() + 120_000;
    while (!readiness.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (!readiness.ready) {
      const reason = readiness.reason();
      await core.stop();
      fs.rmSync(home, { recursive: true, force: true });
      throw new Error(`The test core's target did not become ready within 120 s: ${reason}`);
    }
  }
  return {
    core,
    url: core.apiUrl,
    home,
    stop: async () => {
      await core.stop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

/** A tiny API client: JSON in, parsed JSON (or text) out, never throws on HTTP errors. */
export class Api {
  constructor(
    readonly url: string,
    public token?: string,
  ) {}

  as(token: string | undefined): Api {
    return new Api(this.url, token);
  }

  async call(method: string, path: string, body?: unknown): Promise<Reply> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (this.token) headers.Authorization = `token ${this.token}`;
    const res = await fetch(this.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* text body */
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  }

  get = (p: string) => this.call('GET', p);
  post = (p: string, body: unknown = {}) => this.call('POST', p, body);
  delete = (p: string, body?: unknown) => this.call('DELETE', p, body);

  /** Registers a user (the first becomes admin) and returns a client logged in as them. */
  async register(username: string, password = 'secret-pw', admin?: Api): Promise<Api> {
    const reg = await (admin ?? this).post('/v2/auth/register/', {
      username,
      password,
      email: `${username}@example.com`,
    });
    if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${reg.text}`);
    const login = await this.as(undefined).post('/v2/auth/login/', { username, password });
    return this.as((login.body as { token: string }).token);
  }
}
