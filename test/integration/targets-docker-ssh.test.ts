/**
 * A Docker engine on another host over SSH as a stored target, through the API and the real CLI of
 * a real core: OpenSSH's sshd started here on 127.0.0.1, and behind it this machine's dockerd (the
 * "remote" engine, reached by `docker system dial-stdio` through that sshd). An unknown host key is
 * a 409 naming it (host, type, SHA256 fingerprint) and nothing is stored; a wrong fingerprint trusts
 * nothing; the right one is appended to DEIS_HOME/ssh/known_hosts and the target is added after its
 * named checks. A changed key and a refused login are refused and change nothing. An app created on
 * the target is deployed there and answers at the target's own router_url; removing the target is
 * refused while the app runs there, then allowed, and its router is gone from that engine. The CLI
 * off a terminal names the --trust-host-key flag to add.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addedTargetInstance } from '../../cluster';
import { Api, startTestCore, type TestCore } from '../support/core';
import { CliUser } from '../support/cli';
import { BASE_IMAGE, dockerAvailable } from '../support/images';
import {
  buildFixture,
  docker,
  eventually,
  instanceName,
  pushBuild,
  removeImage,
  removeInstance,
  viaRouter,
  viaRouterTls,
} from '../support/run-stage';
import { fingerprintOf, keygen, sshdMissing, startSshd, type TestSshd } from '../support/sshd';

const hasDocker = await dockerAvailable();
const missing = sshdMissing();
if (!hasDocker || missing)
  console.warn(`targets-docker-ssh tests skipped: ${missing ?? 'no Docker engine answers'}.`);

const APP = 'sshtarget-app';
const TARGET = 'edge';

interface TargetJson {
  name: string;
  kind: string;
  state: string;
  server: string;
  server_version: string;
  router_url: string;
  router_https_url: string | null;
  apps: number;
  message: string;
}

describe.skipIf(!hasDocker || missing !== undefined)('a Docker host over SSH as a stored target', () => {
  const instance = instanceName('sshtgt');
  const temps: string[] = [];
  let sshd: TestSshd;
  let t: TestCore;
  let admin: Api;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  let url: string;
  let hostFingerprint: string;
  let ours: string;

  const targets = async () =>
    ((await admin.get('/v2/desktop/targets/')).body as { results: TargetJson[] }).results;
  const tempDir = (label: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `deis-sshtgt-${label}-`));
    temps.push(dir);
    return dir;
  };

  beforeAll(async () => {
    sshd = await startSshd();
    url = sshd.url;
    hostFingerprint = sshd.fingerprint;
    t = await startTestCore({ target: 'docker', instance, routerBase: BASE_IMAGE });
    ours = path.join(t.home, 'ssh', 'known_hosts');
    admin = await new Api(t.url).register('admin');
    built = await buildFixture(APP, 'run-app');
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    await removeInstance(addedTargetInstance(instance, TARGET));
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    await sshd?.stop();
    for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
  });

  it('answers an unknown host key with a 409 naming it, and stores nothing', async () => {
    const r = await admin.post('/v2/desktop/targets/', {
      name: TARGET,
      docker: url,
      identity: sshd.clientKey,
    });
    expect(r.status, r.text).toBe(409);
    expect(r.body).toEqual({
      detail: expect.stringMatching(
        new RegExp(
          `^The host \\[127\\.0\\.0\\.1\\]:${sshd.port} is not known: it presented the ssh-ed25519 key ${hostFingerprint.replace(/[+/]/g, '\\$&')}\\. .*trust_host_key`,
        ),
      ),
      host_key: { host: `[127.0.0.1]:${sshd.port}`, type: 'ssh-ed25519', fingerprint: hostFingerprint },
    });
    expect((await targets()).map((x) => x.name)).toEqual(['local']);
    expect(fs.existsSync(ours)).toBe(false);
  }, 60_000);

  it('trusts nothing when the fingerprint given is not the one the host presents', async () => {
    const other = path.join(tempDir('key'), 'other');
    keygen(other, 'other@test');
    const wrong = fingerprintOf(`${other}.pub`);
    const r = await admin.post('/v2/desktop/targets/', {
      name: TARGET,
      docker: url,
      identity: sshd.clientKey,
      trust_host_key: wrong,
    });
    expect(r.status, r.text).toBe(400);
    expect((r.body as Record<string, string[]>).trust_host_key?.[0]).toBe(
      `The host [127.0.0.1]:${sshd.port} presented the ssh-ed25519 key ${hostFingerprint}, not ${wrong}: nothing was trusted. Check the fingerprint with the host's owner.`,
    );
    const garbled = await admin.post('/v2/desktop/targets/', {
      name: TARGET,
      docker: url,
      trust_host_key: 'SHA256:not-a-fingerprint',
    });
    expect(garbled.status).toBe(400);
    expect((await targets()).map((x) => x.name)).toEqual(['local']);
    expect(fs.existsSync(ours)).toBe(false);
  }, 60_000);

  it('refuses a login with a key the host does not take, and keeps no trusted key', async () => {
    const stranger = path.join(tempDir('key'), 'stranger');
    keygen(stranger, 'stranger@test');
    const r = await admin.post('/v2/desktop/targets/', {
      name: TARGET,
      docker: url,
      identity: stranger,
      trust_host_key: hostFingerprint,
    });
    expect(r.status, r.text).toBe(400);
    expect((r.body as { detail: string }).detail).toBe(
      `The target ${TARGET} was not added: The SSH server at root@127.0.0.1:${sshd.port} refused the login of root with the key ${stranger}; add the public key to ~root/.ssh/authorized_keys there, or use another key.`,
    );
    expect((await targets()).map((x) => x.name)).toEqual(['local']);
    // The key trusted on the way is taken back with the rest of the failed add.
    expect(fs.existsSync(ours) ? fs.readFileSync(ours, 'utf8') : '').toBe('');
  }, 60_000);

  it('adds the host with the right fingerprint after named checks, the key in our known_hosts only', async () => {
    const r = await admin.post('/v2/desktop/targets/', {
      name: TARGET,
      docker: url,
      identity: sshd.clientKey,
      trust_host_key: hostFingerprint,
    });
    expect(r.status, r.text).toBe(201);
    const body = r.body as TargetJson & { checks: { name: string; ok: boolean; message: string }[] };
    expect(body).toMatchObject({ name: TARGET, kind: 'docker', server: url, state: 'idle', apps: 0 });
    const version = (await docker.version()).Version;
    expect(body.server_version).toBe(version);
    expect(body.checks.map((c) => [c.name, c.ok])).toEqual([
      ['host-key', true],
      ['login', true],
      ['engine', true],
      ['create', true],
    ]);
    expect(body.checks[2]!.message).toContain(`answers: Docker ${version}`);
    expect(fs.readFileSync(ours, 'utf8')).toBe(`${sshd.knownHostsLine}\n`);
    expect(fs.statSync(ours).mode & 0o777).toBe(0o600);
    // The check left nothing on the engine.
    const leftovers = await docker.listContainers({
      all: true,
      filters: { label: ['io.deis-desktop.role=check'] },
    });
    expect(leftovers.filter((c) => c.Names.some((n) => n.includes(`probe-${process.pid}-`)))).toEqual([]);
    // A target added is not connected until one of its apps needs it.
    expect((await targets()).find((x) => x.name === TARGET)?.state).toBe('idle');
  }, 120_000);

  it('runs an app created on it there, answering at its own router_url, and refuses removal while it runs', async () => {
    expect((await admin.post('/v2/apps/', { id: APP, target: TARGET })).status).toBe(201);
    await admin.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2', PORT: '5000' },
    });
    const r = await pushBuild(admin, APP, built);
    expect(r.status, r.text).toBe(201);
    const edge = (await targets()).find((x) => x.name === TARGET)!;
    expect(edge).toMatchObject({ state: 'ready', apps: 1 });
    const port = Number(/^http:\/\/127\.0\.0\.1:(\d+)$/.exec(edge.router_url)?.[1]);
    expect(port, edge.router_url).toBeGreaterThan(0);
    // Its own port: not local's router.
    const local = (await targets()).find((x) => x.name === 'local')!;
    expect(edge.router_url).not.toBe(local.router_url);
    await eventually(async () => (await viaRouter(port, `${APP}.localhost`)).status === 200);
    expect((await viaRouter(port, `${APP}.localhost`)).body).toMatch(/^Hello from v\d+ on /);
    // HTTPS too, on another port of its own forwarded to that router's, with the local authority's
    // certificate for the app's name; local says where its own router answers HTTPS.
    expect(local.router_https_url).toBe(`https://127.0.0.1:${t.core.target.routerTlsPort}`);
    const tlsPort = Number(/^https:\/\/127\.0\.0\.1:(\d+)$/.exec(edge.router_https_url ?? '')?.[1]);
    expect(tlsPort, String(edge.router_https_url)).toBeGreaterThan(0);
    expect(edge.router_https_url).not.toBe(local.router_https_url);
    const ca = fs.readFileSync(path.join(t.home, 'tls', 'ca.crt'), 'utf8');
    const secure = await viaRouterTls(tlsPort, `${APP}.localhost`, ca);
    expect(secure.status).toBe(200);
    expect(secure.body).toMatch(/^Hello from v\d+ on /);
    expect(secure.issuer).toBe('Deis Desktop local CA for localhost');
    // The process runs under the target's own instance label, its router on that engine's loopback.
    const procs = await docker.listContainers({
      filters: { label: [`io.deis-desktop.instance=${addedTargetInstance(instance, TARGET)}`] },
    });
    expect(procs.map((c) => c.Labels['io.deis-desktop.role']).sort()).toEqual(['process', 'router']);
    // local's router does not serve it.
    const localPort = Number(/:(\d+)$/.exec(local.router_url)?.[1]);
    expect((await viaRouter(localPort, `${APP}.localhost`)).status).not.toBe(200);

    const refused = await admin.delete(`/v2/desktop/targets/${TARGET}/`);
    expect(refused.status).toBe(409);
    expect((refused.body as { detail: string }).detail).toBe(
      `The target ${TARGET} still runs 1 app (${APP}); destroy it first.`,
    );
    expect((await targets()).map((x) => x.name)).toEqual(['local', TARGET]);
  }, 600_000);

  it('removes the target once no app runs there, and its router with it', async () => {
    expect((await admin.delete(`/v2/apps/${APP}/`)).status).toBe(204);
    const r = await admin.delete(`/v2/desktop/targets/${TARGET}/`);
    expect(r.status, r.text).toBe(204);
    expect((await targets()).map((x) => x.name)).toEqual(['local']);
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`io.deis-desktop.instance=${addedTargetInstance(instance, TARGET)}`] },
    });
    expect(left).toEqual([]);
  }, 120_000);

  it('never accepts a changed host key, even with its fingerprint', async () => {
    const impostor = path.join(tempDir('key'), 'impostor');
    keygen(impostor, 'impostor@test');
    const impostorLine = fs.readFileSync(`${impostor}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    const before = `[127.0.0.1]:${sshd.port} ${impostorLine}\n`;
    fs.writeFileSync(ours, before, { mode: 0o600 });
    const r = await admin.post('/v2/desktop/targets/', {
      name: 'moved',
      docker: url,
      identity: sshd.clientKey,
      trust_host_key: hostFingerprint,
    });
    expect(r.status, r.text).toBe(400);
    expect((r.body as { detail: string }).detail).toMatch(
      /^The target moved was not added: REFUSED: the host key of \[127\.0\.0\.1\]:\d+ has changed: /,
    );
    expect(fs.readFileSync(ours, 'utf8')).toBe(before);
    expect((await targets()).map((x) => x.name)).toEqual(['local']);
    fs.writeFileSync(ours, `${sshd.knownHostsLine}\n`);
  }, 60_000);

  it('names the --trust-host-key flag when the CLI meets an unknown key off a terminal; a host gone away blocks nothing', async () => {
    const other = await startSshd();
    // The key outlives the sshd's folder (removed when it stops, below).
    const otherKey = path.join(tempDir('key'), 'client');
    fs.copyFileSync(other.clientKey, otherKey);
    const user = new CliUser();
    let stopped = false;
    try {
      const login = await user.run(['login', t.url, '--username=admin', '--password=secret-pw']);
      expect(login.code, login.stderr).toBe(0);
      const r = await user.run([
        'targets:add',
        'other',
        `--docker=ssh://root@127.0.0.1:${other.port}`,
        `--identity=${otherKey}`,
      ]);
      const fingerprint = other.fingerprint;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `The host [127.0.0.1]:${other.port} is not known: it presented the ssh-ed25519 key ${fingerprint}.`,
      );
      expect(r.stderr).toContain(`run the command again with --trust-host-key=${fingerprint}`);
      expect((await targets()).map((x) => x.name)).toEqual(['local']);
      const again = await user.run([
        'targets:add',
        'other',
        `--docker=ssh://root@127.0.0.1:${other.port}`,
        `--identity=${otherKey}`,
        `--trust-host-key=${fingerprint}`,
      ]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/done, added other \(Docker \S+ at ssh:\/\/root@127\.0\.0\.1:\d+\)/);
      expect(again.stdout).toMatch(/^ok +An image, a network and a container were created on/m);
      const list = await user.run(['targets']);
      expect(list.stdout).toMatch(/^ other +\| docker +\| idle +\| \S+ +\| ssh:\/\/root@127\.0\.0\.1:\d+ /m);
      // Where local's router answers, plain and HTTPS, side by side.
      expect(list.stdout).toMatch(/\|\s+Router\s+\|\s+HTTPS\s+\|\s+Apps/);
      expect(list.stdout).toMatch(
        /^ local \(default\) .*\| http:\/\/127\.0\.0\.1:\d+ +\| https:\/\/127\.0\.0\.1:\d+ +\| \d+/m,
      );
      // A host that went away keeps nothing else from working: its app's deploy says why, the
      // target says it is unavailable, and local and the API answer as before.
      await other.stop();
      stopped = true;
      expect((await admin.post('/v2/apps/', { id: 'away-app', target: 'other' })).status).toBe(201);
      const deploy = await pushBuild(admin, 'away-app', built);
      expect(deploy.status).toBeGreaterThanOrEqual(400);
      expect(deploy.text).toContain(`Nothing accepts SSH connections at 127.0.0.1 port ${other.port}`);
      const away = (await targets()).find((x) => x.name === 'other')!;
      expect(away).toMatchObject({ state: 'unavailable', router_url: '', router_https_url: null });
      expect(away.message).toContain(`Nothing accepts SSH connections at 127.0.0.1 port ${other.port}`);
      expect((await admin.get('/v2/apps/')).status).toBe(200);
      expect((await admin.delete('/v2/apps/away-app/')).status).toBe(204);
      expect((await admin.delete('/v2/desktop/targets/other/')).status).toBe(204);
    } finally {
      user.remove();
      if (!stopped) await other.stop();
    }
  }, 120_000);

  it("asks about a bastion's unknown key the same way, and takes a trusted key back when the add fails", async () => {
    const bastion = await startSshd();
    const dir = tempDir('kube');
    // An API server nothing listens on, as the bastion sees it.
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const kubeconfig = path.join(dir, 'config');
    fs.writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
current-context: dev
clusters:
- cluster: {server: "https://127.0.0.1:${closed}", insecure-skip-tls-verify: true}
  name: dev
contexts:
- context: {cluster: dev, user: dev}
  name: dev
users:
- name: dev
  user: {token: not-a-real-token}
`,
    );
    const read = () => (fs.existsSync(ours) ? fs.readFileSync(ours, 'utf8') : '');
    const before = read();
    const request = {
      name: 'behind',
      kubeconfig,
      registry: '127.0.0.1:5000',
      bastion: `ssh://root@127.0.0.1:${bastion.port}`,
      bastion_identity: bastion.clientKey,
    };
    try {
      const fingerprint = bastion.fingerprint;
      const asked = await admin.post('/v2/desktop/targets/', request);
      expect(asked.status, asked.text).toBe(409);
      expect((asked.body as { host_key: unknown }).host_key).toEqual({
        host: `[127.0.0.1]:${bastion.port}`,
        type: 'ssh-ed25519',
        fingerprint,
      });
      const trusted = await admin.post('/v2/desktop/targets/', { ...request, trust_host_key: fingerprint });
      expect(trusted.status, trusted.text).toBe(400);
      expect((trusted.body as { detail: string }).detail).toMatch(
        new RegExp(
          `^The target behind was not added: .*The bastion root@127\\.0\\.0\\.1:${bastion.port} does not forward to 127\\.0\\.0\\.1:${closed}`,
        ),
      );
      // Nothing of the failed add is kept: not the target, not its kubeconfig copy, not the key.
      expect((await targets()).map((x) => x.name)).toEqual(['local']);
      expect(fs.existsSync(path.join(t.home, 'targets', 'behind'))).toBe(false);
      expect(read()).toBe(before);
    } finally {
      await bastion.stop();
    }
  }, 120_000);
});
