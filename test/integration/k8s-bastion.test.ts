/**
 * A Kubernetes target whose API server is reached only through an SSH bastion. "Only" is made real
 * without touching the shared test cluster: the kubeconfig names the API server `kubernetes` (a name
 * its certificate carries), and that name resolves only inside the bastion — our sshd runs in a
 * mount namespace of its own whose /etc/hosts maps it to the API server's address, as a cluster's
 * private DNS name resolves only behind a real bastion. From this machine the name does not resolve
 * (the test shows it), and the bastion's `PermitOpen kubernetes:<port>` forwards to that server and
 * nothing else (the test shows a refusal). The core is started as a user starts it (DEIS_TARGET=
 * kubernetes with DEIS_KUBE_BASTION and DEIS_KUBE_BASTION_IDENTITY); a pushed app rolls out and
 * answers through the cluster's router, with TLS verified for the name `kubernetes`.
 */
import dns from 'node:dns/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectKube } from '../../cluster/kubernetes/client';
import { forwardThroughBastion } from '../../cluster/ssh/bastion';
import { Api } from '../support/core';
import { startCoreProcess, type CoreProcess } from '../support/core-process';
import { repoFromFolder } from '../support/git';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests } from '../support/k8s';
import { appFolder } from '../support/k8s/app';
import { eventually } from '../support/k8s/eventually';
import { kubectlFor } from '../support/k8s/kubectl';
import { Pusher } from '../support/push';
import { docker, freePort, removeImage, viaRouter } from '../support/run-stage';
import { sshdMissing, startSshd, type TestSshd } from '../support/sshd';

const missing = sshdMissing();
if (missing) console.warn(`k8s-bastion tests skipped: ${missing}.`);
const cluster = missing
  ? undefined
  : await clusterForTests('k8s-bastion', { registry: true, hostRouted: true, kubectl: true });

const instance = `dd-bastion-${process.pid}`;
const APP = `bastion-${process.pid}`;

describe.skipIf(!cluster)('a Kubernetes target behind an SSH bastion', () => {
  let sshd: TestSshd;
  let core: CoreProcess;
  let pusher: Pusher;
  let dir: string;
  let kubeconfig: string;
  let apiPort: number;
  /** The first user (an administrator), registered by the first test. */
  let owner: Api;

  beforeAll(async () => {
    await ensureBaseImage();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-bastion-'));
    // The cluster's kubeconfig, with the server named by a name only the bastion resolves.
    const original = fs.readFileSync(cluster!.kubeconfig, 'utf8');
    const server = /server: https:\/\/127\.0\.0\.1:(\d+)/.exec(original);
    expect(server, 'the test cluster serves its API on 127.0.0.1').toBeTruthy();
    apiPort = Number(server![1]);
    kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, original.replace(server![0], `server: https://kubernetes:${apiPort}`));
    sshd = await startSshd({
      hosts: { kubernetes: '127.0.0.1' },
      config: ['AllowTcpForwarding local', `PermitOpen kubernetes:${apiPort}`],
    });
  }, 600_000);

  afterAll(async () => {
    await core?.kill();
    pusher?.remove();
    const kubectl = kubectlFor(cluster!.kubeconfig);
    await kubectl(['delete', 'namespace', APP, '--ignore-not-found', '--wait=false']).catch(() => '');
    await kubectl(['delete', 'namespace', '-l', `deis-desktop/instance=${instance}`, '--wait=false']).catch(
      () => '',
    );
    await sshd?.stop();
    // The image the push built on this machine's engine.
    for (const i of await docker.listImages({ filters: { reference: [`deis-desktop/${APP}*`] } }))
      await removeImage(i.Id);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await cluster?.release();
  });

  it('runs a pushed app with the API server reached only through the bastion', async () => {
    // Directly, the kubeconfig's server is not reachable from here: its name does not resolve.
    await expect(dns.lookup('kubernetes')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const direct = await connectKube({ kubeconfig });
    await expect(direct.core.listNamespace()).rejects.toThrow(/ENOTFOUND|getaddrinfo/);
    // The bastion forwards to that server and to nothing else (PermitOpen).
    const home = path.join(dir, 'home');
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(home, '.ssh', 'known_hosts'), sshd.knownHostsLine + '\n');
    const knownHosts = path.join(home, '.ssh', 'known_hosts');
    const bastion = { url: `ssh://root@127.0.0.1:${sshd.port}`, identity: sshd.clientKey, knownHosts };
    await expect(forwardThroughBastion(bastion, '127.0.0.1', apiPort)).rejects.toThrow(
      `The bastion root@127.0.0.1:${sshd.port} does not forward to 127.0.0.1:${apiPort}`,
    );

    core = await startCoreProcess({
      home: path.join(dir, 'deis'),
      instance,
      apiPort: await freePort(),
      routerPort: 0,
      routerBase: BASE_IMAGE,
      env: {
        HOME: home,
        SSH_AUTH_SOCK: '',
        DEIS_TARGET: 'kubernetes',
        DEIS_KUBECONFIG: kubeconfig,
        DEIS_KUBE_BASTION: bastion.url,
        DEIS_KUBE_BASTION_IDENTITY: sshd.clientKey,
        DEIS_REGISTRY: cluster!.registry!.address,
        DEIS_REGISTRY_USERNAME: cluster!.registry!.username,
        DEIS_REGISTRY_PASSWORD: cluster!.registry!.password,
      },
    });
    const output = () => core.output.join('');
    expect(output()).toMatch(/target: ready/);
    // TLS was verified for the server's name, through the bastion: the core logged in as root there.
    expect(sshd.log()).toMatch(/Accepted publickey for root from 127\.0\.0\.1/);

    owner = await new Api(core.url).register('owner');
    pusher = new Pusher(Number(/ssh:\/\/git@127\.0\.0\.1:(\d+)\//.exec(output())![1]), 'owner');
    await pusher.addKeyTo(owner);
    expect((await owner.post('/v2/apps/', { id: APP })).status).toBe(201);
    await owner.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '3' },
    });
    const r = await pusher.push(repoFromFolder(appFolder()).dir, APP);
    expect(r.code, r.output).toBe(0);
    expect(r.remote).toContain('  cmd: 1/1 ready');

    const url = await eventually(
      'the router URL',
      async () => /router: apps answer at (http:\/\/[\d.]+:\d+)/.exec(output())?.[1],
    );
    const port = Number(new URL(url).port);
    const body = await eventually('the app through the router', async () => {
      const reply = await viaRouter(port, `${APP}.localhost`);
      return reply.status === 200 ? reply.body : undefined;
    });
    expect(body).toMatch(/^v\d+ hello\n$/);
    // The core's pods list comes from the API server, through the bastion.
    const pods = (await owner.get(`/v2/apps/${APP}/pods/`)).body as { results: { state: string }[] };
    expect(pods.results).toEqual([expect.objectContaining({ state: 'up' })]);
  }, 600_000);

  it('adds the cluster as a target through the bastion, and without it refuses the add and stores nothing', async () => {
    const admin = owner;
    const target = {
      name: 'behind',
      kubeconfig,
      registry: cluster!.registry!.address,
      registry_username: cluster!.registry!.username,
      registry_password: cluster!.registry!.password,
    };
    const direct = await admin.post('/v2/desktop/targets/', target);
    expect(direct.status, direct.text).toBe(400);
    expect((direct.body as { detail: string }).detail).toMatch(/^The target behind was not added: /);
    const badUrl = await admin.post('/v2/desktop/targets/', {
      ...target,
      bastion: 'ssh://root:pw@127.0.0.1',
    });
    expect(badUrl.status).toBe(400);
    expect(badUrl.text).not.toContain(':pw@');
    expect(
      ((await admin.get('/v2/desktop/targets/')).body as { results: { name: string }[] }).results.map(
        (t) => t.name,
      ),
    ).toEqual(['local']);

    const added = await admin.post('/v2/desktop/targets/', {
      ...target,
      bastion: `ssh://root@127.0.0.1:${sshd.port}`,
      bastion_identity: sshd.clientKey,
    });
    expect(added.status, added.text).toBe(201);
    expect(added.body).toMatchObject({ name: 'behind', bastion: `ssh://root@127.0.0.1:${sshd.port}` });
    const checks = (added.body as { checks: { name: string; ok: boolean; message: string }[] }).checks;
    expect(
      checks.every((c) => c.ok),
      JSON.stringify(checks),
    ).toBe(true);
    expect(checks[0]!.message).toMatch(/answers: Kubernetes v1\.20/);
    const tested = await admin.post('/v2/desktop/targets/behind/test/');
    expect(tested.status, tested.text).toBe(200);
    expect((tested.body as { ok: boolean }).ok).toBe(true);
    expect((await admin.delete('/v2/desktop/targets/behind/')).status).toBe(204);
  }, 300_000);
});
