/**
 * HTTPS in the router, with a real TLS client checking real chains: every `<app>.localhost` is served
 * with a leaf of the core's local certificate authority; a certificate added with `certs:add` and
 * attached to a domain is served for that name (SNI); `tls:enable` answers plain HTTP with a 301 to
 * HTTPS; and a deploy under steady HTTPS load loses no request.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCore } from '../support/core';
import { Api } from '../support/core';
import { dockerAvailable } from '../support/images';
import {
  buildFixture,
  instanceName,
  Load,
  pushBuild,
  removeImage,
  removeInstance,
  startDockerCore,
  viaRouter,
  viaRouterTls,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('router-tls tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('tls');
const APP = 'tls-app';
const HOST = `${APP}.localhost`;
const CUSTOM = 'www.example.test';

/** A certificate authority of the test's own and a leaf for `host`, made with OpenSSL. */
function testCertificate(dir: string, host: string) {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '30',
    '-subj',
    '/CN=Test CA',
  ]);
  run([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'leaf.key',
    '-out',
    'leaf.csr',
    '-subj',
    `/CN=${host}`,
  ]);
  fs.writeFileSync(path.join(dir, 'ext.cnf'), `subjectAltName=DNS:${host}\n`);
  run([
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    'ext.cnf',
    '-out',
    'leaf.crt',
  ]);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  return { ca: read('ca.crt'), certificate: read('leaf.crt'), key: read('leaf.key') };
}

describe.skipIf(!hasDocker)('HTTPS through the router', () => {
  let t: TestCore;
  let api: Api;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  let port: number;
  let tlsPort: number;
  let localCa: string;
  let certDir: string;

  beforeAll(async () => {
    built = await buildFixture(APP, 'run-app');
    t = await startDockerCore(instance);
    api = await new Api(t.url).register('owner');
    await api.post('/v2/apps/', { id: APP });
    await api.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    });
    expect((await pushBuild(api, APP, built)).status).toBe(201);
    port = t.core.target.routerPort;
    tlsPort = t.core.target.routerTlsPort ?? 0;
    localCa = fs.readFileSync(path.join(t.home, 'tls', 'ca.crt'), 'utf8');
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-tls-'));
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
  });

  it("serves every app's default name over HTTPS with the local authority's certificate", async () => {
    expect(tlsPort).toBeGreaterThan(0);
    const r = await viaRouterTls(tlsPort, HOST, localCa);
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^Hello from v\d+ on .* proto=https$/m);
    expect(r.issuer).toBe('Deis Desktop local CA for localhost');
    // The root is kept private to the user.
    expect(fs.statSync(path.join(t.home, 'tls', 'ca.key')).mode & 0o777).toBe(0o600);
    // A client that does not trust the local authority refuses it, as a browser would before the user trusts it.
    await expect(
      viaRouterTls(tlsPort, HOST, testCertificate(certDir, 'x.test').ca, '/', 10_000, true),
    ).rejects.toThrow(/unable to (get|verify)|self.signed/i);
  });

  it('serves an attached certificate for its domain, by SNI, and stops when it is detached', async () => {
    const own = testCertificate(certDir, CUSTOM);
    expect((await api.post(`/v2/apps/${APP}/domains/`, { domain: CUSTOM })).status).toBe(201);
    // Before a certificate is attached, the name gets none a client would accept.
    await expect(viaRouterTls(tlsPort, CUSTOM, own.ca, '/', 10_000, true)).rejects.toThrow();
    const added = await api.post('/v2/certs/', {
      name: 'www-example',
      certificate: own.certificate,
      key: own.key,
    });
    expect(added.status, added.text).toBe(201);
    expect((await api.post(`/v2/certs/www-example/domain/`, { domain: CUSTOM })).status).toBe(201);
    const r = await viaRouterTls(tlsPort, CUSTOM, own.ca, '/', 10_000, true);
    expect([r.status, r.issuer]).toEqual([200, 'Test CA']);
    expect(r.body).toContain(`host=${CUSTOM}`);
    // The app's own name keeps the local authority's certificate.
    expect((await viaRouterTls(tlsPort, HOST, localCa)).issuer).toBe('Deis Desktop local CA for localhost');
    expect((await api.delete(`/v2/certs/www-example/domain/${CUSTOM}`)).status).toBe(204);
    await expect(viaRouterTls(tlsPort, CUSTOM, own.ca, '/', 10_000, true)).rejects.toThrow();
  });

  it('redirects plain HTTP to HTTPS with a 301 after tls:enable, and serves it again after tls:disable', async () => {
    expect((await api.post(`/v2/apps/${APP}/tls/`, { https_enforced: true })).status).toBe(201);
    const r = await new Promise<{ status: number; location: string }>((resolve, reject) => {
      import('node:http')
        .then(({ default: http }) =>
          http
            .get({ host: '127.0.0.1', port, path: '/some/path?q=1', headers: { Host: HOST } }, (res) => {
              res.resume();
              resolve({ status: res.statusCode ?? 0, location: String(res.headers.location) });
            })
            .on('error', reject),
        )
        .catch(reject);
    });
    expect(r).toEqual({ status: 301, location: `https://${HOST}:${tlsPort}/some/path?q=1` });
    expect((await viaRouterTls(tlsPort, HOST, localCa)).status).toBe(200);
    expect((await api.post(`/v2/apps/${APP}/tls/`, { https_enforced: false })).status).toBe(201);
    expect((await viaRouter(port, HOST)).status).toBe(200);
  });

  it('loses no HTTPS request while a config change replaces the process', async () => {
    const load = new Load(tlsPort, HOST, 4, (p, h) => viaRouterTls(p, h, localCa));
    await new Promise((r) => setTimeout(r, 500));
    const set = await api.post(`/v2/apps/${APP}/config/`, { values: { GREETING: 'Hi' } });
    expect(set.status, set.text).toBe(201);
    await new Promise((r) => setTimeout(r, 1000));
    await load.stop();
    expect(load.failures).toEqual([]);
    expect(load.ok).toBeGreaterThan(20);
    expect([...load.bodies].some((b) => b.startsWith('Hi from'))).toBe(true);
  }, 120_000);
});
