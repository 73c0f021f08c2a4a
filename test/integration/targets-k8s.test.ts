/**
 * One core, two targets at once: a core on the local Docker engine gets the real test cluster added
 * as a target with the real `deis` CLI (its kubeconfig, its registry with basic auth), and then runs
 * an app on `local` and an app created with `--target=<cluster>`, both pushed with git and both
 * answering (through the Docker router, and through the router the core put on the cluster). Bad
 * input — a wrong registry password, an unknown context, an unreadable kubeconfig — gives one
 * sentence and adds nothing. The local app's release is then promoted to the cluster with one API
 * call and one CLI command: its copy there answers, runs the digest its release records with the
 * same config, and the local app serves throughout. Removing the target while apps run there is
 * refused, and once they are destroyed the target goes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addedTargetInstance } from '../../cluster';
import { CliUser, type CliResult } from '../support/cli';
import { Api, startTestCore, type TestCore } from '../support/core';
import { repoFromFolder } from '../support/git';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests } from '../support/k8s';
import { appFolder, get } from '../support/k8s/app';
import { eventually } from '../support/k8s/eventually';
import { kubectlFor, type Kubectl } from '../support/k8s/kubectl';
import { Pusher } from '../support/push';
import { instanceName, removeAppImages, removeInstance, viaRouter, viaRouterTls } from '../support/run-stage';

const log = (line: string) => console.log(`targets-k8s: ${line}`);
const cluster = await clusterForTests('targets-k8s', { registry: true, hostRouted: true, kubectl: true });

interface TargetJson {
  name: string;
  kind: string;
  state: string;
  server_version: string;
  router_url: string;
  router_https_url: string | null;
  apps: number;
}

describe.skipIf(!cluster)('one core, two targets: the local Docker engine and a Kubernetes cluster', () => {
  const instance = instanceName('tk8s');
  const TARGET = 'cluster';
  const LOCAL_APP = `tloc-${process.pid}`;
  const REMOTE_APP = `trem-${process.pid}`;
  let t: TestCore;
  let api: Api;
  let user: CliUser;
  let pusher: Pusher;
  let kubectl: Kubectl;
  let work: string;
  let scratch: string;

  const deis = async (...args: string[]): Promise<CliResult> => user.run(args);
  const targets = async () =>
    ((await api.get('/v2/desktop/targets/')).body as { results: TargetJson[] }).results;
  const registry = () => cluster!.registry!;
  const addArgs = (extra: string[] = []) => [
    'targets:add',
    TARGET,
    `--kubeconfig=${cluster!.kubeconfig}`,
    `--registry=${registry().address}`,
    `--registry-username=${registry().username}`,
    ...extra,
  ];

  beforeAll(async () => {
    await ensureBaseImage();
    kubectl = kubectlFor(cluster!.kubeconfig);
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-targets-k8s-'));
    t = await startTestCore({ target: 'docker', instance, routerBase: BASE_IMAGE, log });
    user = new CliUser();
    const reg = await user.run([
      'register',
      t.url,
      '--username=owner',
      '--password=pw-owner',
      '--email=owner@example.com',
    ]);
    expect(reg.code, reg.stderr).toBe(0);
    const login = await new Api(t.url).post('/v2/auth/login/', { username: 'owner', password: 'pw-owner' });
    api = new Api(t.url, (login.body as { token: string }).token);
    pusher = new Pusher(t.core.builderPort, 'tk8s');
    await pusher.addKeyTo(api);
    work = repoFromFolder(appFolder()).dir;
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    pusher?.remove();
    user?.remove();
    if (kubectl) {
      const label = `deis-desktop/instance=${addedTargetInstance(instance, TARGET)}`;
      await kubectl(['delete', 'namespace', '-l', label, '--wait=false']).catch(() => '');
    }
    await removeInstance(instance);
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    await cluster?.release();
    await removeAppImages([LOCAL_APP]);
  });

  it('refuses a wrong registry password, an unknown context and an unreadable kubeconfig, adding nothing', async () => {
    const wrong = await deis(...addArgs(['--registry-password=not-the-password']));
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain(
      `The target ${TARGET} was not added: The registry ${registry().address} refused the login of ${registry().username}: check the username and password.`,
    );
    const context = await deis(...addArgs([`--registry-password=${registry().password}`, '--context=nope']));
    expect(context.code).not.toBe(0);
    expect(context.stderr).toMatch(/has no context named \\?"nope\\?"; choose one of: /);
    const missing = await deis(
      'targets:add',
      TARGET,
      `--kubeconfig=${path.join(scratch, 'missing')}`,
      `--registry=${registry().address}`,
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/does not exist; pick the file again/);
    expect((await targets()).map((x) => x.name)).toEqual(['local']);
    expect(fs.existsSync(path.join(t.home, 'targets', TARGET))).toBe(false);
  }, 120_000);

  it('adds the cluster from its kubeconfig with the registry and its login, checked step by step', async () => {
    const added = await deis(...addArgs([`--registry-password=${registry().password}`]));
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/done, added cluster \(Kubernetes v\d+\.\d+\.\d+ at https:\/\//);
    expect(added.stdout).toContain(
      `ok     The registry ${registry().address} accepts the login of ${registry().username}.`,
    );
    expect(added.stdout).toMatch(/ok {5}An image was pushed to .* \(sha256:[0-9a-f]{64}\)\./);
    // The password is sealed in the store and answered nowhere.
    const listed = await api.get('/v2/desktop/targets/');
    expect(listed.text).not.toContain(registry().password);
    expect((listed.body as { results: TargetJson[] }).results).toEqual([
      expect.objectContaining({ name: 'local', kind: 'docker', state: 'ready' }),
      expect.objectContaining({ name: TARGET, kind: 'kubernetes', state: 'idle', apps: 0 }),
    ]);
    const copy = path.join(t.home, 'targets', TARGET, 'kubeconfig');
    expect(fs.statSync(copy).mode & 0o777).toBe(0o600);
    const shown = await deis('targets');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/local \(default\)\s+\|\s+docker\s+\|\s+ready/);
    expect(shown.stdout).toMatch(new RegExp(`${TARGET}\\s+\\|\\s+kubernetes\\s+\\|\\s+idle\\s+\\|\\s+v\\d`));
    const tested = await deis('targets:test', TARGET);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/ok {5}The context .* may create namespaces\./);
  }, 180_000);

  it('runs an app on local and an app on the cluster at once, both pushed and answering', async () => {
    expect((await deis('create', LOCAL_APP, '--no-remote')).code).toBe(0);
    const created = await deis('apps:create', REMOTE_APP, '--no-remote', `--target=${TARGET}`);
    expect(created.code, created.stderr).toBe(0);
    expect((await api.get(`/v2/apps/${REMOTE_APP}/`)).body).toMatchObject({ target: TARGET });
    const grace = await deis(
      'config:set',
      'KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS=3',
      '-a',
      REMOTE_APP,
    );
    expect(grace.code, grace.stderr).toBe(0);

    // Both pushes at once: each goes to its own target.
    const [local, remote] = await Promise.all([pusher.push(work, LOCAL_APP), pusher.push(work, REMOTE_APP)]);
    expect(local.code, local.output).toBe(0);
    expect(remote.code, remote.output).toBe(0);
    expect(remote.remote).toContain('  cmd: 1/1 ready');

    // The local app answers through the Docker router; nothing of it is on the cluster.
    const viaLocal = await viaRouter(t.core.target.routerPort, `${LOCAL_APP}.localhost`);
    expect(viaLocal).toEqual({ status: 200, body: 'v2 hello\n' });
    expect(await kubectl(['get', 'namespace', LOCAL_APP, '--ignore-not-found', '-o', 'name'])).toBe('');

    // v1 created, v2 the config above, v3 the push.
    // The cluster's app runs there by digest and answers through the cluster's router.
    const image = await kubectl([
      '-n',
      REMOTE_APP,
      'get',
      'deployment',
      `${REMOTE_APP}-cmd`,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ]);
    expect(image).toMatch(new RegExp(`^${registry().address}/${REMOTE_APP}@sha256:[0-9a-f]{64}$`));
    const listed = (await targets()).find((x) => x.name === TARGET)!;
    expect(listed).toMatchObject({ state: 'ready', apps: 1 });
    const router = new URL(listed.router_url);
    expect(router.hostname).toBe('127.0.0.1');
    await eventually('the cluster app answering through its router', async () => {
      const r = await viaRouter(Number(router.port), `${REMOTE_APP}.localhost`);
      return r.status === 200 && r.body === 'v3 hello\n' ? r : undefined;
    });
    // …and HTTPS at the router's other NodePort, with the local authority's certificate.
    const secure = new URL(listed.router_https_url ?? '');
    expect(secure.protocol).toBe('https:');
    expect(secure.hostname).toBe(router.hostname);
    const ca = fs.readFileSync(path.join(t.home, 'tls', 'ca.crt'), 'utf8');
    const tls = await viaRouterTls(Number(secure.port), `${REMOTE_APP}.localhost`, ca);
    expect([tls.status, tls.body]).toEqual([200, 'v3 hello\n']);
    // ps, logs and run reach the cluster for that app, and the local engine for the other.
    const ps = await deis('ps', '-a', REMOTE_APP);
    expect(ps.stdout).toMatch(new RegExp(`${REMOTE_APP}-cmd-\\w+-\\w+ up \\(v3\\)`));
    const psLocal = await deis('ps', '-a', LOCAL_APP);
    expect(psLocal.stdout).toMatch(new RegExp(`${LOCAL_APP}-cmd-\\w+-\\w+ up \\(v2\\)`));
    const pods = await kubectl(['-n', REMOTE_APP, 'get', 'pods', '-o', 'jsonpath={.items[*].status.podIP}']);
    expect(await get(`http://${pods.split(' ')[0]}:5000/`)).toBe('v3 hello\n');
  }, 600_000);

  it('promotes the local release to the cluster with one API call and one CLI command, the local app serving throughout', async () => {
    const COPY = `${LOCAL_APP}-${TARGET}`;
    // The local app is asked all along; every answer must be its own.
    let polling = true;
    const answers: string[] = [];
    const poller = (async () => {
      while (polling) {
        const r = await viaRouter(t.core.target.routerPort, `${LOCAL_APP}.localhost`).catch((err: Error) => ({
          status: 0,
          body: err.message,
        }));
        answers.push(`${r.status} ${r.body}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();

    const byApi = await api.post(`/v2/desktop/apps/${LOCAL_APP}/promote/`, { to: TARGET });
    expect(byApi.status, byApi.text).toBe(201);
    const first = byApi.body as {
      app: string;
      version: number;
      from: number;
      image: string;
      summary: string;
    };
    expect(first).toMatchObject({
      app: COPY,
      target: TARGET,
      from: 2,
      summary: 'owner promoted v2 from local',
    });
    expect(first.image).toMatch(new RegExp(`^${registry().address}/${COPY}@sha256:[0-9a-f]{64}$`));
    const router = new URL((await targets()).find((x) => x.name === TARGET)!.router_url);
    const answersThere = (body: string) =>
      eventually(`${COPY} answering ${JSON.stringify(body)} on the cluster`, async () => {
        const r = await viaRouter(Number(router.port), `${COPY}.localhost`);
        return r.status === 200 && r.body === body ? r : undefined;
      });
    await answersThere(`v${first.version} hello\n`);
    // The cluster runs exactly the digest the release records.
    const deployed = () =>
      kubectl([
        '-n',
        COPY,
        'get',
        'deployment',
        `${COPY}-cmd`,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ]);
    expect(await deployed()).toBe(first.image);
    const builds = (await api.get(`/v2/apps/${COPY}/builds/`)).body as { results: { image: string }[] };
    expect(builds.results[0]!.image).toBe(first.image);

    // A config change locally, then the CLI: the same config goes with the release.
    expect((await deis('config:set', 'GREETING=bonjour', '-a', LOCAL_APP)).code).toBe(0);
    const byCli = await deis('promote', '-a', LOCAL_APP, `--to=${TARGET}`);
    expect(byCli.code, byCli.stderr).toBe(0);
    expect(byCli.stdout).toMatch(new RegExp(`done, ${COPY} runs v(\\d+) on ${TARGET}`));
    expect(byCli.stdout).toContain('owner promoted v3 from local');
    const version = Number(/runs v(\d+)/.exec(byCli.stdout)![1]);
    await answersThere(`v${version} bonjour\n`);
    const releases = (await api.get(`/v2/apps/${COPY}/releases/`)).body as {
      results: { version: number; summary: string }[];
    };
    expect(releases.results.map((r) => r.summary).slice(0, 2)).toEqual([
      'owner promoted v3 from local',
      'owner promoted v2 from local',
    ]);
    const config = (await api.get(`/v2/apps/${COPY}/config/`)).body as { values: Record<string, string> };
    expect(config.values).toMatchObject({ GREETING: 'bonjour' });
    // The same image as before (only the config changed): the same digest.
    expect(await deployed()).toBe(first.image);

    polling = false;
    await poller;
    expect(answers.length).toBeGreaterThan(3);
    expect(answers.filter((a) => !/^200 v[23] (hello|bonjour)\n$/.test(a))).toEqual([]);
    // A promotion to where the app runs, or to nowhere, is refused.
    const same = await api.post(`/v2/desktop/apps/${LOCAL_APP}/promote/`, { to: 'local' });
    expect(same.status).toBe(400);
    expect(same.body).toEqual({ to: [`${LOCAL_APP} runs on local already; promote it to another target.`] });
  }, 600_000);

  it('refuses to remove the target while apps run there, and removes it once they are gone', async () => {
    const refused = await deis('targets:remove', TARGET);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `The target ${TARGET} still runs 2 apps (${LOCAL_APP}-${TARGET}, ${REMOTE_APP}); destroy them first.`,
    );
    expect((await targets()).map((x) => x.name)).toEqual(['local', TARGET]);
    // The app still answers.
    expect((await deis('ps', '-a', REMOTE_APP)).stdout).toMatch(/ up/);

    for (const app of [REMOTE_APP, `${LOCAL_APP}-${TARGET}`]) {
      const destroyed = await deis('destroy', '-a', app, `--confirm=${app}`);
      expect(destroyed.code, destroyed.stderr).toBe(0);
    }
    const removed = await deis('targets:remove', TARGET);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await targets()).map((x) => x.name)).toEqual(['local']);
    expect(fs.existsSync(path.join(t.home, 'targets', TARGET))).toBe(false);
    // What the target had on the cluster (its router) goes with it.
    const left = await kubectl.json<{ items: { status: { phase: string } }[] }>([
      'get',
      'namespace',
      '-l',
      `deis-desktop/instance=${addedTargetInstance(instance, TARGET)}`,
    ]);
    expect(left.items.filter((ns) => ns.status.phase !== 'Terminating')).toEqual([]);
    await eventually('the app namespace gone', async () =>
      (await kubectl(['get', 'namespace', REMOTE_APP, '--ignore-not-found', '-o', 'name'])) === ''
        ? true
        : undefined,
    );
    // The local app never stopped.
    expect(await viaRouter(t.core.target.routerPort, `${LOCAL_APP}.localhost`)).toEqual({
      status: 200,
      body: 'v3 bonjour\n',
    });
  }, 300_000);
});
