/**
 * Adding a Kubernetes target from a kubeconfig the user picks (cluster/kubernetes/kubeconfig-import):
 * real kubeconfig files — a realistic multi-context one written here with real certificates (openssl)
 * referenced by relative paths, and the running test cluster's own when it runs — are listed, one
 * context is copied into DEIS_HOME/targets/<name>/kubeconfig (mode 0600, files inlined, nothing else
 * of the file), the picked file is never changed, and bad files give a sentence and change nothing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectKube } from '../../cluster/kubernetes/client';
import {
  importKubeconfigContext,
  listKubeconfigContexts,
  targetKubeconfigPath,
} from '../../cluster/kubernetes/kubeconfig-import';
import { DeisError } from '../../main/contract/errors';
import { runningInfo } from '../support/k8s/cluster';

const roots: string[] = [];
function temp(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `deis-${label}-`));
  roots.push(dir);
  return dir;
}

let dir: string;
let picked: string;
let certs: { ca: Buffer; cert: Buffer; key: Buffer };
const realHome = process.env.HOME;

/** A kubeconfig as a developer's looks: kind, a cloud cluster with an exec plugin, a token context, files by relative path. */
function writeRealisticKubeconfig(at: string, caB64: string): void {
  fs.writeFileSync(
    at,
    `apiVersion: v1
kind: Config
preferences: {}
current-context: kind-dev
clusters:
- cluster:
    certificate-authority-data: ${caB64}
    server: https://127.0.0.1:40123
  name: kind-dev
- cluster:
    certificate-authority: certs/ca.pem
    server: https://k8s.staging.example.com:6443
  name: staging
- cluster:
    certificate-authority-data: ${caB64}
    server: https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com
  name: arn:aws:eks:eu-west-1:123456789012:cluster/prod
contexts:
- context:
    cluster: kind-dev
    user: kind-dev
  name: kind-dev
- context:
    cluster: staging
    namespace: team-a
    user: staging-admin
  name: staging
- context:
    cluster: arn:aws:eks:eu-west-1:123456789012:cluster/prod
    user: arn:aws:eks:eu-west-1:123456789012:cluster/prod
  name: prod
- context:
    cluster: staging
    user: ci
  name: staging-ci
users:
- name: kind-dev
  user:
    client-certificate-data: ${certs.cert.toString('base64')}
    client-key-data: ${certs.key.toString('base64')}
- name: staging-admin
  user:
    client-certificate: certs/admin.crt
    client-key: certs/admin.key
- name: arn:aws:eks:eu-west-1:123456789012:cluster/prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - eu-west-1
      - eks
      - get-token
      - --cluster-name
      - prod
      command: aws
      env:
      - name: AWS_PROFILE
        value: prod
      interactiveMode: IfAvailable
      provideClusterInfo: false
- name: ci
  user:
    token: eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.ci-token
`,
  );
}

beforeAll(() => {
  dir = temp('kubeconfig');
  const certDir = path.join(dir, 'certs');
  fs.mkdirSync(certDir);
  // Real certificates, as a cluster's CA and an admin's client certificate are.
  const selfSigned = (subject: string, key: string, cert: string) =>
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        subject,
        '-keyout',
        path.join(certDir, key),
        '-out',
        path.join(certDir, cert),
      ],
      { stdio: 'ignore' },
    );
  selfSigned('/CN=staging-ca', 'ca.key', 'ca.pem');
  selfSigned('/CN=admin/O=system:masters', 'admin.key', 'admin.crt');
  certs = {
    ca: fs.readFileSync(path.join(certDir, 'ca.pem')),
    cert: fs.readFileSync(path.join(certDir, 'admin.crt')),
    key: fs.readFileSync(path.join(certDir, 'admin.key')),
  };
  picked = path.join(dir, 'config');
  writeRealisticKubeconfig(picked, certs.ca.toString('base64'));
});

afterAll(() => {
  process.env.HOME = realHome;
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** The error a call gives: its code, HTTP status and message. */
async function failure(p: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeisError);
  const d = err as DeisError;
  return { code: d.code, status: d.status, message: d.message };
}

function snapshot(file: string) {
  const st = fs.statSync(file);
  return { bytes: fs.readFileSync(file).toString('base64'), mtime: st.mtimeMs, mode: st.mode };
}

describe('listing the contexts of a picked kubeconfig', () => {
  it('names each context with its server, user, namespace, how it authenticates, and the current one', async () => {
    const listing = await listKubeconfigContexts(picked);
    expect(listing.currentContext).toBe('kind-dev');
    expect(listing.contexts).toEqual([
      {
        name: 'kind-dev',
        cluster: 'kind-dev',
        server: 'https://127.0.0.1:40123',
        user: 'kind-dev',
        namespace: '',
        auth: 'client certificate',
        current: true,
      },
      {
        name: 'staging',
        cluster: 'staging',
        server: 'https://k8s.staging.example.com:6443',
        user: 'staging-admin',
        namespace: 'team-a',
        auth: 'client certificate',
        current: false,
      },
      {
        name: 'prod',
        cluster: 'arn:aws:eks:eu-west-1:123456789012:cluster/prod',
        server: 'https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com',
        user: 'arn:aws:eks:eu-west-1:123456789012:cluster/prod',
        namespace: '',
        auth: 'exec (aws)',
        current: false,
      },
      {
        name: 'staging-ci',
        cluster: 'staging',
        server: 'https://k8s.staging.example.com:6443',
        user: 'ci',
        namespace: '',
        auth: 'token',
        current: false,
      },
    ]);
  });
});

describe('copying a context into DEIS_HOME', () => {
  it('copies the context with only its cluster and user, certificate files inlined, mode 0600; the picked file is unchanged', async () => {
    const home = temp('home');
    const before = snapshot(picked);
    const result = await importKubeconfigContext({ home, name: 'staging', file: picked, context: 'staging' });
    expect(result.kubeconfig).toBe(path.join(home, 'targets', 'staging', 'kubeconfig'));
    expect(fs.statSync(result.kubeconfig).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(result.kubeconfig)).mode & 0o777).toBe(0o700);
    expect(result.context).toMatchObject({
      name: 'staging',
      server: 'https://k8s.staging.example.com:6443',
      namespace: 'team-a',
    });

    const text = fs.readFileSync(result.kubeconfig, 'utf8');
    // Nothing of the other contexts, clusters or users.
    for (const other of ['127.0.0.1:40123', 'eks.amazonaws.com', 'ci-token', 'kind-dev', 'certs/'])
      expect(text).not.toContain(other);
    // It loads in the library the Kubernetes target uses, with the files' contents inlined.
    const kube = await connectKube({ kubeconfig: result.kubeconfig });
    expect(kube.server).toBe('https://k8s.staging.example.com:6443');
    expect(kube.context).toBe('staging');
    const cluster = kube.config.getCurrentCluster()!;
    const user = kube.config.getCurrentUser()!;
    expect(Buffer.from(cluster.caData!, 'base64').equals(certs.ca)).toBe(true);
    expect(Buffer.from(user.certData!, 'base64').equals(certs.cert)).toBe(true);
    expect(Buffer.from(user.keyData!, 'base64').equals(certs.key)).toBe(true);
    expect(kube.config.getContextObject('staging')?.namespace).toBe('team-a');
    expect(snapshot(picked)).toEqual(before);
  });

  it('takes the current context by default, and an exec plugin with its args and env', async () => {
    const home = temp('home');
    const current = await importKubeconfigContext({ home, name: 'dev', file: picked });
    expect(current.context.name).toBe('kind-dev');
    const prod = await importKubeconfigContext({ home, name: 'prod', file: picked, context: 'prod' });
    const kube = await connectKube({ kubeconfig: prod.kubeconfig });
    expect(kube.config.getCurrentUser()?.exec).toMatchObject({
      command: 'aws',
      args: ['--region', 'eu-west-1', 'eks', 'get-token', '--cluster-name', 'prod'],
      env: [{ name: 'AWS_PROFILE', value: 'prod' }],
      interactiveMode: 'IfAvailable',
    });
  });

  it('~/.kube/config is read only when picked, and never written', async () => {
    const userHome = temp('user');
    process.env.HOME = userHome;
    try {
      fs.mkdirSync(path.join(userHome, '.kube'));
      const kubeConfig = path.join(userHome, '.kube', 'config');
      // A broken ~/.kube/config: an import of another file neither reads nor repairs it.
      fs.writeFileSync(kubeConfig, 'this: is: not: yaml:\n');
      const broken = snapshot(kubeConfig);
      await importKubeconfigContext({ home: temp('home'), name: 'ci', file: picked, context: 'staging-ci' });
      expect(snapshot(kubeConfig)).toEqual(broken);
      // Picked, it is read (and its errors name it as the user knows it), still never written.
      const err = await failure(listKubeconfigContexts(kubeConfig));
      expect(err.message).toMatch(
        /^The kubeconfig ~\/\.kube\/config is not valid YAML: .* at line 1, column \d+; fix it or pick another file\.$/,
      );
      fs.copyFileSync(picked, kubeConfig);
      // Its certificate paths are relative to its own folder, as kubectl reads them.
      fs.cpSync(path.join(dir, 'certs'), path.join(userHome, '.kube', 'certs'), { recursive: true });
      const good = snapshot(kubeConfig);
      const r = await importKubeconfigContext({
        home: temp('home'),
        name: 'mine',
        file: kubeConfig,
        context: 'staging-ci',
      });
      expect(fs.readFileSync(r.kubeconfig, 'utf8')).toContain(
        'token: "eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.ci-token"',
      );
      expect(snapshot(kubeConfig)).toEqual(good);
    } finally {
      process.env.HOME = realHome;
    }
  });
});

describe('bad kubeconfigs: a sentence, and nothing written', () => {
  const cases: [string, (d: string) => string, RegExp, number][] = [
    [
      'a file that does not exist',
      (d) => path.join(d, 'nope'),
      /^The kubeconfig .*nope does not exist; pick the file again\.$/,
      400,
    ],
    ['a folder', (d) => d, /is not a regular file; pick a kubeconfig file\.$/, 400],
    [
      'broken YAML',
      (d) => write(d, 'apiVersion: v1\nclusters:\n- name: a\n   cluster: {}\n'),
      /^The kubeconfig .* is not valid YAML: bad indentation of a mapping entry at line 4, column 11; fix it or pick another file\.$/,
      400,
    ],
    ['an empty file', (d) => write(d, ''), /is empty; pick a kubeconfig file\.$/, 400],
    [
      'a file with no contexts',
      (d) => write(d, 'apiVersion: v1\nkind: Config\nclusters: []\n'),
      /has no contexts; pick a kubeconfig with at least one\.$/,
      400,
    ],
    [
      'a context without a name',
      (d) => write(d, 'apiVersion: v1\nkind: Config\ncontexts:\n- context: {cluster: a, user: b}\n'),
      /^The kubeconfig .* is not a valid kubeconfig: contexts\[0\]\.name is missing; fix it or pick another file\.$/,
      400,
    ],
    [
      'a file larger than any kubeconfig',
      (d) => write(d, 'a'.repeat(2 * 1024 * 1024 + 1)),
      /is 2097153 bytes, more than the 2097152 bytes allowed/,
      413,
    ],
  ];
  function write(d: string, text: string): string {
    const f = path.join(d, `kc-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(f, text);
    return f;
  }

  for (const [what, make, message, status] of cases)
    it(what, async () => {
      const d = temp('bad');
      const home = temp('home');
      const err = await failure(importKubeconfigContext({ home, name: 'x', file: make(d) }));
      expect(err.status).toBe(status);
      expect(err.message).toMatch(message);
      expect(fs.existsSync(path.join(home, 'targets'))).toBe(false);
    });

  it('an unknown context names the ones there are', async () => {
    const home = temp('home');
    const err = await failure(
      importKubeconfigContext({ home, name: 'x', file: picked, context: 'staging2' }),
    );
    expect(err.message).toMatch(
      /has no context named "staging2"; choose one of: kind-dev, staging, prod, staging-ci\.$/,
    );
    expect(fs.existsSync(path.join(home, 'targets'))).toBe(false);
  });

  it('a certificate file that is missing is named, and no half target is left', async () => {
    const d = temp('bad');
    const f = path.join(d, 'config');
    fs.writeFileSync(f, fs.readFileSync(picked, 'utf8'));
    const home = temp('home');
    const err = await failure(importKubeconfigContext({ home, name: 'x', file: f, context: 'staging' }));
    expect(err.message).toMatch(
      /^The certificate authority file .*certs\/ca\.pem does not exist; pick the file again\.$/,
    );
    expect(fs.existsSync(path.join(home, 'targets', 'x'))).toBe(false);
  });

  it('a name in use or not a name is refused before anything is read or written', async () => {
    const home = temp('home');
    await importKubeconfigContext({ home, name: 'taken', file: picked });
    const before = fs.readFileSync(targetKubeconfigPath(home, 'taken'), 'utf8');
    const err = await failure(
      importKubeconfigContext({ home, name: 'taken', file: picked, context: 'prod' }),
    );
    expect(err).toMatchObject({
      status: 409,
      message: 'A target named "taken" already exists; pick another name or remove it first.',
    });
    expect(fs.readFileSync(targetKubeconfigPath(home, 'taken'), 'utf8')).toBe(before);
    for (const bad of ['../up', 'Big', '-x', 'a'.repeat(64)]) {
      const e = await failure(importKubeconfigContext({ home, name: bad, file: picked }));
      expect(e.status).toBe(400);
    }
    expect(fs.readdirSync(path.join(home, 'targets'))).toEqual(['taken']);
  });

  it('YAML aliases cannot grow the copy beyond what a kubeconfig may be', async () => {
    const d = temp('bad');
    // 2^20 references to one 1 KB string through nested aliases: tiny on disk, huge expanded.
    let yaml = `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://h:6443\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nx0: &a0 "${'a'.repeat(1024)}"\n`;
    for (let i = 1; i <= 20; i++) yaml += `x${i}: &a${i} [*a${i - 1}, *a${i - 1}]\n`;
    yaml += `users:\n- name: u\n  user:\n    exec:\n      command: *a20\n      args: *a20\n`;
    const f = path.join(d, 'bomb');
    fs.writeFileSync(f, yaml);
    const home = temp('home');
    // Listed: the plugin's command is not text, so it is not shown (nor expanded).
    expect((await listKubeconfigContexts(f)).contexts[0]!.auth).toBe('exec (?)');
    // A name that is an alias to the list is refused.
    const named = path.join(d, 'bomb-name');
    fs.writeFileSync(
      named,
      `${yaml.replace('contexts:\n- name: c\n  context: {cluster: k, user: u}\n', '')}contexts:\n- name: *a20\n  context: {cluster: k, user: u}\n`,
    );
    expect((await failure(listKubeconfigContexts(named))).message).toMatch(
      /has a context name that is not a string/,
    );
    const err = await failure(importKubeconfigContext({ home, name: 'bomb', file: f }));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/The exec command in .* is not a string; fix the file\./);
    expect(fs.existsSync(path.join(home, 'targets', 'bomb'))).toBe(false);
  });
});

const cluster = runningInfo();

describe.skipIf(!cluster)("the running test cluster's kubeconfig", () => {
  it('is listed and copied; the copy reaches the same API server as the original', async () => {
    const original = cluster!.kubeconfig;
    const before = snapshot(original);
    const listing = await listKubeconfigContexts(original);
    expect(listing.contexts.map((c) => [c.name, c.server, c.auth])).toEqual([
      ['deis-test', cluster!.server, 'token'],
    ]);
    const home = temp('home');
    const r = await importKubeconfigContext({ home, name: 'test-cluster', file: original });
    expect(fs.statSync(r.kubeconfig).mode & 0o777).toBe(0o600);
    // One read-only request (/version) through each: the same answer, or both fail alike if the
    // cluster stopped meanwhile (other test files own it).
    const version = async (kubeconfig: string) => {
      const kube = await connectKube({ kubeconfig });
      return kube.config
        .makeApiClient(kube.lib.VersionApi)
        .getCode()
        .then(
          (v) => `${v.major}.${v.minor} ${v.gitVersion}`,
          (e: unknown) => `failed: ${(e as Error).message.split('\n')[0]}`,
        );
    };
    expect(await version(r.kubeconfig)).toBe(await version(original));
    expect(snapshot(original)).toEqual(before);
  });
});
