/**
 * Whether the cluster can pull what we push: a pod in a throwaway namespace, with the target's pull
 * secret, asks for the image the push check just pushed (by digest). The kubelet either pulls it (the
 * container then fails to start, which is fine: the image holds one file and no program) or says why
 * not (ErrImagePull, ImagePullBackOff, …), and that reason is the sentence. The namespace is removed
 * afterwards whatever happened.
 */
import crypto from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { TARGET_PULL_CHECK_MS, TARGET_PULL_REASON_MAX_CHARS } from '../../main/contract/limits';
import { apiReason, orMissing, type Kube } from './client';
import { registrySecret } from './manifests';
import { LABEL_MANAGED_BY, LABEL_ROLE, MANAGED_BY, PULL_SECRET } from './names';
import { registryServer, type TargetRegistry } from './push';

/** Waiting reasons that mean the image did not arrive (and will not without a change). */
const PULL_FAILURES = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable',
]);

const POLL_MS = 1_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PullCheck {
  ok: boolean;
  message: string;
}

/** The namespace a pull check runs in: its own, with a random suffix, so two checks never share one. */
export function pullCheckNamespace(): string {
  return `deis-desktop-check-${crypto.randomBytes(4).toString('hex')}`;
}

/** Pulls `image` (`<registry>/deis-desktop-check@sha256:…`) on the cluster with the registry's login. */
export async function checkClusterPull(
  kube: Kube,
  registry: TargetRegistry,
  image: string,
  namespace = pullCheckNamespace(),
): Promise<PullCheck> {
  const server = registryServer(registry);
  const labels = { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_ROLE]: 'check' };
  const cannot = (why: string): PullCheck => {
    const said = shorten(why);
    return {
      ok: false,
      message: `The cluster cannot pull from the registry ${server}: ${said}${/[.!]$/.test(said) ? '' : '.'} Check that its nodes reach ${server} and trust it (an http registry must be configured as such on the nodes).`,
    };
  };
  try {
    await kube.core.createNamespace({ body: { metadata: { name: namespace, labels } } });
  } catch (err) {
    return { ok: false, message: `Cannot make a namespace to check pulls in: ${apiReason(err)}` };
  }
  try {
    await kube.core.createNamespacedSecret({
      namespace,
      body: registrySecret(namespace, labels, registry),
    });
    const pod: k8s.V1Pod = {
      metadata: { name: 'pull', namespace, labels },
      spec: {
        restartPolicy: 'Never',
        // Nothing runs in it: removing the namespace need not wait out a grace period.
        terminationGracePeriodSeconds: 0,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        imagePullSecrets: [{ name: PULL_SECRET }],
        containers: [{ name: 'pull', image, imagePullPolicy: 'Always', command: ['/deis-desktop-check'] }],
      },
    };
    await kube.core.createNamespacedPod({ namespace, body: pod });
    const deadline = Date.now() + TARGET_PULL_CHECK_MS;
    let last = 'the pod was not scheduled';
    let pullError: string | undefined;
    /** Pulls that failed: one failure is not the answer (containerd's first manifest request to an
     * authenticated registry is sometimes refused with 401 before it sends the credentials), the
     * kubelet's next try, about 10 s later, is. */
    let failures = 0;
    let inBackOff = false;
    while (Date.now() < deadline) {
      const seen = await kube.core.readNamespacedPod({ name: 'pull', namespace });
      const status = seen.status?.containerStatuses?.[0];
      const waiting = status?.state?.waiting;
      if (waiting?.reason && PULL_FAILURES.has(waiting.reason)) {
        // ErrImagePull carries the registry's answer; the back-off that follows only repeats the image.
        if (waiting.reason !== 'ImagePullBackOff' || !pullError)
          pullError = `${waiting.reason}: ${waiting.message ?? 'no message'}`;
        const backingOff = waiting.reason === 'ImagePullBackOff';
        if (backingOff && !inBackOff) failures++;
        inBackOff = backingOff;
        if (backingOff && failures >= 2) return cannot(pullError);
      } else if (status?.state?.running || status?.state?.terminated || status?.imageID) {
        return pulled(server);
      } else if (waiting?.reason && waiting.reason !== 'ContainerCreating') {
        // CreateContainerError, RunContainerError…: the image is there; it just has no program.
        return pulled(server);
      } else {
        const unscheduled = seen.status?.conditions?.find(
          (c) => c.type === 'PodScheduled' && c.status !== 'True',
        );
        if (unscheduled?.message) last = `the pod was not scheduled (${unscheduled.message})`;
        else if (waiting?.reason) last = `the pod was still ${waiting.reason}`;
      }
      await sleep(POLL_MS);
    }
    return cannot(pullError ?? `no pull ended within ${TARGET_PULL_CHECK_MS / 1000} s: ${last}`);
  } catch (err) {
    return { ok: false, message: `Cannot check pulls on the cluster: ${apiReason(err)}` };
  } finally {
    await orMissing(kube.core.deleteNamespace({ name: namespace, propagationPolicy: 'Background' })).catch(
      () => undefined,
    );
  }
}

/**
 * The kubelet's reason in one line and at most TARGET_PULL_REASON_MAX_CHARS: the gRPC wrapping goes,
 * and a long one keeps its end, where containerd puts the cause (`… http: server gave HTTP response
 * to HTTPS client`).
 */
function shorten(why: string): string {
  const line = why
    .replace(/\s+/g, ' ')
    .replace(/rpc error: code = \w+ desc = /g, '')
    .trim();
  if (line.length <= TARGET_PULL_REASON_MAX_CHARS) return line;
  const colon = line.indexOf(': ');
  const head = colon > 0 && colon < 40 ? line.slice(0, colon + 2) : '';
  return `${head}…${line.slice(line.length - (TARGET_PULL_REASON_MAX_CHARS - head.length - 1))}`;
}

function pulled(server: string): PullCheck {
  return { ok: true, message: `The cluster pulled the test image from ${server} with the target's login.` };
}
