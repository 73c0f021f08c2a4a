/**
 * The Deis way to reach the controller: `http://deis.localhost:<router port>`, through the router,
 * with a real core, the real router and real app containers on the Docker engine. From the host the
 * whole API works there (register, login, create, info, streams, bodies up to the API's limit), so
 * the original CLI's derivations from the controller's host give the right app URL and git remote;
 * from an app's container, or from a web page, `deis.localhost` reaches nothing.
 *
 * This machine's resolver does not answer `*.localhost` (no systemd-resolved or nss-myhostname), so
 * HTTP here connects to 127.0.0.1 and sends the name as the Host header, exactly what a resolving
 * machine would do; our CLI resolves `*.localhost` to loopback itself (as browsers and curl do), and
 * ssh gets there through a ProxyCommand. The original Go CLI cannot run here (no Go toolchain): its
 * two derivations are copied below from its source.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execIn } from '../../cluster/docker/exec';
import { appNetworks, gatewayAddress, routerAddress } from '../../cluster/docker/network';
import { listProcs } from '../../cluster/docker/processes';
import { API_ANONYMOUS_BODY_LIMIT, API_BODY_LIMIT } from '../../main/contract/limits';
import { CliUser, git as cliGit } from '../support/cli';
import { startTestCore, type TestCore } from '../support/core';
import { repoFromFixture } from '../support/git';
import { BASE_IMAGE, dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import { docker, eventually, freePort, instanceName, removeInstance, viaRouter } from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker)
  console.warn('controller-via-router tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('ctl');
const APP = `ctl-app-${process.pid}`;

/** workflow-cli v2.18 cmd/apps.go `expandURL`: a bare domain replaces the controller host's first label. */
function goExpandUrl(controllerHost: string, domain: string): string {
  if (domain.includes('.')) return domain;
  const parts = controllerHost.split('.');
  parts[0] = domain;
  return parts.join('.');
}

/** workflow-cli v2.18 pkg/git `RepositoryURL`: the port is dropped, `-builder` added, 2222 fixed. */
function goRepositoryUrl(controllerHost: string, app: string): string {
  const tokens = controllerHost.split(':')[0]!.split('.');
  tokens[0] = `${tokens[0]}-builder`;
  return `ssh://git@${tokens.join('.')}:2222/${app}.git`;
}

interface Reply {
  status: number;
  text: string;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

/** HTTP to `http://<host>:<port>` as a machine that resolves `*.localhost` to 127.0.0.1 sends it. */
function call(
  port: number,
  host: string,
  method: string,
  urlPath: string,
  options: { token?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: `${host}:${port}`, ...options.headers };
    if (options.body !== undefined) headers['Content-Type'] ??= 'application/json';
    if (options.token) headers.Authorization = `token ${options.token}`;
    const req = http.request(
      { host: '127.0.0.1', port, method, path: urlPath, headers, agent: false, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, text, body, headers: res.headers });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * An ssh ProxyCommand standing in for name resolution and the default builder port: it accepts
 * only `deis-builder.localhost` port 2222 (what the original CLI derives) and connects to the test
 * core's builder on 127.0.0.1.
 */
const proxyScript = (builderPort: number) => `const [host, port] = process.argv.slice(2);
if (host !== 'deis-builder.localhost' || port !== '2222') {
  console.error('unexpected builder address ' + host + ':' + port);
  process.exit(1);
}
const s = require('net').connect(${builderPort}, '127.0.0.1');
process.stdin.pipe(s);
s.pipe(process.stdout);
s.on('close', () => process.exit(0));
`;

describe.skipIf(!hasDocker)('the controller at deis.localhost through the router', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-ctl-'));
  let t: TestCore;
  let port: number;
  let token: string;
  let pusher: Pusher;
  let cli: CliUser;
  const deis = (method: string, urlPath: string, body?: unknown, headers?: Record<string, string>) =>
    call(port, 'deis.localhost', method, urlPath, {
      token,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers,
    });

  beforeAll(async () => {
    await ensureStackImage();
    port = await freePort();
    t = await startTestCore({ target: 'docker', instance, routerBase: BASE_IMAGE, routerPort: port });
    fs.writeFileSync(path.join(work, 'proxy.cjs'), proxyScript(t.core.builderPort));
    pusher = new Pusher(t.core.builderPort, 'ctl');
    cli = new CliUser();
    // The router's config that serves deis.localhost is applied with an nginx reload, which waits for
    // a new worker to answer; an old worker may still take a new connection for a moment after (CI
    // once got nginx's 404 for every test here). The core's own answer without a token is a 401.
    await eventually(
      async () => (await call(port, 'deis.localhost', 'GET', '/v2/apps/')).status === 401,
      60_000,
    );
  }, 600_000);

  afterAll(async () => {
    await t?.stop().catch(() => undefined);
    await removeInstance(instance);
    for (const image of await docker.listImages({ filters: { reference: [`deis-desktop/${APP}`] } }))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
    pusher?.remove();
    cli?.remove();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('serves the API to the host: register, login, create; the app URL the original CLI derives is <app>.localhost:<router port>', async () => {
    const reg = await deis('POST', '/v2/auth/register/', {
      username: 'admin',
      password: 'secret-pw',
      email: 'admin@example.com',
    });
    expect(reg.status, reg.text).toBe(201);
    const login = await deis('POST', '/v2/auth/login/', { username: 'admin', password: 'secret-pw' });
    expect(login.status, login.text).toBe(200);
    token = (login.body as { token: string }).token;
    expect(login.headers['deis_api_version']).toBe('2.3');

    const created = await deis('POST', '/v2/apps/', { id: APP });
    expect(created.status, created.text).toBe(201);
    const domains = await deis('GET', `/v2/apps/${APP}/domains/`);
    const first = (domains.body as { results: { domain: string }[] }).results[0]!.domain;
    expect(goExpandUrl(`deis.localhost:${port}`, first)).toBe(`${APP}.localhost:${port}`);
    expect(goRepositoryUrl(`deis.localhost:${port}`, APP)).toBe(
      `ssh://git@deis-builder.localhost:2222/${APP}.git`,
    );
    // Pagination links name the address the request came to, never 127.0.0.1:<router port>.
    await deis('POST', '/v2/apps/', { id: `${APP}-b` });
    const page = await deis('GET', '/v2/apps/?limit=1');
    expect((page.body as { next: string }).next).toMatch(
      new RegExp(`^http://deis\\.localhost:${port}/v2/apps/\\?`),
    );
    await deis('DELETE', `/v2/apps/${APP}-b/`);
    // The web UI at the root too, as the core serves it on its own port.
    const direct = await fetch(`${t.url}/`);
    const routed = await deis('GET', '/', undefined, { 'Sec-Fetch-Site': 'none' });
    expect(routed.status).toBe(direct.status);
    expect(routed.headers['content-type']).toBe(direct.headers.get('content-type'));
    expect(routed.text).toBe(await direct.text());
  });

  it('our CLI logs in at http://deis.localhost:<router port> (resolving it itself) and its info shows url: <app>.localhost:<router port>', async () => {
    // No help from the system's resolver (it knows no *.localhost here): the CLI treats them as loopback.
    const env = {};
    const login = await cli.run(
      ['login', `http://deis.localhost:${port}`, '--username=admin', '--password=secret-pw'],
      { env },
    );
    expect(login.code, login.stderr).toBe(0);
    const info = await cli.run(['info', '-a', APP], { env });
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(new RegExp(`^url: +${APP}\\.localhost:${port}$`, 'm'));
  });

  it('takes a git push on the remote the original CLI derives (deis-builder.localhost:2222) and serves the app at <app>.localhost', async () => {
    await pusher.addKeyTo({
      post: (p: string, body: unknown) => deis('POST', p, body),
    } as unknown as Parameters<Pusher['addKeyTo']>[0]);
    const { dir } = repoFromFixture('dockerfile-app');
    cliGit(dir, 'remote', 'add', 'deis', goRepositoryUrl(`deis.localhost:${port}`, APP));
    const ssh =
      `ssh -i ${pusher.keyFile} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no ` +
      `-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR ` +
      `-o ProxyCommand="node ${path.join(work, 'proxy.cjs')} %h %p"`;
    const code = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('git', ['push', 'deis', 'HEAD:refs/heads/main'], {
        cwd: dir,
        env: { ...process.env, GIT_SSH_COMMAND: ssh, GIT_TERMINAL_PROMPT: '0' },
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.on('close', (c) => resolve({ code: c, output }));
    });
    expect(code.code, code.output).toBe(0);
    const served = await viaRouter(port, `${APP}.localhost`);
    expect(served.status).toBe(200);
    expect(served.body).toMatch(/^Hello from a Dockerfile app, release v\d+/);
  }, 300_000);

  it("refuses deis.localhost to an app's process: the router's address on its network answers 404, the host's address nothing", async () => {
    const procs = await listProcs(docker, instance, APP);
    // A Dockerfile app without a Procfile runs its CMD as the `cmd` type, as on Deis.
    const web = procs.find((p) => p.state === 'running')!;
    const nets = await appNetworks(docker, instance);
    const routerOnApp = routerAddress(nets.get(APP)!);
    const router = await docker.getContainer(`${instance}-router`).inspect();
    const home = router.NetworkSettings.Networks[instance]!;
    const inside = async (script: string) =>
      (await execIn(docker, web.id, ['bash', '-c', script])).output.trim();
    const curl = (target: string, hostHeader: string) =>
      inside(
        `curl -s -m 5 -o /tmp/body -w '%{http_code} ' -H 'Host: ${hostHeader}' ${target}/v2/auth/login/ ` +
          `-H 'Content-Type: application/json' --data '{"username":"admin","password":"secret-pw"}'; head -c 300 /tmp/body`,
      );
    // The check works: the app reaches itself through the router.
    expect(await curl(`http://${routerOnApp}`, `${APP}.localhost:${port}`)).toMatch(/^405 |^404 |^200 /);
    const refused = await curl(`http://${routerOnApp}`, `deis.localhost:${port}`);
    expect(refused).toMatch(/^404 <html>/);
    expect(refused).toContain('No app is routed at this address.');
    expect(refused).not.toContain('token');
    expect(await curl(`http://${routerOnApp}`, 'deis.localhost')).toMatch(/^404 <html>/);
    // The router's home address (where the host's requests arrive) is on another network: no way there.
    expect(await curl(`http://${home.IPAddress}`, `deis.localhost:${port}`)).toMatch(/^000/);
    // Nor the published port, which is on the host's loopback only.
    expect(await curl(`http://${gatewayAddress(nets.get(APP)!)}:${port}`, `deis.localhost:${port}`)).toMatch(
      /^000/,
    );
    // The router takes no packet on an interface its answer would not leave by.
    const rp = await execIn(docker, `${instance}-router`, ['cat', '/proc/sys/net/ipv4/conf/all/rp_filter']);
    expect(rp.output.trim()).toBe('1');
  }, 120_000);

  it('refuses web pages and other names: a foreign or app Origin gets 403, another Host 404', async () => {
    const foreign = await deis('GET', '/v2/apps/', undefined, { Origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    const app = await deis('GET', '/v2/apps/', undefined, { Origin: `http://${APP}.localhost:${port}` });
    expect(app.status).toBe(403);
    const sameSite = await deis('GET', '/v2/apps/', undefined, { 'Sec-Fetch-Site': 'same-site' });
    expect(sameSite.status).toBe(403);
    // The UI, were it opened at this address, is same-origin.
    const own = await deis('GET', '/v2/apps/', undefined, { Origin: `http://deis.localhost:${port}` });
    expect(own.status, own.text).toBe(200);
    // A DNS-rebinding page names its own host: the router knows no such app.
    const rebound = await call(port, 'evil.example', 'GET', '/v2/apps/', { token });
    expect(rebound.status).toBe(404);
    expect(rebound.text).not.toContain(APP);
  });

  it('keeps the API body limits: a body up to 2 MiB passes, a bigger one gets 413 with the reason, an anonymous one 16 KiB, every time', async () => {
    const big = 'x'.repeat(API_BODY_LIMIT - 64 * 1024);
    const set = await deis('POST', `/v2/apps/${APP}/config/`, { values: { BIG: big.slice(0, 60_000) } });
    expect(set.status, set.text).toBe(201);
    // Larger than the config allows but within the API's body limit: the core answers, in its words.
    const large = await deis('POST', `/v2/apps/${APP}/config/`, { values: { BIG: big } });
    expect(large.status, large.text).toBe(400);
    const tooBig = await deis('POST', `/v2/apps/${APP}/config/`, { values: { BIG: big + big } });
    expect(tooBig.status, tooBig.text).toBe(413);
    expect(tooBig.body).toEqual({
      detail: 'The request body is larger than the 2048 KiB the API accepts; send less at once.',
    });
    // Refused before the body is read (too big for a sign-in, or no token): the core's own answer,
    // every time, never a broken connection the router would have to call a dead core.
    const oversized = JSON.stringify({ username: 'admin', password: 'x'.repeat(API_BODY_LIMIT / 2) });
    for (let i = 0; i < 10; i++) {
      const anonymous = await call(port, 'deis.localhost', 'POST', '/v2/auth/login/', {
        body: JSON.stringify({ username: 'admin', password: 'x'.repeat(API_ANONYMOUS_BODY_LIMIT) }),
      });
      expect(anonymous.status, anonymous.text).toBe(413);
      const big = await call(port, 'deis.localhost', 'POST', '/v2/auth/login/', { body: oversized });
      expect(big.status, big.text).toBe(413);
      const noToken = await call(port, 'deis.localhost', 'POST', `/v2/apps/${APP}/config/`, {
        body: oversized,
      });
      expect(noToken.status, noToken.text).toBe(401);
    }
  });

  it('streams the log follow through the router as lines are written, unbuffered', async () => {
    const lines: string[] = [];
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: `/v2/desktop/apps/${APP}/logs/`,
      headers: { Host: `deis.localhost:${port}`, Authorization: `token ${token}` },
      agent: false,
    });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    res.on('data', (c: Buffer) => lines.push(c.toString()));
    const text = () => lines.join('');
    const started = () => text().split('listening on').length - 1;
    await eventually(async () => text().includes(': following'));
    const before = started();
    // A new release starts a new process, whose first line arrives while the stream stays open.
    expect((await deis('POST', `/v2/apps/${APP}/config/`, { values: { STREAMED: '1' } })).status).toBe(201);
    await eventually(async () => started() > before, 60_000);
    req.destroy();
  }, 120_000);

  it("streams a one-off run's output through the router as it comes, before the command ends", async () => {
    const body = JSON.stringify({ command: 'echo first; sleep 3; echo second' });
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/v2/desktop/apps/${APP}/run/`,
      headers: {
        Host: `deis.localhost:${port}`,
        Authorization: `token ${token}`,
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(body)),
      },
      agent: false,
    });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
      req.end(body);
    });
    expect(res.statusCode).toBe(200);
    let text = '';
    let endedWhenFirstArrived: boolean | undefined;
    res.on('data', (c: Buffer) => {
      text += c.toString();
      if (endedWhenFirstArrived === undefined && text.includes('first'))
        endedWhenFirstArrived = text.includes('event: exit');
    });
    await new Promise((resolve) => res.on('end', resolve));
    expect(text).toContain('second');
    expect(text).toMatch(/event: exit\ndata: \{"exit_code":0\}/);
    // Buffered by the proxy, the first line would have come only with the end of the command.
    expect(endedWhenFirstArrived).toBe(false);
  }, 120_000);

  it('answers 503 with the reason when the core is not running, and serves again when it is', async () => {
    await t.core.stop();
    const down = await deis('GET', '/v2/apps/');
    expect(down.status).toBe(503);
    expect((down.body as { detail: string }).detail).toMatch(/core does not answer through the router/);
    // Apps keep being served without the core.
    expect((await viaRouter(port, `${APP}.localhost`)).status).toBe(200);
    t = await startTestCore({
      target: 'docker',
      instance,
      routerBase: BASE_IMAGE,
      routerPort: port,
      home: t.home,
    });
    expect((await deis('GET', '/v2/apps/')).status).toBe(200);
  }, 120_000);
});
