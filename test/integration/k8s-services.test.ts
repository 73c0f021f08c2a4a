/**
 * Backing services on the Kubernetes target, on the real test cluster with a real core: PostgreSQL
 * (built from Debian's packages, pushed to the cluster's registry) provisions as a one-replica
 * Deployment with its data on a PersistentVolumeClaim, attaches to an app that answers with what it
 * read, keeps its data when its pod is deleted (the Deployment starts another on the same claim), is
 * backed up through the API, and is destroyed with its objects. The test cluster has no storage
 * provisioner, so the test plays the cluster administrator and makes a hostPath PersistentVolume
 * for the claim, as one would on a cluster without dynamic provisioning.
 */
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicesNamespace } from '../../cluster/kubernetes/services';
import type { Config } from '../../main/contract/objects';
import type { Service } from '../../main/contract/services';
import type { KubernetesSettings } from '../../main/settings';
import { CliUser, DEIS_BIN } from '../support/cli';
import { Api, startTestCore, type TestCore } from '../support/core';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests } from '../support/k8s';
import { kubectlFor, type Kubectl } from '../support/k8s/kubectl';
import { buildFixture, eventually, freePort, pushBuild, removeImage, viaRouter } from '../support/run-stage';

const log = (line: string) => console.log(`k8s-services: ${line}`);
const cluster = await clusterForTests('k8s-services', { registry: true, hostRouted: true, kubectl: true });

const instance = `dd-k8ssvc-${process.pid}`;
const APP = `k8ssvc-${process.pid}`;
const PG = 'notes-db';
const REDIS = 'notes-cache';
const S3 = 'files-s3';
const STORE_APP = `k8ss3-${process.pid}`;

describe.skipIf(!cluster)('backing services on the Kubernetes target', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-k8s-pv-'));
  const redisDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-k8s-pv-'));
  const s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-k8s-pv-'));
  const pvName = `deis-test-pv-${process.pid}`;
  const redisPv = `deis-test-pv-redis-${process.pid}`;
  const s3Pv = `deis-test-pv-s3-${process.pid}`;
  const user = new CliUser();
  const namespace = servicesNamespace(instance);
  let t: TestCore;
  let admin: Api;
  let kubectl: Kubectl;
  let routerPort = 0;
  let built: Awaited<ReturnType<typeof buildFixture>> | undefined;
  let storeBuilt: Awaited<ReturnType<typeof buildFixture>> | undefined;

  const service = async () => (await admin.get(`/v2/services/${PG}/`)).body as Service;
  const answers = async (urlPath: string, expected: string, app = APP) => {
    let last = '';
    await eventually(async () => {
      const r = await viaRouter(routerPort, `${app}.localhost`, urlPath, 30_000).catch((err: Error) => ({
        status: 0,
        body: err.message,
      }));
      last = `${r.status} ${r.body.trim()}`;
      return last === expected;
    }, 180_000).catch(() => {
      throw new Error(`${urlPath} answered ${JSON.stringify(last)}, not ${JSON.stringify(expected)}`);
    });
  };
  const pgPods = async () =>
    (
      await kubectl.json<{
        items: { metadata: { name: string; uid: string; deletionTimestamp?: string } }[];
      }>(['-n', namespace, 'get', 'pods', '-l', `deis-desktop/service=${PG}`])
    ).items.filter((p) => !p.metadata.deletionTimestamp);

  /** `deis services:connect` as a user runs it, stopped with Ctrl-C (SIGINT) when disposed. */
  const connect = async (name: string) => {
    const port = await freePort();
    const child = spawn(DEIS_BIN, ['services:connect', name, `--port=${port}`], {
      env: { ...process.env, HOME: user.home },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await eventually(async () => out.split('\n').length > 2 || child.exitCode !== null, 60_000);
    expect(out, err).toMatch(
      new RegExp(`^Forwarding 127\\.0\\.0\\.1:${port} to ${name}; press Ctrl-C to stop\\.\\n`),
    );
    return {
      port,
      url: out.split('\n')[1]!,
      async [Symbol.asyncDispose]() {
        child.kill('SIGINT');
        expect(await exited).toBe(0);
      },
    };
  };

  beforeAll(async () => {
    process.env.DEIS_SERVICE_BASE = await ensureBaseImage();
    kubectl = kubectlFor(cluster!.kubeconfig);
    // The administrator's volumes, bound ahead to the claims the target makes for the services.
    for (const [name, dir, service] of [
      [pvName, dataDir, PG],
      [redisPv, redisDir, REDIS],
      [s3Pv, s3Dir, S3],
    ] as const)
      await kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name },
          spec: {
            capacity: { storage: '1Gi' },
            accessModes: ['ReadWriteOnce'],
            persistentVolumeReclaimPolicy: 'Retain',
            storageClassName: '',
            hostPath: { path: dir, type: 'Directory' },
            claimRef: { namespace, name: `svc-${service}-data` },
          },
        }),
      );
    built = await buildFixture(APP, 'service-app');
    const settings: KubernetesSettings = {
      kube: { kubeconfig: cluster!.kubeconfig },
      registry: { ...cluster!.registry! },
    };
    t = await startTestCore({
      target: 'kubernetes',
      kubernetes: settings,
      instance,
      routerBase: BASE_IMAGE,
      log,
    });
    admin = await new Api(t.url).register('admin');
    const login = await user.run(['login', t.url, '--username=admin', '--password=secret-pw']);
    expect(login.code, login.stderr).toBe(0);
    expect((await admin.post('/v2/apps/', { id: APP })).status).toBe(201);
    await admin.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    });
    const r = await pushBuild(admin, APP, built);
    expect(r.status, r.text).toBe(201);
    const info = (await admin.get('/v2/desktop/info/')).body as { router_url: string };
    routerPort = Number(new URL(info.router_url).port);
  }, 900_000);

  afterAll(async () => {
    await t?.stop();
    if (kubectl) {
      for (const ns of [APP, STORE_APP, namespace])
        await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(() => '');
      await kubectl(['delete', 'namespace', '-l', `deis-desktop/instance=${instance}`, '--wait=false']).catch(
        () => '',
      );
      for (const pv of [pvName, redisPv, s3Pv])
        await kubectl(['delete', 'pv', pv, '--ignore-not-found', '--wait=false']).catch(() => '');
    }
    if (built) await removeImage(built.image);
    if (storeBuilt) await removeImage(storeBuilt.image);
    user.remove();
    for (const dir of [dataDir, redisDir, s3Dir]) fs.rmSync(dir, { recursive: true, force: true });
    delete process.env.DEIS_SERVICE_BASE;
    await cluster?.release();
  }, 180_000);

  it('provisions PostgreSQL as a pod on a volume, attaches it, and the app answers with what it read', async () => {
    const r = await admin.post('/v2/services/', { kind: 'postgres', name: PG });
    expect(r.status, r.text).toBe(201);
    await eventually(async () => (await service()).state !== 'provisioning', 900_000);
    const s = await service();
    expect(s.state, s.error ?? '').toBe('ready');
    // What the cluster runs is the image built locally, pushed and named by digest.
    expect(s.image).toMatch(
      new RegExp(`^${cluster!.registry!.address}/service-postgres@sha256:[0-9a-f]{64}$`),
    );
    const claim = await kubectl.json<{ status: { phase: string }; spec: { volumeName: string } }>([
      '-n',
      namespace,
      'get',
      'pvc',
      `svc-${PG}-data`,
    ]);
    expect(claim.status.phase).toBe('Bound');
    expect(claim.spec.volumeName).toBe(pvName);
    // The credentials are in a Secret, not in the Deployment.
    const deployment = await kubectl(['-n', namespace, 'get', 'deployment', `svc-${PG}`, '-o', 'json']);
    const attach = await admin.post(`/v2/services/${PG}/apps/`, { app: APP });
    expect(attach.status, attach.text).toBe(201);
    const url = ((await admin.get(`/v2/apps/${APP}/config/`)).body as Config).values.DATABASE_URL as string;
    expect(url).toMatch(/^postgres:\/\/deis:[0-9a-f]+@\d+\.\d+\.\d+\.\d+:5432\//);
    expect(deployment.includes(new URL(url).password)).toBe(false);
    await answers('/db?set=written-on-k8s', '200 written-on-k8s');
    await answers('/db', '200 written-on-k8s');
  }, 1_200_000);

  it('keeps its data when its pod is deleted: another starts on the same claim and the app reads the note again', async () => {
    const [before] = await pgPods();
    expect(before).toBeDefined();
    await kubectl(['-n', namespace, 'delete', 'pod', before!.metadata.name, '--wait=false']);
    await eventually(async () => {
      const pods = await pgPods();
      return pods.length === 1 && pods[0]!.metadata.uid !== before!.metadata.uid;
    }, 120_000);
    await answers('/db', '200 written-on-k8s');
  }, 300_000);

  it("services:logs shows the server's start lines from its pod", async () => {
    const logs = await user.run(['services:logs', PG, '-n', '200']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('database system is ready to accept connections');
    const few = await user.run(['services:logs', PG, '-n', '2']);
    expect(few.stdout.trim().split('\n')).toHaveLength(2);
  }, 120_000);

  it('services:connect carries psql through the API server; a backup restores a dropped table, and a corrupt one changes nothing', async () => {
    await using forward = await connect(PG);
    const psql = (sql: string) => run('psql', [forward.url, '-v', 'ON_ERROR_STOP=1', '-tAc', sql]);
    expect(await psql('SELECT body FROM notes WHERE id = 1')).toBe('written-on-k8s');
    const file = path.join(user.work, 'notes.dump');
    const backup = await user.run(['services:backup', PG, '-o', file]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe('PGDMP');
    await psql('DROP TABLE notes');
    expect(await psql("SELECT to_regclass('notes') IS NULL")).toBe('t');

    const corrupt = path.join(user.work, 'corrupt.dump');
    fs.writeFileSync(corrupt, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(200, 7)]));
    const bad = await user.run(['services:restore', PG, corrupt, '--confirm', PG]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${PG} could not restore this file`);
    expect(bad.stderr).toContain('nothing was changed');
    await psql('CREATE TABLE kept (id int)');
    expect(await psql("SELECT to_regclass('notes') IS NULL")).toBe('t');

    const restored = await user.run(['services:restore', PG, file, '--confirm', PG]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await psql('SELECT body FROM notes WHERE id = 1')).toBe('written-on-k8s');
    await answers('/db', '200 written-on-k8s');
  }, 300_000);

  it('restores Redis from an RDB file with the service scaled down; a corrupt file changes nothing; its password is on no command line', async () => {
    expect((await admin.post('/v2/services/', { kind: 'redis', name: REDIS })).status).toBe(201);
    const redisService = async () => (await admin.get(`/v2/services/${REDIS}/`)).body as Service;
    await eventually(async () => (await redisService()).state !== 'provisioning', 600_000);
    const s = await redisService();
    expect(s.state, s.error ?? '').toBe('ready');
    await using forward = await connect(REDIS);
    const password = decodeURIComponent(new URL(forward.url).password);
    expect(password).toMatch(/^[0-9a-f]{16,}$/);
    // Neither the pod's spec nor any process's command line in it shows the password.
    const spec = await kubectl([
      '-n',
      namespace,
      'get',
      'deployment,pods',
      '-l',
      `deis-desktop/service=${REDIS}`,
      '-o',
      'json',
    ]);
    expect(spec).toContain('redis-server');
    expect(spec.includes(password)).toBe(false);
    const [pod] = (
      await kubectl.json<{ items: { metadata: { name: string } }[] }>([
        '-n',
        namespace,
        'get',
        'pods',
        '-l',
        `deis-desktop/service=${REDIS}`,
      ])
    ).items;
    const cmdlines = await kubectl([
      '-n',
      namespace,
      'exec',
      pod!.metadata.name,
      '--',
      'sh',
      '-c',
      'for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < "$f"; echo; done',
    ]);
    expect(cmdlines).toContain('redis-server');
    expect(cmdlines.includes(password)).toBe(false);

    const redis = (commands: string[][]) => resp(forward.port, [['AUTH', password], ...commands]);
    expect(await redis([['SET', 'note', 'in-the-backup']])).toEqual(['+OK', '+OK']);
    const file = path.join(user.work, 'cache.rdb');
    const backup = await user.run(['services:backup', REDIS, '-o', file]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe('REDIS');
    expect(await redis([['SET', 'note', 'written-later']])).toEqual(['+OK', '+OK']);

    const corrupt = path.join(user.work, 'corrupt.rdb');
    fs.writeFileSync(corrupt, Buffer.concat([Buffer.from('REDIS0011'), Buffer.alloc(64, 7)]));
    const bad = await user.run(['services:restore', REDIS, corrupt, '--confirm', REDIS]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `${REDIS} could not restore this file: it is not a backup Redis can load; nothing was changed.`,
    );
    expect(await redis([['GET', 'note']])).toEqual(['+OK', '$13\r\nwritten-later']);

    const restored = await user.run(['services:restore', REDIS, file, '--confirm', REDIS]);
    expect(restored, restored.stderr).toMatchObject({
      code: 0,
      stdout: `Restoring ${REDIS} from ${file}... done\n`,
    });
    // A new pod, started from the restored file, and no pod of the swap left behind.
    await eventually(async () => {
      const r = await redis([['GET', 'note']]).catch(() => []);
      return r[1] === '$13\r\nin-the-backup';
    }, 60_000);
    expect(
      await kubectl(['-n', namespace, 'get', 'pods', '-l', `deis-desktop/swap-of=${REDIS}`, '-o', 'name']),
    ).toBe('');
    // A Deployment left at no pod (a core stopped in the middle of a restore) comes back on a restart.
    await kubectl(['-n', namespace, 'scale', `deployment/svc-${REDIS}`, '--replicas=0']);
    await eventually(
      async () =>
        (await kubectl([
          '-n',
          namespace,
          'get',
          'pods',
          '-l',
          `deis-desktop/service=${REDIS}`,
          '-o',
          'name',
        ])) === '',
      120_000,
    );
    expect((await admin.post(`/v2/services/${REDIS}/restart/`, {})).status).toBe(204);
    expect((await redis([['GET', 'note']]))[1]).toBe('$13\r\nin-the-backup');
    expect((await admin.delete(`/v2/services/${REDIS}/`, { confirm: REDIS })).status).toBe(204);
  }, 900_000);

  it('backs up and restores through commands in the pod, and destroys the service with its objects once detached', async () => {
    const backup = await fetch(`${t.url}/v2/services/${PG}/backup/`, {
      headers: { Authorization: `token ${admin.token}` },
    });
    const dump = Buffer.from(await backup.arrayBuffer());
    expect(backup.status, dump.toString('utf8').slice(0, 300)).toBe(200);
    expect(dump.subarray(0, 5).toString()).toBe('PGDMP');
    // The file goes back in through the pod's stdin, and the note written since is undone.
    await answers('/db?set=overwritten', '200 overwritten');
    const restored = await fetch(`${t.url}/v2/services/${PG}/restore/?confirm=${PG}`, {
      method: 'POST',
      headers: { Authorization: `token ${admin.token}`, 'Content-Type': 'application/octet-stream' },
      body: dump,
    });
    expect(restored.status, await restored.text()).toBe(204);
    await answers('/db', '200 written-on-k8s');
    expect((await admin.delete(`/v2/services/${PG}/apps/${APP}/`)).status).toBe(200);
    expect((await admin.delete(`/v2/services/${PG}/`, { confirm: PG })).status).toBe(204);
    // Its Deployment, Service, Secret and claim go (the namespace keeps the pull secret, and on 1.20 a token).
    let left: string[] = [];
    await eventually(async () => {
      left = (await kubectl(['-n', namespace, 'get', 'deployment,service,secret,pvc', '-o', 'name']))
        .split('\n')
        .filter((n) => n.includes(`svc-${PG}`));
      return left.length === 0;
    }, 120_000).catch(() => {
      throw new Error(`still there: ${left.join(', ')}`);
    });
  }, 300_000);

  it('provisions the S3 store with its bucket made, and an app PUTs and GETs an object through S3_URL', async () => {
    storeBuilt = await buildFixture(STORE_APP, 'queue-store-app');
    expect((await admin.post('/v2/apps/', { id: STORE_APP })).status).toBe(201);
    await admin.post(`/v2/apps/${STORE_APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    });
    const pushed = await pushBuild(admin, STORE_APP, storeBuilt);
    expect(pushed.status, pushed.text).toBe(201);
    expect((await admin.post('/v2/services/', { kind: 's3', name: S3 })).status).toBe(201);
    const s3 = async () => (await admin.get(`/v2/services/${S3}/`)).body as Service;
    await eventually(async () => (await s3()).state !== 'provisioning', 600_000);
    expect((await s3()).state, (await s3()).error ?? '').toBe('ready');
    const attach = await admin.post(`/v2/services/${S3}/apps/`, { app: STORE_APP });
    expect(attach.status, attach.text).toBe(201);
    const url = ((await admin.get(`/v2/apps/${STORE_APP}/config/`)).body as Config).values.S3_URL as string;
    expect(url).toMatch(/^http:\/\/deis:[0-9a-f]+@\d+\.\d+\.\d+\.\d+:9000\/files-s3$/);
    // The bucket is there before anything is put: a GET of a missing object, not of a missing bucket.
    await answers('/s3', '200 (empty)', STORE_APP);
    await answers('/s3?put=stored-in-s3-on-k8s', '200 stored-in-s3-on-k8s', STORE_APP);
    await answers('/s3', '200 stored-in-s3-on-k8s', STORE_APP);
    expect((await admin.delete(`/v2/services/${S3}/apps/${STORE_APP}/`)).status).toBe(200);
    expect((await admin.delete(`/v2/services/${S3}/`, { confirm: S3 })).status).toBe(204);
  }, 1_200_000);
});

/** Runs a program and answers its trimmed stdout; fails with its stderr. */
function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${file} failed: ${stderr || err.message}`)) : resolve(stdout.trim()),
    ),
  );
}

/** Sends each command as a RESP array on one connection and answers each reply's first line (bulk strings: with their data). */
function resp(port: number, commands: string[][]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffered = '';
    const replies: string[] = [];
    socket.on('error', reject);
    socket.setTimeout(20_000, () => socket.destroy(new Error('no answer through the forward')));
    socket.on('close', () => reject(new Error(`the forward closed after ${JSON.stringify(replies)}`)));
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (;;) {
        const end = buffered.indexOf('\r\n');
        if (end < 0) break;
        const line = buffered.slice(0, end);
        if (line.startsWith('$') && line !== '$-1') {
          const size = Number(line.slice(1));
          if (buffered.length < end + 2 + size + 2) break;
          replies.push(`${line}\r\n${buffered.slice(end + 2, end + 2 + size)}`);
          buffered = buffered.slice(end + 2 + size + 2);
        } else {
          replies.push(line);
          buffered = buffered.slice(end + 2);
        }
      }
      if (replies.length >= commands.length) {
        socket.end();
        resolve(replies);
      }
    });
    for (const args of commands)
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}
