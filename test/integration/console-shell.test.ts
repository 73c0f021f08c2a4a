/**
 * Issue 14, the console's interactive shell on the real engine, with a real WebSocket client: a
 * ticket from `POST /v2/desktop/apps/<app>/pods/<name>/shell/`, then the socket
 * `/v2/desktop/shell/?ticket=…`. Typing `echo $((6*7))` shows 42; a resize changes `stty size`;
 * closing the socket kills the shell in the container; a page on another origin, no ticket, a used
 * ticket and another user's app are refused; a frame past SHELL_FRAME_MAX_BYTES closes the socket;
 * shells per user are counted.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ActivityEntry } from '../../main/contract/activity';
import { SHELL_FRAME_MAX_BYTES, SHELL_SESSIONS_PER_USER } from '../../main/contract/limits';
import { Api, type TestCore } from '../support/core';
import { dockerAvailable } from '../support/images';
import {
  buildFixture,
  eventually,
  instanceName,
  pushBuild,
  removeImage,
  removeInstance,
  startDockerCore,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('shell tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('shell');
const APP = 'shellapp';

/** An open shell: what it showed so far, its control messages, and how it closed. */
class ShellClient {
  screen = '';
  control: { type: string; detail?: string; exit_code?: number }[] = [];
  closed?: { code: number; reason: string };
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, binary) => {
      if (binary) this.screen += Buffer.from(data as Buffer).toString('utf8');
      else this.control.push(JSON.parse(String(data)) as ShellClient['control'][number]);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `ok` holds (checked on every message), or fails after `ms`. */
  async until(ok: () => boolean, ms = 20_000, what = 'the shell'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline)
        throw new Error(`${what} did not show what was expected; it showed:\n${this.screen.slice(-2000)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 250);
      });
    }
  }

  type(text: string) {
    this.ws.send(JSON.stringify({ type: 'input', data: text }));
  }

  /** Types a line and waits for a line of output matching `re` after it. */
  async run(line: string, re: RegExp): Promise<RegExpExecArray> {
    const from = this.screen.length;
    this.type(`${line}\r`);
    let m: RegExpExecArray | null = null;
    await this.until(() => (m = re.exec(this.screen.slice(from))) !== null, 20_000, `\`${line}\``);
    return m!;
  }
}

describe.skipIf(!hasDocker)('the interactive shell on the Docker engine', () => {
  let t: TestCore;
  let owner: Api;
  let stranger: Api;
  let friend: Api;
  let pod: string;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  const opened: WebSocket[] = [];

  const ticket = async (api: Api = owner, name = pod, size: unknown = { cols: 90, rows: 30 }) =>
    api.post(`/v2/desktop/apps/${APP}/pods/${name}/shell/`, size);

  /** Opens the socket for a ticket; resolves with the client, or with the refusal's status and body. */
  const connect = (
    ticketValue: string | undefined,
    headers: Record<string, string> = {},
  ): Promise<{ client?: ShellClient; status?: number; body?: string }> =>
    new Promise((resolve, reject) => {
      const query = ticketValue === undefined ? '' : `?ticket=${encodeURIComponent(ticketValue)}`;
      const ws = new WebSocket(`${t.url.replace(/^http/, 'ws')}/v2/desktop/shell/${query}`, { headers });
      opened.push(ws);
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      ws.on('open', () => resolve({ client: new ShellClient(ws) }));
      ws.on('error', (err) => reject(err));
    });

  const open = async (api: Api = owner, size?: unknown): Promise<ShellClient> => {
    const r = await ticket(api, pod, size);
    expect(r.status, r.text).toBe(201);
    const { client, status, body } = await connect((r.body as { ticket: string }).ticket);
    expect(client, `${status} ${body}`).toBeDefined();
    await client!.until(() => client!.control.some((m) => m.type === 'ready'));
    return client!;
  };

  /** A one-off command in the same process through the existing console endpoint. */
  const execOutput = async (command: string) => {
    const res = await fetch(`${t.url}/v2/desktop/apps/${APP}/pods/${pod}/exec/`, {
      method: 'POST',
      headers: { Authorization: `token ${owner.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ command }),
    });
    const text = await res.text();
    return [...text.matchAll(/^data: (.*)$/gm)]
      .map((m) => (JSON.parse(m[1]!) as { text?: string }).text ?? '')
      .join('');
  };

  beforeAll(async () => {
    built = await buildFixture(APP, 'metrics-app');
    t = await startDockerCore(instance);
    owner = await new Api(t.url).register('owner');
    stranger = await new Api(t.url).register('stranger', 'pw', owner);
    friend = await new Api(t.url).register('friend', 'pw', owner);
    expect((await owner.post('/v2/apps/', { id: APP })).status).toBe(201);
    const config = { values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' } };
    expect((await owner.post(`/v2/apps/${APP}/config/`, config)).status).toBe(201);
    const r = await pushBuild(owner, APP, built);
    expect(r.status, r.text).toBe(201);
    expect((await owner.post(`/v2/apps/${APP}/perms/`, { username: 'friend' })).status).toBe(201);
    await eventually(async () => {
      const pods = (await owner.get(`/v2/apps/${APP}/pods/`)).body as {
        results: { name: string; type: string; state: string }[];
      };
      pod = pods.results.find((p) => p.type === 'web' && p.state === 'up')?.name ?? '';
      return pod !== '';
    }, 120_000);
  }, 600_000);

  // A test that failed half-way leaves no shell open for the next (shells per user are counted).
  afterEach(() => {
    for (const ws of opened.splice(0)) ws.terminate();
  });

  afterAll(async () => {
    await t?.stop();
    await removeInstance(instance);
    if (built) await removeImage(built.image);
  });

  it('runs what is typed in a shell inside the live process, on a terminal of the asked size', async () => {
    const shell = await open(owner, { cols: 90, rows: 30 });
    const m = await shell.run('echo $((6*7))', /(?:^|[\r\n])(42)\r?\n/);
    expect(m[1]).toBe('42');
    // A terminal: a PTY of the size the UI asked for, then of the size it changed to.
    expect((await shell.run('stty size', /(\d+ \d+)\r?\n/))[1]).toBe('30 90');
    shell.ws.send(JSON.stringify({ type: 'resize', cols: 101, rows: 37 }));
    await eventually(
      async () => /37 101\r?\n/.test((await shell.run('stty size', /(\d+ \d+)\r?\n/))[0]),
      10_000,
    );
    expect(await shell.run('tty', /(\/dev\/pts\/\d+)/)).toBeTruthy();
    // The app's own server is among the processes it sees: the same container.
    await shell.run('cat /proc/[0-9]*/cmdline | tr "\\0" " "; echo', /app\.py/);
    // The shell says when it exits, and the socket closes.
    shell.type('exit 5\r');
    await shell.until(() => shell.closed !== undefined);
    expect(shell.control).toContainEqual({ type: 'exit', exit_code: 5 });
    expect(shell.closed?.code).toBe(1000);
  }, 60_000);

  it('kills the shell and what it runs when the socket closes', async () => {
    const shell = await open();
    const pid = (await shell.run('echo "PID=$$"', /PID=(\d+)\r?\n/))[1]!;
    shell.type('sleep 777\r');
    const alive = () =>
      execOutput(
        `test -d /proc/${pid} && echo alive || echo gone; for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done | grep -c "^sleep 77[7]"`,
      );
    await eventually(async () => /alive\n1\n/.test(await alive()), 10_000);
    shell.ws.close();
    await eventually(async () => /gone\n0\n/.test(await alive()), 20_000);
  }, 60_000);

  it('kills a shell whose socket closes while it is still opening', async () => {
    const shells = () =>
      execOutput(
        'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done | grep -c "^bash -[i] " || true',
      );
    await eventually(async () => (await shells()).trim() === '0', 20_000);
    for (let i = 0; i < 3; i++) {
      const r = await ticket();
      const { client } = await connect((r.body as { ticket: string }).ticket);
      client!.ws.close();
    }
    // Each was counted out (a ticket is had again, and spent), and none is left running in the container.
    await eventually(async () => {
      const r = await ticket();
      if (r.status !== 201) return false;
      (await connect((r.body as { ticket: string }).ticket)).client?.ws.close();
      return true;
    }, 10_000);
    await new Promise((r) => setTimeout(r, 3_000));
    await eventually(async () => (await shells()).trim() === '0', 20_000);
  }, 60_000);

  it('lets a collaborator in, keeps a stranger out, and records who opened a shell', async () => {
    const denied = await ticket(stranger);
    expect(denied.status).toBe(403);
    const shared = await open(friend);
    await shared.run('echo $((6*7))', /(?:^|[\r\n])42\r?\n/);
    shared.ws.close();
    const feed = (await owner.get(`/v2/apps/${APP}/activity/`)).body as { results: ActivityEntry[] };
    const entry = feed.results.find((e) => e.summary === `opened a shell in ${pod}`);
    expect(entry?.user).toBe('friend');
    const missing = await ticket(owner, `${APP}-web-nothere`);
    expect(missing.status).toBe(404);
    expect(missing.text).toContain(`Pod ${APP}-web-nothere does not exist`);
    const huge = await ticket(owner, pod, { cols: 100_000, rows: 30 });
    expect(huge.status).toBe(400);
    expect(huge.text).toContain('cols is at most');
  }, 60_000);

  it('refuses a page on another origin, no ticket, a used ticket and a made-up one', async () => {
    const fresh = async () => ((await ticket()).body as { ticket: string }).ticket;
    // A web page elsewhere that learnt a ticket still cannot open the socket, and does not spend it.
    const stolen = await fresh();
    const page = await connect(stolen, { Origin: 'http://evil.example' });
    expect(page.status).toBe(403);
    expect(page.body).toContain('Requests from other web pages are refused');
    const crossSite = await connect(stolen, { 'Sec-Fetch-Site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    const rebinding = await connect(stolen, { Host: 'evil.example' });
    expect(rebinding.status).toBe(400);
    const none = await connect(undefined);
    expect(none.status).toBe(401);
    expect(none.body).toContain('unknown, used or expired');
    const madeUp = await connect('x'.repeat(43));
    expect(madeUp.status).toBe(401);
    // The core's own UI (its origin) may; once.
    const own = await connect(stolen, { Origin: t.url });
    expect(own.client).toBeDefined();
    own.client!.ws.close();
    const again = await connect(stolen, { Origin: t.url });
    expect(again.status).toBe(401);
    // The token itself is no ticket.
    expect((await connect(owner.token)).status).toBe(401);
    // The shell's path is the only one that takes a WebSocket.
    const elsewhere = await new Promise<number | undefined>((resolve) => {
      const ws = new WebSocket(`${t.url.replace(/^http/, 'ws')}/v2/apps/`);
      opened.push(ws);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('error', () => resolve(undefined));
    });
    expect(elsewhere).toBe(404);
  }, 60_000);

  it('closes the socket on a frame past the limit or one that is not a shell message', async () => {
    const big = await open();
    big.ws.send(JSON.stringify({ type: 'input', data: 'x'.repeat(SHELL_FRAME_MAX_BYTES + 10) }));
    await big.until(() => big.closed !== undefined);
    expect(big.closed?.code).toBe(1009);
    const junk = await open();
    junk.ws.send('{"type":"exec","command":"id"}');
    await junk.until(() => junk.closed !== undefined);
    expect(junk.closed?.code).toBe(1008);
    expect(junk.closed?.reason).toContain('Not a shell message');
  }, 60_000);

  it('counts the shells a user has open, and frees one when it closes', async () => {
    // Earlier tests' shells are closed by now (the core counts them out when their sockets close).
    await eventually(async () => {
      const probe = await ticket();
      if (probe.status !== 201) return false;
      const c = await connect((probe.body as { ticket: string }).ticket);
      c.client?.ws.close();
      return true;
    }, 20_000);
    const shells: ShellClient[] = [];
    await eventually(async () => {
      for (const s of shells) s.ws.close();
      shells.length = 0;
      for (let i = 0; i < SHELL_SESSIONS_PER_USER; i++) {
        const r = await ticket();
        if (r.status !== 201) return false;
        const c = await connect((r.body as { ticket: string }).ticket);
        shells.push(c.client!);
      }
      return true;
    }, 40_000);
    const over = await ticket();
    expect(over.status).toBe(409);
    expect(over.text).toContain(`You already have ${SHELL_SESSIONS_PER_USER} shells open`);
    shells[0]!.ws.close();
    await eventually(async () => (await ticket()).status === 201, 10_000);
    for (const s of shells) s.ws.close();
  }, 60_000);
});
