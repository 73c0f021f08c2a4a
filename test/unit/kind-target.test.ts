/**
 * kind clusters as targets, the rules without a cluster: the command lines each call of a kind
 * target builds (create and delete keep the kubeconfig in DEIS_HOME/targets/<name>/, load names a
 * loaded image by its ID), the add request a kind target takes, and the bound on kind's steps.
 */
import { describe, expect, it } from 'vitest';
import {
  createArgs,
  deleteArgs,
  getClustersArgs,
  getKubeconfigArgs,
  loadImageArgs,
  versionArgs,
} from '../../cluster/kind/commands';
import { KindProgress } from '../../cluster/kind/progress';
import { parseLocalRegistryHosting } from '../../cluster/kind/local-registry';
import { LOADED_REGISTRY, loadedRef } from '../../cluster/kubernetes/delivery';
import { deploymentManifest } from '../../cluster/kubernetes/manifests';
import { KIND_PROGRESS_STEPS_MAX } from '../../main/contract/limits';
import { AddTargetRequest, RemoveTargetRequest, targetKindOf } from '../../main/contract/targets';

const ID = `sha256:${'b'.repeat(64)}`;

describe('the kind command lines a kind target runs', () => {
  const kubeconfig = '/home/u/.deis/targets/dev/kubeconfig';
  it('adding: version, the clusters, create with the kubeconfig in the target folder, get kubeconfig', () => {
    expect(versionArgs()).toEqual(['version']);
    expect(getClustersArgs()).toEqual(['get', 'clusters']);
    expect(createArgs('/home/u/.deis', { name: 'kind-dev', kubeconfig })).toEqual([
      'create',
      'cluster',
      '--name',
      'kind-dev',
      '--kubeconfig',
      kubeconfig,
      '--wait',
      '300s',
    ]);
    expect(getKubeconfigArgs('kind-dev')).toEqual(['get', 'kubeconfig', '--name', 'kind-dev']);
  });

  it('a deploy loads the image by its ID-carrying name; removing with the cluster deletes with the same kubeconfig', () => {
    const ref = loadedRef('my-app', ID);
    expect(ref).toBe(`${LOADED_REGISTRY}/my-app:${'b'.repeat(64)}`);
    expect(loadImageArgs('kind-dev', ref)).toEqual(['load', 'docker-image', '--name', 'kind-dev', '--', ref]);
    expect(deleteArgs('/home/u/.deis', 'kind-dev', kubeconfig)).toEqual([
      'delete',
      'cluster',
      '--name',
      'kind-dev',
      '--kubeconfig',
      kubeconfig,
    ]);
    expect(() => loadedRef('my-app', 'not-an-id')).toThrow(/is not an image ID/);
  });

  it('pods of a loaded image: IfNotPresent and no registry secret', () => {
    const d = deploymentManifest({
      instance: 'i',
      release: {
        app: 'my-app',
        version: 3,
        image: 'x',
        procfile: {},
        dockerfile: true,
        sha: '',
        summary: '',
        created: '',
        values: {},
        memory: {},
        cpu: {},
        healthcheck: {},
      },
      type: 'cmd',
      replicas: 1,
      image: loadedRef('my-app', ID),
      port: 5000,
      routed: 'cmd',
      preStop: { kind: 'none' },
      pullSecret: false,
    });
    expect(d.spec!.template.spec!.imagePullSecrets).toBeUndefined();
    expect(d.spec!.template.spec!.containers[0]!.imagePullPolicy).toBe('IfNotPresent');
  });
});

describe('the add and remove requests of a kind target', () => {
  it('takes a cluster name and create, and nothing of the other kinds', () => {
    const ok = AddTargetRequest.parse({ name: 'dev', kind: 'kind', cluster: 'kind-dev', create: true });
    expect(targetKindOf(ok)).toBe('kind');
    expect(targetKindOf(AddTargetRequest.parse({ name: 'dev', cluster: 'kind-dev' }))).toBe('kind');
    const bad = AddTargetRequest.safeParse({
      name: 'dev',
      kind: 'kind',
      docker: 'ssh://u@h',
      kubeconfig: '/k',
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path[0]).sort()).toEqual(['docker', 'kubeconfig']);
    for (const cluster of ['../x', 'Dev', '-rf', 'x'.repeat(51)])
      expect(AddTargetRequest.safeParse({ name: 'dev', kind: 'kind', cluster }).success).toBe(false);
    const notKind = AddTargetRequest.safeParse({
      name: 'dev',
      kubeconfig: '/k',
      registry: 'r:5000',
      create: true,
    });
    expect(notKind.success).toBe(false);
    expect(RemoveTargetRequest.safeParse({ delete_cluster: 'yes' }).success).toBe(false);
  });
});

describe("kind's steps", () => {
  it(`keeps at most ${KIND_PROGRESS_STEPS_MAX}, the latest`, () => {
    const p = new KindProgress();
    for (let i = 0; i < KIND_PROGRESS_STEPS_MAX + 10; i++) p.line(` • Step number ${i}  ...`);
    expect(p.steps).toHaveLength(KIND_PROGRESS_STEPS_MAX);
    expect(p.steps.at(-1)!.label).toBe(`Step number ${KIND_PROGRESS_STEPS_MAX + 9}`);
  });
});

describe("kind's local registry (its documented recipe)", () => {
  it('reads the host the cluster advertises in kube-public/local-registry-hosting (KEP-1755)', () => {
    // The ConfigMap's data exactly as https://kind.sigs.k8s.io/docs/user/local-registry/ writes it.
    const recipe = 'host: "localhost:5001"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n';
    expect(parseLocalRegistryHosting(recipe)).toBe('localhost:5001');
    expect(parseLocalRegistryHosting(undefined)).toBeUndefined();
    expect(parseLocalRegistryHosting('host: "http://evil:1 --insecure"')).toBeUndefined();
    expect(parseLocalRegistryHosting('help: "x"')).toBeUndefined();
  });
});
