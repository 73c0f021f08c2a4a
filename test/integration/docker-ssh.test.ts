/**
 * A Docker engine on another host over SSH, as `docker -H ssh://` reaches it: OpenSSH's own sshd,
 * started here on 127.0.0.1 with a generated host key and one authorized key, and behind it this
 * machine's dockerd (reached by `docker system dial-stdio` run through that sshd). A core started as
 * a user starts it (`npm run serve` with DOCKER_HOST=ssh://root@127.0.0.1:<port>, a HOME whose
 * ~/.ssh holds the key and known_hosts) deploys an app that answers through its router, whose ports
 * are forwarded over the same SSH connection. An unknown host key, a changed one and a wrong key
 * each stop it with a sentence (host, key type, SHA256 fingerprint) and change nothing; a key the
 * user accepts goes to DEIS_HOME/ssh/known_hosts, never to ~/.ssh/known_hosts. A host without the
 * docker command says so rather than dropping the connection.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostKeyFiles } from '../../cluster/ssh/connect';
import { dockerOverSsh } from '../../cluster/ssh/docker-engine';
import { SshError } from '../../cluster/ssh/errors';
import { trustHostKey } from '../../cluster/ssh/known-hosts';
import { Api } from '../support/core';
import { startCoreProcess, type CoreProcess } from '../support/core-process';
import { repoFromFolder } from '../support/git';
import { appFolder } from '../support/k8s/app';
import { Pusher } from '../support/push';
import { BASE_IMAGE, dockerAvailable } from '../support/images';
import {
  buildFixture,
  docker,
  eventually,
  freePort,
  instanceName,
  pushBuild,
  removeImage,
  removeInstance,
  viaRouter,
} from '../support/run-stage';
import { fingerprintOf, keygen, sshdMissing, startSshd, type TestSshd } from '../support/sshd';

const hasDocker = await dockerAvailable();
const missing = sshdMissing();
if (!hasDocker || missing)
  console.warn(`docker-ssh tests skipped: ${missing ?? 'no Docker engine answers'}.`);

const APP = 'ssh-app';
const instances: string[] = [];
const temps: string[] = [];

function tempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `deis-ssh-${label}-`));
  temps.push(dir);
  return dir;
}

/** A user's home: ~/.ssh/id_ed25519 (a copy of `key`) and, when given, ~/.ssh/known_hosts. */
function userHome(key: string, knownHosts?: string): string {
  const home = tempDir('home');
  fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
  fs.copyFileSync(key, path.join(home, '.ssh', 'id_ed25519'));
  fs.chmodSync(path.join(home, '.ssh', 'id_ed25519'), 0o600);
  if (knownHosts !== undefined) fs.writeFileSync(path.join(home, '.ssh', 'known_hosts'), knownHosts);
  return home;
}

async function coreOverSsh(
  label: string,
  sshd: TestSshd,
  home: string,
): Promise<CoreProcess & { instance: string; deisHome: string }> {
  const instance = instanceName(`ssh-${label}`);
  instances.push(instance);
  const deisHome = tempDir('deis');
  const core = await startCoreProcess({
    home: deisHome,
    instance,
    apiPort: await freePort(),
    routerPort: 0,
    routerBase: BASE_IMAGE,
    env: {
      DOCKER_HOST: `ssh://root@127.0.0.1:${sshd.port}`,
      HOME: home,
      SSH_AUTH_SOCK: '',
    },
  });
  return Object.assign(core, { instance, deisHome });
}

/** What the instance has on the engine (containers, networks): nothing, for a core that could not connect. */
async function instanceObjects(instance: string): Promise<number> {
  const label = { label: [`io.deis-desktop.instance=${instance}`] };
  const containers = await docker.listContainers({ all: true, filters: label });
  const networks = await docker.listNetworks({ filters: label });
  return containers.length + networks.length;
}

describe.skipIf(!hasDocker || missing !== undefined)('a Docker engine on another host over SSH', () => {
  let sshd: TestSshd;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  const cores: CoreProcess[] = [];
  let deployed: (CoreProcess & { instance: string }) | undefined;
  let admin: Api;
  let routerPort = 0;
  let pusher: Pusher | undefined;

  beforeAll(async () => {
    sshd = await startSshd();
    built = await buildFixture(APP, 'run-app');
  }, 600_000);

  afterAll(async () => {
    for (const c of cores) await c.kill();
    pusher?.remove();
    for (const i of instances) await removeInstance(i);
    // The image the git push built on the (remote) engine.
    for (const i of await docker.listImages({ filters: { reference: [`deis-desktop/${APP}-git*`] } }))
      await removeImage(i.Id);
    if (built) await removeImage(built.image);
    await sshd?.stop();
    for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
  });

  it('deploys an app whose router answers on this machine through the SSH connection', async () => {
    const home = userHome(sshd.clientKey, sshd.knownHostsLine + '\n');
    const core = await coreOverSsh('deploy', sshd, home);
    cores.push(core);
    deployed = core;
    const output = () => core.output.join('');
    expect(output()).toContain(`Using the Docker engine at ssh://127.0.0.1:${sshd.port} over SSH`);
    expect(output()).toMatch(/target: ready/);
    expect(sshd.log()).toMatch(/Accepted publickey for root from 127\.0\.0\.1/);

    admin = await new Api(core.url).register('admin');
    expect((await admin.post('/v2/apps/', { id: APP })).status).toBe(201);
    await admin.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2', PORT: '5000' },
    });
    // `deis pull` of an image the remote engine has (this machine's dockerd is the remote engine).
    const r = await pushBuild(admin, APP, built);
    expect(r.status, r.text).toBe(201);

    // Where apps answer: a port on this machine's 127.0.0.1, forwarded to the remote router's.
    await eventually(async () => /router: apps answer at http:\/\/<app>\.localhost:\d+/.test(output()));
    const port = Number(/router: apps answer at http:\/\/<app>\.localhost:(\d+)/.exec(output())![1]);
    routerPort = port;
    await eventually(async () => (await viaRouter(port, `${APP}.localhost`)).status === 200);
    expect((await viaRouter(port, `${APP}.localhost`)).body).toMatch(/^Hello from v\d+ on /);

    // The router publishes on the remote host's loopback only, on a port of its own (not ours), and
    // nothing of this machine is bind-mounted into it (DEIS_HOME is not on that host).
    const router = await docker.getContainer(`${core.instance}-router`).inspect();
    const published = router.HostConfig.PortBindings?.['80/tcp']?.[0] as {
      HostIp?: string;
      HostPort?: string;
    };
    expect(published.HostIp).toBe('127.0.0.1');
    expect(Number(router.NetworkSettings.Ports['80/tcp']?.[0]?.HostPort)).not.toBe(port);
    expect(router.HostConfig.Binds ?? []).toEqual([]);
    // Nothing was written to the user's known_hosts.
    expect(fs.readFileSync(path.join(home, '.ssh', 'known_hosts'), 'utf8')).toBe(sshd.knownHostsLine + '\n');
  }, 600_000);

  it('builds a git push on that engine (only the source crosses the connection) and serves it', async () => {
    expect(deployed, 'the first test started the core').toBeTruthy();
    const app = `${APP}-git`;
    const builderPort = Number(/ssh:\/\/git@127\.0\.0\.1:(\d+)\//.exec(deployed!.output.join(''))![1]);
    pusher = new Pusher(builderPort, 'ssh-owner');
    await pusher.addKeyTo(admin);
    expect((await admin.post('/v2/apps/', { id: app })).status).toBe(201);
    await admin.post(`/v2/apps/${app}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    });
    const r = await pusher.push(repoFromFolder(appFolder()).dir, app);
    expect(r.code, r.output).toBe(0);
    await eventually(async () => (await viaRouter(routerPort, `${app}.localhost`)).status === 200);
    expect((await viaRouter(routerPort, `${app}.localhost`)).body).toMatch(/^v\d+ hello\n$/);
  }, 600_000);

  it('stops at an unknown host key, naming the host, the key type and its fingerprint, and changes nothing', async () => {
    const home = userHome(sshd.clientKey);
    const core = await coreOverSsh('unknown', sshd, home);
    cores.push(core);
    const fingerprint = sshd.fingerprint;
    expect(core.output.join('')).toContain(
      `target: not ready, trying again every 5 s: The host [127.0.0.1]:${sshd.port} is not known: it presented the ssh-ed25519 key ${fingerprint}.`,
    );
    expect(await instanceObjects(core.instance)).toBe(0);
    expect(fs.existsSync(path.join(home, '.ssh', 'known_hosts'))).toBe(false);
    expect(fs.existsSync(path.join(core.deisHome, 'ssh', 'known_hosts'))).toBe(false);
  }, 120_000);

  it('refuses a wrong key with a sentence, and changes nothing', async () => {
    const other = path.join(tempDir('key'), 'id_ed25519');
    keygen(other, 'stranger@test');
    const home = userHome(other, sshd.knownHostsLine + '\n');
    const core = await coreOverSsh('wrongkey', sshd, home);
    cores.push(core);
    expect(core.output.join('')).toContain(
      `target: not ready, trying again every 5 s: The SSH server at root@127.0.0.1:${sshd.port} refused the login of root with ${home}/.ssh/id_ed25519; add the public key to ~root/.ssh/authorized_keys there, or use another key.`,
    );
    expect(await instanceObjects(core.instance)).toBe(0);
  }, 120_000);

  it('trusts an accepted key in our own known_hosts only, and refuses a changed key loudly', async () => {
    const home = userHome(sshd.clientKey, '');
    const ours = path.join(tempDir('deis'), 'ssh', 'known_hosts');
    const options = { identity: sshd.clientKey, home, knownHosts: ours };
    const url = `ssh://root@127.0.0.1:${sshd.port}`;
    const first = dockerOverSsh(url, options);
    const refusal = await first.docker.ping().then(
      () => undefined,
      (err: unknown) => err,
    );
    first.close();
    expect(refusal).toBeInstanceOf(SshError);
    const asked = (refusal as SshError).hostKey!;
    expect(asked).toMatchObject({
      name: `[127.0.0.1]:${sshd.port}`,
      type: 'ssh-ed25519',
      fingerprint: sshd.fingerprint,
    });
    // The user said yes: the key goes to our file, the user's stays as it was.
    trustHostKey(hostKeyFiles(options), ours, asked);
    expect(fs.readFileSync(ours, 'utf8')).toBe(`${sshd.knownHostsLine}\n`);
    expect(fs.statSync(ours).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(home, '.ssh', 'known_hosts'), 'utf8')).toBe('');
    const second = dockerOverSsh(url, options);
    expect(String(await second.docker.ping())).toBe('OK');
    second.close();

    // Another key for the same host in the user's file: refused, and it cannot be trusted over it.
    const impostor = path.join(tempDir('key'), 'host');
    keygen(impostor, 'impostor');
    const impostorLine = fs.readFileSync(`${impostor}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    const changedHome = userHome(sshd.clientKey, `[127.0.0.1]:${sshd.port} ${impostorLine}\n`);
    const changed = dockerOverSsh(url, { identity: sshd.clientKey, home: changedHome });
    const loud = await changed.docker.ping().then(
      () => undefined,
      (err: unknown) => err as SshError,
    );
    changed.close();
    expect(loud?.code).toBe('host_key_changed');
    expect(loud?.message).toMatch(
      new RegExp(
        `^REFUSED: the host key of \\[127\\.0\\.0\\.1\\]:${sshd.port} has changed: .* ${changedHome}/\\.ssh/known_hosts line 1 says its ssh-ed25519 key is ${fingerprintOf(`${impostor}.pub`).replace(/[+/]/g, '\\$&')}`,
      ),
    );
    const changedOurs = path.join(tempDir('deis'), 'ssh', 'known_hosts');
    expect(() => trustHostKey(hostKeyFiles({ home: changedHome }), changedOurs, loud!.hostKey!)).toThrow(
      /is not accepted: .*known_hosts line 1 holds another key for it/,
    );
    expect(fs.existsSync(changedOurs)).toBe(false);
  }, 120_000);

  /** What a ping fails with on a host whose sshd runs `forceCommand` for every command, and its port. */
  async function pingThrough(forceCommand: string): Promise<{ err: SshError | undefined; port: number }> {
    const sshd = await startSshd({ config: [`ForceCommand ${forceCommand}`] });
    try {
      const home = userHome(sshd.clientKey, sshd.knownHostsLine + '\n');
      const engine = dockerOverSsh(`ssh://root@127.0.0.1:${sshd.port}`, { home });
      const err = await engine.docker.ping().then(
        () => undefined,
        (e: unknown) => e as SshError,
      );
      engine.close();
      return { err, port: sshd.port };
    } finally {
      await sshd.stop();
    }
  }

  it('says so when the host has no docker command, instead of a dropped connection', async () => {
    // The host's sshd runs every command as a missing docker would: "not found", exit 127.
    const { err, port } = await pingThrough('exec /nonexistent/docker system dial-stdio');
    expect(err?.code).toBe('no_docker');
    expect(err?.message).toMatch(
      new RegExp(
        `^root@127\\.0\\.0\\.1:${port} has no docker command \\(.*(not found|No such file or directory).*\\); install the Docker CLI there, as docker -H ssh:// needs it too\\.$`,
      ),
    );
  }, 60_000);

  it('says so too when the host ends the channel before it sends the exit status', async () => {
    // OpenSSH sends the EOF once the command's output is closed and the exit status once it has
    // exited: here a third of a second apart, in the order CI once met by chance (and got ECONNRESET).
    const { err, port } = await pingThrough(
      `sh -c 'echo "sh: 1: docker: not found" >&2; exec >&- 2>&-; sleep 0.3; exit 127'`,
    );
    expect(err?.code).toBe('no_docker');
    expect(err?.message).toBe(
      `root@127.0.0.1:${port} has no docker command (sh: 1: docker: not found); install the Docker CLI there, as docker -H ssh:// needs it too.`,
    );
  }, 60_000);
});
