/**
 * Checking a Kubernetes target before (and whenever) a user relies on it: can its API server be
 * reached and which version is it, may we create namespaces (each app gets one), does the registry
 * accept the login, can an image be pushed to it, and can the cluster pull that image back with the
 * target's pull secret. Each answer is one sentence a person can act on; each step gives up after
 * TARGET_CHECK_STEP_MS (the pull, which waits on a kubelet, after TARGET_PULL_CHECK_MS), so a server
 * that drops packets does not hang.
 */
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { TARGET_CHECK_STEP_MS } from '../../main/contract/limits';
import type { TargetCheck } from '../../main/contract/targets';
import { tarOf } from '../docker/tar';
import { TargetError } from '../target';
import { apiReason, connectKube, type Kube, type KubeSettings } from './client';
import { checkClusterPull } from './pull-check';
import { pushImage, registryServer, repositoryFor, type TargetRegistry } from './push';

/** `work`, or a rejection saying what took too long. */
export async function within<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${TARGET_CHECK_STEP_MS / 1000} s`)),
      TARGET_CHECK_STEP_MS,
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface KubeCheckOptions {
  kube: KubeSettings;
  registry?: TargetRegistry;
  /** Images are loaded into the nodes (a kind cluster): there is no registry to check; this says how. */
  loads?: string;
  docker: Docker;
  /** Called as each step starts (a task's named step). */
  step?: (name: string) => void;
}

export interface KubeCheckResult {
  ok: boolean;
  checks: TargetCheck[];
  /** `v1.20.2`, when the server answered. */
  version?: string;
  server?: string;
}

/** The API server's address and version; throws TargetError `unavailable` with a sentence. */
export async function serverVersion(kube: Kube): Promise<string> {
  try {
    const info = await within(
      `The Kubernetes API server at ${kube.server}`,
      kube.config.makeApiClient(kube.lib.VersionApi).getCode(),
    );
    return info.gitVersion;
  } catch (err) {
    throw new TargetError(
      'unavailable',
      `The Kubernetes API server at ${kube.server} (context ${kube.context}) does not answer: ${apiReason(err)}`,
    );
  }
}

/** Runs every check in order; a check that cannot run because an earlier one failed is skipped. */
export async function checkKubeTarget(o: KubeCheckOptions): Promise<KubeCheckResult> {
  const checks: TargetCheck[] = [];
  const step = o.step ?? (() => {});
  const fail = (name: string, message: string) => {
    checks.push({ name, ok: false, message });
    return { ok: false, checks };
  };

  step('Reaching the API server');
  let kube: Kube;
  let version: string;
  try {
    kube = await connectKube(o.kube);
    version = await serverVersion(kube);
  } catch (err) {
    return fail('api-server', (err as Error).message);
  }
  checks.push({
    name: 'api-server',
    ok: true,
    message: `The API server at ${kube.server} answers: Kubernetes ${version}.`,
  });
  const done = (r: { ok: boolean; checks: TargetCheck[] }) => ({ ...r, version, server: kube.server });

  step('Checking permission to create namespaces');
  try {
    const review = await within(
      'The API server',
      kube.config.makeApiClient(kube.lib.AuthorizationV1Api).createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { verb: 'create', resource: 'namespaces' } } },
      }),
    );
    if (!review.status?.allowed)
      return done(
        fail(
          'namespaces',
          `The context ${kube.context} may not create namespaces (each app gets one): ask the cluster's administrator for that right, or use another context.`,
        ),
      );
  } catch (err) {
    return done(fail('namespaces', `Cannot ask the API server what we may do: ${apiReason(err)}`));
  }
  checks.push({
    name: 'namespaces',
    ok: true,
    message: `The context ${kube.context} may create namespaces.`,
  });

  if (o.loads) {
    checks.push({ name: 'images', ok: true, message: o.loads });
    return done({ ok: true, checks });
  }
  const registry = o.registry;
  if (!registry) {
    checks.push({
      name: 'registry',
      ok: false,
      message:
        'No registry is set: images cannot reach the cluster; add the target again with --registry=<host:port>.',
    });
    return done({ ok: false, checks });
  }
  const server = registryServer(registry);
  if (registry.username && registry.password) {
    step('Logging in to the registry');
    try {
      await within(
        `The registry ${server}`,
        o.docker.checkAuth({
          username: registry.username,
          password: registry.password,
          serveraddress: server,
        }),
      );
    } catch (err) {
      return done(fail('registry-login', loginFailure(server, registry.username, err)));
    }
    checks.push({
      name: 'registry-login',
      ok: true,
      message: `The registry ${server} accepts the login of ${registry.username}.`,
    });
  }

  step('Pushing a test image to the registry');
  let digest: string;
  try {
    digest = await within(`The registry ${server}`, pushProbe(o.docker, registry));
    checks.push({
      name: 'registry-push',
      ok: true,
      message: `An image was pushed to ${server} (${digest.split('@')[1]}).`,
    });
  } catch (err) {
    return done(fail('registry-push', `Cannot push to ${server}: ${(err as Error).message}`));
  }

  step('Pulling the test image on the cluster');
  const pull = await checkClusterPull(kube, registry, digest);
  checks.push({ name: 'registry-pull', ...pull });
  return done({ ok: pull.ok, checks });
}

/** The registry's refusal of a login, as a sentence: a 401 means the username or password is wrong. */
function loginFailure(server: string, username: string, err: unknown): string {
  const status = (err as { statusCode?: number }).statusCode;
  const reason = String((err as { json?: { message?: string } }).json?.message ?? (err as Error).message)
    .split('\n')[0]!
    .slice(0, 300);
  if (status === 401 || /unauthorized|authentication required|denied/i.test(reason))
    return `The registry ${server} refused the login of ${username}: check the username and password.`;
  return `The registry ${server} cannot be logged in to: ${reason}`;
}

/** A one-file image made for the check, pushed to `<registry>/deis-desktop-check`, then forgotten locally. */
async function pushProbe(docker: Docker, registry: TargetRegistry): Promise<string> {
  const tag = `probe-${process.pid}-${Date.now()}`;
  const local = `deis-desktop-check:${tag}`;
  // The image has a single small file saying what it is.
  const tar = tarOf([
    { name: 'deis-desktop-check', content: 'pushed by Deis Desktop to check the registry\n' },
  ]);
  const stream = (await docker.importImage(Readable.from([tar]), {
    repo: 'deis-desktop-check',
    tag,
  })) as NodeJS.ReadableStream;
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
  );
  try {
    return await pushImage(docker, local, registry, repositoryFor(registry, 'deis-desktop-check'), 'check');
  } finally {
    await docker
      .getImage(local)
      .remove({ force: true })
      .catch(() => undefined);
  }
}
