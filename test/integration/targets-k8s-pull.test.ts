/**
 * "Can the cluster pull from its registry", a named check of every Kubernetes target add and test,
 * on the real test cluster and its real registry (basic auth): a pod in a throwaway namespace pulls
 * the image the push check just pushed, with the target's pull secret. With the registry the nodes
 * know, the check passes; with the same registry under an address this machine's Docker engine pushes
 * to but the nodes do not trust (127.0.0.2: Docker allows plain HTTP to all of 127.0.0.0/8, the
 * kubelet's containerd only to the name it was configured with), the push passes and the pull check
 * fails with the registry's name and the kubelet's reason, and nothing is added. The check's
 * namespace is removed either way.
 */
import dns from 'node:dns/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startTestCore, type TestCore } from '../support/core';
import { clusterForTests } from '../support/k8s';
import { eventually } from '../support/k8s/eventually';
import { kubectlFor, type Kubectl } from '../support/k8s/kubectl';

const cluster = await clusterForTests('targets-k8s-pull', { registry: true, kubectl: true });

interface Check {
  name: string;
  ok: boolean;
  message: string;
}

/**
 * This machine's own name when it resolves to a loopback address (Debian's /etc/hosts makes it so):
 * the same registry under another name. Docker's engine allows plain HTTP to any name that resolves
 * into 127.0.0.0/8; containerd only to the literal `localhost` and loopback IPs (and to what its
 * hosts.toml lists), so the nodes try HTTPS there and fail, as a real cluster does with a registry
 * it has not been told to trust.
 */
async function loopbackName(): Promise<string | undefined> {
  const name = os.hostname().toLowerCase();
  if (name === 'localhost' || !/^[a-z0-9-]+$/.test(name)) return undefined;
  const found = await dns.lookup(name).catch(() => undefined);
  return found && found.address.startsWith('127.') ? name : undefined;
}

const otherName = await loopbackName();

describe.skipIf(!cluster)('a Kubernetes target check: the cluster can pull from its registry', () => {
  let t: TestCore;
  let admin: Api;
  let kubectl: Kubectl;
  let scratch: string;
  const registry = () => cluster!.registry!;
  /** The check namespaces left on the cluster. */
  const checkNamespaces = async () =>
    (await kubectl(['get', 'namespaces', '-o', 'jsonpath={.items[*].metadata.name}']))
      .split(/\s+/)
      .filter((n) => n.startsWith('deis-desktop-check-'));

  beforeAll(async () => {
    kubectl = kubectlFor(cluster!.kubeconfig);
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-k8s-pull-'));
    t = await startTestCore();
    admin = await new Api(t.url).register('admin');
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    await cluster?.release();
  });

  it('passes with the registry the nodes pull from, and removes its namespace', async () => {
    const r = await admin.post('/v2/desktop/targets/', {
      name: 'pulls',
      kubeconfig: cluster!.kubeconfig,
      registry: registry().address,
      registry_username: registry().username,
      registry_password: registry().password,
    });
    expect(r.status, r.text).toBe(201);
    const checks = (r.body as { checks: Check[] }).checks;
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['api-server', true],
      ['namespaces', true],
      ['registry-login', true],
      ['registry-push', true],
      ['registry-pull', true],
    ]);
    expect(checks[4]!.message).toBe(
      `The cluster pulled the test image from ${registry().address} with the target's login.`,
    );
    // targets:test runs it again.
    const tested = await admin.post('/v2/desktop/targets/pulls/test/');
    expect(tested.status, tested.text).toBe(200);
    expect((tested.body as { checks: Check[] }).checks.at(-1)).toMatchObject({
      name: 'registry-pull',
      ok: true,
    });
    await eventually('the check namespaces removed', async () =>
      (await checkNamespaces()).length === 0 ? true : undefined,
    );
    expect((await admin.delete('/v2/desktop/targets/pulls/')).status).toBe(204);
  }, 300_000);

  it.skipIf(!otherName)(
    'fails, naming the registry and the kubelet reason, when the nodes cannot pull from it; nothing added',
    async () => {
      const other = { address: registry().address.replace(/^127\.0\.0\.1:/, `${otherName}:`) };
      expect(other.address).not.toBe(registry().address);
      const r = await admin.post('/v2/desktop/targets/', {
        name: 'nopull',
        kubeconfig: cluster!.kubeconfig,
        registry: other.address,
        registry_username: registry().username,
        registry_password: registry().password,
      });
      expect(r.status, r.text).toBe(400);
      const detail = (r.body as { detail: string }).detail;
      expect(detail).toMatch(
        new RegExp(
          `^The target nopull was not added: The cluster cannot pull from the registry ${other.address.replace(/\./g, '\\.')}: (ErrImagePull|ImagePullBackOff): .*${other.address.replace(/\./g, '\\.')}/`,
        ),
      );
      expect(detail).toContain(`Check that its nodes reach ${other.address} and trust it`);
      const listed = (await admin.get('/v2/desktop/targets/')).body as { results: { name: string }[] };
      expect(listed.results.map((x) => x.name)).toEqual(['local']);
      expect(fs.existsSync(path.join(t.home, 'targets', 'nopull'))).toBe(false);
      await eventually('the check namespace removed', async () =>
        (await checkNamespaces()).length === 0 ? true : undefined,
      );
    },
    300_000,
  );
});
