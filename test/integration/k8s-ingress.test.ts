/**
 * The Ingress alternative on the real test cluster (DEIS_KUBE_INGRESS_CLASS): a pushed app gets a
 * Service that answers it and an Ingress of the class with a rule per host name; a domain added or
 * removed changes the rules, turning routing off removes the Ingress and its Service, and destroy
 * removes everything with the namespace. The cluster has no ingress controller, so what the test can
 * see is what a controller would be given, and that the Service it would send requests to answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startTestCore, type TestCore } from '../support/core';
import { repoFromFolder } from '../support/git';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests } from '../support/k8s';
import { appFolder, get } from '../support/k8s/app';
import { eventually } from '../support/k8s/eventually';
import { kubectlFor, type Kubectl } from '../support/k8s/kubectl';
import { Pusher } from '../support/push';
import { removeAppImages } from '../support/run-stage';

const cluster = await clusterForTests('k8s-ingress', { registry: true, hostRouted: true, kubectl: true });
const log = (line: string) => console.log(`k8s-ingress: ${line}`);

const APP = `king-${process.pid}`;
const instance = `dd-king-${process.pid}`;

interface Ingress {
  spec: {
    ingressClassName: string;
    rules: { host: string; http: { paths: { path: string; backend: { service: { name: string } } }[] } }[];
  };
}

describe.skipIf(!cluster)('apps on an ingress controller (DEIS_KUBE_INGRESS_CLASS)', () => {
  let t: TestCore;
  let owner: Api;
  let pusher: Pusher;
  let kubectl: Kubectl;

  const ingress = () =>
    kubectl.json<Ingress>(['-n', APP, 'get', 'ingress', APP, '-o', 'json']).catch(() => undefined);
  const hosts = async () => (await ingress())?.spec.rules.map((r) => r.host);

  beforeAll(async () => {
    await ensureBaseImage();
    kubectl = kubectlFor(cluster!.kubeconfig);
    t = await startTestCore({
      target: 'kubernetes',
      kubernetes: {
        kube: { kubeconfig: cluster!.kubeconfig },
        registry: { ...cluster!.registry! },
        ingressClass: 'deis-test',
      },
      instance,
      routerBase: BASE_IMAGE,
      log,
    });
    owner = await new Api(t.url).register('owner');
    pusher = new Pusher(t.core.builderPort, 'owner');
    await pusher.addKeyTo(owner);
    expect((await owner.post('/v2/apps/', { id: APP })).status).toBe(201);
    await owner.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '3' },
    });
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    pusher?.remove();
    if (kubectl) {
      await kubectl(['delete', 'namespace', APP, '--ignore-not-found', '--wait=false']).catch(() => '');
      await kubectl(['delete', 'namespace', '-l', `deis-desktop/instance=${instance}`, '--wait=false']).catch(
        () => '',
      );
    }
    await cluster?.release();
    await removeAppImages([APP]);
  });

  it('gives a pushed app a Service that answers it and an Ingress of the class for its host', async () => {
    const r = await pusher.push(repoFromFolder(appFolder()).dir, APP);
    expect(r.code, r.output).toBe(0);
    const found = await ingress();
    expect(found?.spec.ingressClassName).toBe('deis-test');
    expect(found?.spec.rules).toEqual([
      {
        host: `${APP}.localhost`,
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: APP, port: { number: 80 } } } },
          ],
        },
      },
    ]);
    const service = await kubectl.json<{ spec: { clusterIP: string } }>([
      '-n',
      APP,
      'get',
      'service',
      APP,
      '-o',
      'json',
    ]);
    // What a controller would send the requests to: kube-proxy balances the ClusterIP to the ready pods.
    await eventually('the Service to answer', async () =>
      (await get(`http://${service.spec.clusterIP}/`).catch(() => '')) === 'v3 hello\n' ? true : undefined,
    );
  }, 300_000);

  it('follows domains and routing: a rule per host, and no Ingress for an app that is not routable', async () => {
    expect((await owner.post(`/v2/apps/${APP}/domains/`, { domain: 'shop.example.com' })).status).toBe(201);
    expect(await hosts()).toEqual([`${APP}.localhost`, 'shop.example.com']);
    expect((await owner.delete(`/v2/apps/${APP}/domains/shop.example.com`)).status).toBe(204);
    expect(await hosts()).toEqual([`${APP}.localhost`]);
    expect((await owner.post(`/v2/apps/${APP}/settings/`, { routable: false })).status).toBe(201);
    expect(await ingress()).toBeUndefined();
    expect((await owner.post(`/v2/apps/${APP}/settings/`, { routable: true })).status).toBe(201);
    expect(await hosts()).toEqual([`${APP}.localhost`]);
    // Only the router enforces a whitelist and maintenance: no Ingress may lead around them.
    expect((await owner.post(`/v2/apps/${APP}/whitelist/`, { addresses: ['10.9.8.7'] })).status).toBe(201);
    expect(await ingress()).toBeUndefined();
    expect((await owner.delete(`/v2/apps/${APP}/whitelist/`, { addresses: ['10.9.8.7'] })).status).toBe(204);
    expect(await hosts()).toEqual([`${APP}.localhost`]);
    expect((await owner.post(`/v2/apps/${APP}/settings/`, { maintenance: true })).status).toBe(201);
    expect(await ingress()).toBeUndefined();
    expect((await owner.post(`/v2/apps/${APP}/settings/`, { maintenance: false })).status).toBe(201);
    expect(await hosts()).toEqual([`${APP}.localhost`]);
  }, 120_000);

  it('keeps the Service on the serving release through a config change', async () => {
    expect((await owner.post(`/v2/apps/${APP}/config/`, { values: { GREETING: 'x' } })).status).toBe(201);
    const latest = ((await owner.get(`/v2/apps/${APP}/releases/`)).body as { results: { version: number }[] })
      .results[0]!.version;
    const service = await kubectl.json<{ spec: { clusterIP: string } }>([
      '-n',
      APP,
      'get',
      'service',
      APP,
      '-o',
      'json',
    ]);
    await eventually('the Service to answer with the new release', async () =>
      (await get(`http://${service.spec.clusterIP}/`).catch(() => '')) === `v${latest} x\n`
        ? true
        : undefined,
    );
  }, 300_000);
});
