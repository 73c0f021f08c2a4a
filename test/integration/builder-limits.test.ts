/**
 * The SSH server's limits with real sockets, real ssh2 clients, real OpenSSH and git: a connection that
 * does not log in is closed after the grace time, one that logged in but runs nothing after the idle
 * time; beyond the cap of connections not logged in (and the total cap) new ones are closed at once;
 * a client offering key after key is cut off. Then a flood of thousands of idle connections against a
 * real core: /healthz keeps answering, the core's file descriptors come back, and git push works.
 */
import fs from 'node:fs';
import net from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEd25519Key } from '../../main/builder/hostkey';
import { BUILDER_MAX_UNAUTHENTICATED } from '../../main/contract/limits';
import { Api, startTestCore, type TestCore } from '../support/core';
import { repoFromFixture } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import { PROBE_LIMIT_MS, whileProbing } from '../support/responsive';
import { removeAppImages } from '../support/run-stage';
import { push, startHarness, workTree, type Harness } from './builder-harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP connection that says nothing; `closed` resolves when the server closes it. */
function silent(port: number): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    // Read (and drop) what the server says, so its closing the connection is seen.
    socket.resume();
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('close', () => resolve({ socket, closed }));
  });
}

/**
 * An SSH client that completes the handshake and then never authenticates (`keys`: offers these
 * keys one after the other instead); resolves once the handshake is done, or the connection is gone.
 */
function handshakeOnly(
  port: number,
  keys: string[] = [],
): Promise<{ client: ssh2.Client; closed: Promise<void>; shook: boolean }> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    let shook = false;
    client.on('error', () => {});
    client.once('handshake', () => {
      shook = true;
      resolve({ client, closed, shook });
    });
    client.once('close', () => resolve({ client, closed, shook }));
    let offered = 0;
    client.connect({
      host: '127.0.0.1',
      port,
      username: 'git',
      readyTimeout: 0,
      authHandler: (_methods, _partial, next) => {
        // Never answering is a client that sits in the login; a list of keys is a scan.
        if (offered < keys.length) next({ type: 'publickey', username: 'git', key: keys[offered++]! });
      },
    });
  });
}

/** An SSH client logged in with `keyFile` that opens no session. */
function loggedIn(port: number, keyFile: string): Promise<{ client: ssh2.Client; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    client.once('ready', () => resolve({ client, closed }));
    client.on('error', reject);
    client.connect({
      host: '127.0.0.1',
      port,
      username: 'git',
      privateKey: fs.readFileSync(keyFile),
      readyTimeout: 0,
    });
  });
}

/** Waits (up to 10 s) until `check` holds: the server learns of a connection a moment after the client. */
async function until(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100 && !check(); i++) await sleep(100);
  return check();
}

const sameCounts = (h: Harness, open: number, unauthenticated: number) => () => {
  const c = h.builder.connections();
  return c.open === open && c.unauthenticated === unauthenticated;
};

/** Resolves true when `p` settles within `ms` (a generous bound, not a measurement). */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true), sleep(ms).then(() => false)]);
}

describe('the builder SSH server with short limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      limits: {
        loginGraceMs: 1000,
        idleMs: 3000,
        maxUnauthenticated: 5,
        maxConnections: 8,
        maxAuthAttempts: 3,
      },
    });
  });
  afterAll(() => h.stop());

  it('closes a connection that says nothing, and one that shakes hands but never logs in, after the grace time', async () => {
    const tcp = await silent(h.builder.port);
    const ssh = await handshakeOnly(h.builder.port);
    expect(ssh.shook).toBe(true);
    expect(await within(tcp.closed, 10_000)).toBe(true);
    expect(await within(ssh.closed, 10_000)).toBe(true);
    expect(await until(sameCounts(h, 0, 0))).toBe(true);
  });

  it('closes a logged-in connection that runs no git command after the idle time', async () => {
    const { closed } = await loggedIn(h.builder.port, h.keys.alice);
    expect(h.builder.connections()).toEqual({ open: 1, unauthenticated: 0 });
    expect(await within(closed, 10_000)).toBe(true);
    expect(await until(sameCounts(h, 0, 0))).toBe(true);
  });

  it('cuts off a client that offers key after key, but lets in one whose few wrong keys come first', async () => {
    const scan = Array.from({ length: 6 }, () => newEd25519Key());
    const { closed } = await handshakeOnly(h.builder.port, scan);
    expect(await within(closed, 5_000)).toBe(true);
    // Two wrong keys (an agent's others), then the right one: within the 3 failures allowed.
    const keys = [newEd25519Key(), newEd25519Key(), fs.readFileSync(h.keys.alice, 'utf8')];
    const client = new ssh2.Client();
    const ready = new Promise<boolean>((resolve) => {
      client.once('ready', () => resolve(true));
      client.once('close', () => resolve(false));
      client.on('error', () => {});
    });
    let offered = 0;
    client.connect({
      host: '127.0.0.1',
      port: h.builder.port,
      username: 'git',
      readyTimeout: 0,
      authHandler: (_m, _p, next) => {
        if (offered < keys.length) next({ type: 'publickey', username: 'git', key: keys[offered++]! });
        else next(false as never);
      },
    });
    expect(await ready).toBe(true);
    client.end();
  });

  it('closes new connections at once beyond the cap of those not logged in, and beyond the total cap', async () => {
    const waiting = await Promise.all(Array.from({ length: 5 }, () => silent(h.builder.port)));
    expect(await until(sameCounts(h, 5, 5))).toBe(true);
    const extra = await silent(h.builder.port);
    // Closed by the server while the others are still within their grace time.
    expect(await within(extra.closed, 500)).toBe(true);
    expect(waiting.every((w) => !w.socket.destroyed)).toBe(true);
    for (const w of waiting) w.socket.destroy();
    expect(await until(sameCounts(h, 0, 0))).toBe(true);

    // Logged-in connections count towards the total cap only (logged in one at a time: while logging
    // in they count towards the other cap too).
    const sessions = [];
    for (let i = 0; i < 8; i++) sessions.push(await loggedIn(h.builder.port, h.keys.alice));
    expect(await until(sameCounts(h, 8, 0))).toBe(true);
    const over = await silent(h.builder.port);
    expect(await within(over.closed, 500)).toBe(true);
    for (const s of sessions) s.client.end();
    await Promise.all(sessions.map((s) => s.closed));
    // Back under the caps, a real push goes through.
    const r = await push(h, workTree(h, 'alpha', 'after the caps'), 'alpha').done;
    expect(r.code, r.stderr).toBe(0);
  });
});

const hasDocker = await dockerAvailable();

describe.skipIf(!hasDocker)('a flood of idle SSH connections against a real core', () => {
  let t: TestCore;
  let pusher: Pusher;
  beforeAll(async () => {
    await ensureStackImage();
    t = await startTestCore();
    const admin = await new Api(t.url).register('admin');
    expect((await admin.post('/v2/apps/', { id: 'flooded' })).status).toBe(201);
    pusher = new Pusher(t.core.builderPort, 'flood');
    await pusher.addKeyTo(admin);
  }, 300_000);
  afterAll(async () => {
    await t?.stop();
    pusher?.remove();
    await removeAppImages(['flooded']);
  });

  const fds = () => fs.readdirSync('/proc/self/fd').length;
  /** Established TCP connections the server holds on `port` (its side: local port `port`). */
  const serverSide = (port: number) =>
    fs
      .readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length > 3 && parseInt(f[1]!.split(':')[1]!, 16) === port && f[3] === '01').length;

  it('keeps /healthz answering, caps what it holds, gives its descriptors back, and still takes a push', async () => {
    const baseline = fds();
    const port = t.core.builderPort;
    const sockets: net.Socket[] = [];
    const clients: ssh2.Client[] = [];
    const [held, report] = await whileProbing(t.url, async () => {
      for (let wave = 0; wave < 12; wave++) {
        const batch = await Promise.all(Array.from({ length: 250 }, () => silent(port)));
        sockets.push(...batch.map((b) => b.socket));
        if (wave % 4 === 0) {
          const shaking = await Promise.all(Array.from({ length: 10 }, () => handshakeOnly(port)));
          clients.push(...shaking.map((s) => s.client));
        }
      }
      await sleep(500);
      return serverSide(port);
    });
    const stillOpen = sockets.filter((s) => !s.destroyed).length;
    console.log(
      `flood: 3000 TCP + 30 handshakes; ${stillOpen} still open, the core holds ${held}; ${report.probes} probes, slowest ${report.slowestMs} ms`,
    );
    expect(report.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
    expect(held).toBeLessThanOrEqual(BUILDER_MAX_UNAUTHENTICATED);
    expect(stillOpen).toBeLessThanOrEqual(BUILDER_MAX_UNAUTHENTICATED);

    for (const s of sockets) s.destroy();
    for (const c of clients) c.end();
    for (let i = 0; i < 100 && serverSide(port) > 0; i++) await sleep(100);
    expect(serverSide(port)).toBe(0);
    await sleep(200);
    expect(fds()).toBeLessThanOrEqual(baseline + 10);

    const { dir } = repoFromFixture('dockerfile-app');
    const r = await pusher.push(dir, 'flooded');
    expect(r.code, r.output).toBe(0);
    expect(r.remote).toContain('Done, flooded:v2 deployed to Deis Desktop');
    fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});
