/**
 * Backing services on Kubernetes, as the Docker target runs them: one pod per service (a Deployment
 * of one replica, recreated rather than rolled, since its volume can be mounted once) with its data
 * on a PersistentVolumeClaim of the cluster's default storage class, in one namespace of this
 * installation (`<instance>-services`). Apps reach it at its Service's cluster IP, on the kind's own
 * port, so a pod that is replaced keeps the address. The image is the one the local engine has or
 * builds (the same as on Docker), pushed to the target's registry and named by digest.
 *
 * Credentials are in a Secret the pod's environment comes from, never in a manifest's plain fields,
 * a command line or a log line. A command in the service (backup, restore) gets its environment on
 * its stdin, read by `sh` before the command starts, since an exec through the API server has no
 * environment of its own and its command line is logged by the API server; the command's own input
 * follows in sized chunks, since such an exec cannot say where stdin ends on clusters before 1.29.
 *
 * Known limit: nothing but the cluster's own network policy keeps other pods from the service's
 * address (the Docker target connects it to attached apps' networks only); the target writes no
 * NetworkPolicy, as it writes none for apps (SECURITY.md).
 */
import { Duplex, PassThrough, Writable } from 'node:stream';
import type * as k8s from '@kubernetes/client-node';
import type Docker from 'dockerode';
import {
  K8S_POLL_MS,
  K8S_PULL_FAILURE_MS,
  K8S_SERVICE_DIAL_MS,
  K8S_SERVICE_LOG_BYTES_MAX,
  SERVICE_EXEC_OUTPUT_MAX,
  SERVICE_FAILURE_LOG_LINES,
  SERVICE_LOG_LINE_MAX_CHARS,
  SERVICE_READY_MS,
} from '../../main/contract/limits';
import { ensureServiceImage } from '../docker/service-image';
import {
  TargetError,
  type Progress,
  type ServiceExec,
  type ServiceExecIo,
  type ServiceSpec,
} from '../target';
import { apiReason, apiStatus, orMissing, type Kube } from './client';
import { LABEL_INSTANCE, PULL_SECRET, ownLabels, selector } from './names';
import { registrySecret } from './manifests';
import { pushImage, registryServer, repositoryFor, type TargetRegistry } from './push';

/** On the service's objects: the service's name. */
export const LABEL_SERVICE = 'deis-desktop/service';
/** On the pod that swaps a service's data files while it is stopped: the service's name. */
export const LABEL_SWAP = 'deis-desktop/swap-of';
/** The data volume's size when the settings name none. */
export const SERVICE_VOLUME_SIZE = '1Gi';

/** The namespace every service of an installation lives in. */
export const servicesNamespace = (instance: string): string =>
  `${instance}-services`.slice(0, 63).replace(/-+$/, '');
const deploymentOf = (service: string) => `svc-${service}`;
const secretOf = (service: string) => `svc-${service}-env`;
const claimOf = (service: string) => `svc-${service}-data`;
const swapOf = (service: string) => `svc-${service}-swap`;

/** Waiting reasons of a container that will not start by waiting longer. */
const STUCK = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'CrashLoopBackOff',
]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface KubeServicesOptions {
  instance: string;
  registry: TargetRegistry;
  /** The storage class of the data volumes; the cluster's default when absent. */
  storageClass?: string;
}

export class KubeServices {
  constructor(
    private readonly kube: () => Kube,
    private readonly docker: () => Docker,
    private readonly options: KubeServicesOptions,
  ) {}

  private get namespace(): string {
    return servicesNamespace(this.options.instance);
  }

  private labels(service: string): Record<string, string> {
    return { ...ownLabels(this.options.instance, 'service'), [LABEL_SERVICE]: service };
  }

  async provision(spec: ServiceSpec, progress: Progress): Promise<{ image: string }> {
    const local = await ensureServiceImage(this.docker(), spec, progress);
    const info = await this.docker().getImage(local).inspect();
    progress({ kind: 'step', message: `Pushing ${local} to ${registryServer(this.options.registry)}` });
    const image = await pushImage(
      this.docker(),
      info.Id,
      this.options.registry,
      repositoryFor(this.options.registry, `service-${spec.kind}`),
      info.Id.replace(/^sha256:/, '').slice(0, 12),
    );
    progress({ kind: 'step', message: 'Creating the deployment' });
    await this.ensureNamespace();
    await this.apply(this.secretManifest(spec));
    if (spec.dataPath) await this.apply(this.claimManifest(spec.name));
    await this.apply(this.deploymentManifest(spec, image, info.Config?.User ?? ''));
    await this.apply(this.serviceManifest(spec));
    progress({ kind: 'step', message: 'Waiting until it accepts connections' });
    await this.waitReady(spec.name);
    return { image };
  }

  /** The address attached apps reach it at: its Service's cluster IP (the same whichever pod runs it). */
  async connect(service: string): Promise<string> {
    const svc = await orMissing(
      this.kube().core.readNamespacedService({ name: deploymentOf(service), namespace: this.namespace }),
    );
    const ip = svc?.spec?.clusterIP;
    if (!ip || ip === 'None')
      throw new TargetError(
        'invalid',
        `The service ${service} does not run on the cluster; provision it again.`,
      );
    return ip;
  }

  async destroy(service: string): Promise<void> {
    const kube = this.kube();
    const namespace = this.namespace;
    await orMissing(
      kube.apps.deleteNamespacedDeployment({
        name: deploymentOf(service),
        namespace,
        propagationPolicy: 'Foreground',
      }),
    );
    await orMissing(kube.core.deleteNamespacedService({ name: deploymentOf(service), namespace }));
    await orMissing(kube.core.deleteNamespacedSecret({ name: secretOf(service), namespace }));
    await orMissing(kube.core.deleteNamespacedPersistentVolumeClaim({ name: claimOf(service), namespace }));
  }

  /**
   * Deletes the pod (its data stays on the claim); the Deployment starts another, waited for. A
   * Deployment left at no pod (a core stopped during a Redis restore) is scaled back to one first.
   */
  async restart(service: string): Promise<void> {
    await this.scale(service, 1);
    const before = await this.pods(service);
    for (const pod of before)
      await orMissing(
        this.kube().core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace: this.namespace }),
      );
    const gone = new Set(before.map((p) => p.metadata!.uid));
    await this.waitReady(service, gone);
  }

  /**
   * Runs a command in the service's pod: its environment first on stdin (`K=V` lines, then an empty
   * line), then `io.input` in sized chunks. stdout streams to `io.stdout`; the last SERVICE_EXEC_OUTPUT_MAX bytes of
   * stderr are kept.
   */
  async exec(
    service: string,
    command: ServiceExec,
    io: ServiceExecIo,
  ): Promise<{ exitCode: number; stderr: string }> {
    const pod = (await this.pods(service)).find(ready);
    if (!pod) throw new TargetError('not_ready', `The service ${service} has no running pod right now.`);
    const kube = this.kube();
    for (const [k, v] of Object.entries(command.env))
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /[\n\0]/.test(v))
        throw new TargetError('invalid', `The service command's variable ${k} cannot be passed on.`);
    const stdin = new PassThrough();
    let stderr = Buffer.alloc(0);
    // A Writable takes one chunk at a time: a slow reader of stdout holds the command back.
    const stdout = new Writable({
      write(chunk: Buffer, _e, callback) {
        Promise.resolve(io.stdout?.(chunk)).then(() => callback(), callback);
      },
    });
    const errs = new Writable({
      write(chunk: Buffer, _e, callback) {
        stderr = Buffer.concat([stderr, chunk]);
        if (stderr.length > SERVICE_EXEC_OUTPUT_MAX) stderr = stderr.subarray(-SERVICE_EXEC_OUTPUT_MAX);
        callback();
      },
    });
    // The websocket exec of clusters before 1.29 cannot half-close stdin (client-node closes the
    // whole connection when its stdin ends), so the command never sees an end of input there. The
    // input is framed instead: `K=V` lines and a blank line, then chunks each after a line with its
    // size, and `0` at the end; sh reads a pipe byte by byte and `head -c` reads no further than its
    // count, so the command gets exactly the input and then its end.
    const script =
      'while IFS= read -r kv && [ -n "$kv" ]; do export "$kv"; done; ' +
      'while IFS= read -r n && [ "$n" -gt 0 ]; do head -c "$n"; done | "$@"';
    let socket: { close(): void } | undefined;
    const done = new Promise<number>((resolve, reject) => {
      new kube.lib.Exec(kube.config)
        .exec(
          this.namespace,
          pod.metadata!.name!,
          'service',
          ['/bin/sh', '-c', script, 'sh', ...command.command],
          stdout,
          errs,
          stdin,
          false,
          (status: k8s.V1Status) =>
            resolve(
              status.status === 'Success'
                ? 0
                : Number(status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message ?? 1),
            ),
        )
        .then((ws) => {
          socket = ws;
          ws.on('close', () => resolve(-1));
        })
        .catch((err: Error) =>
          reject(new TargetError('unavailable', `Cannot run a command in ${service}: ${err.message}`)),
        );
    });
    const onAbort = () => socket?.close();
    io.signal?.addEventListener('abort', onAbort);
    try {
      stdin.write(
        Object.entries(command.env)
          .map(([k, v]) => `${k}=${v}\n`)
          .join('') + '\n',
      );
      const feeding = (async () => {
        if (io.input)
          for await (const chunk of io.input) {
            if (chunk.length === 0) continue;
            stdin.write(`${chunk.length}\n`);
            if (!stdin.write(chunk)) await new Promise((r) => stdin.once('drain', r));
          }
        // Never ended: see above. The connection closes when the command has.
        stdin.write('0\n');
      })();
      const [exitCode] = await Promise.all([
        done,
        feeding.catch((err: unknown) => {
          socket?.close();
          throw err;
        }),
      ]);
      if (io.signal?.aborted) throw new TargetError('invalid', 'The command was stopped.');
      return { exitCode, stderr: stderr.toString('utf8') };
    } finally {
      io.signal?.removeEventListener('abort', onAbort);
      stdin.destroy();
    }
  }

  /**
   * The last `lines` lines of the service's pod (the ready one, else the newest), each cut at
   * SERVICE_LOG_LINE_MAX_CHARS; the API server sends at most K8S_SERVICE_LOG_BYTES_MAX bytes.
   */
  async logs(service: string, lines: number): Promise<string[]> {
    const pods = await this.pods(service);
    const pod =
      pods.find(ready) ??
      pods.sort((a, b) =>
        String(b.metadata?.creationTimestamp ?? '').localeCompare(
          String(a.metadata?.creationTimestamp ?? ''),
        ),
      )[0];
    if (!pod)
      throw new TargetError(
        'invalid',
        `The service ${service} has no pod on the cluster right now; restart it (deis services:restart ${service}) or provision it again.`,
      );
    let text: string;
    try {
      text = String(
        await this.kube().core.readNamespacedPodLog({
          name: pod.metadata!.name!,
          namespace: this.namespace,
          container: 'service',
          tailLines: lines,
          limitBytes: K8S_SERVICE_LOG_BYTES_MAX,
        }),
      );
    } catch (err) {
      // 400: the container has not started yet (ContainerCreating, pulling): nothing written yet.
      if (apiStatus(err) === 400) return [];
      throw new TargetError('unavailable', `The log of ${service} cannot be read: ${apiReason(err)}`);
    }
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-lines)
      .map((l) => (l.length > SERVICE_LOG_LINE_MAX_CHARS ? `${l.slice(0, SERVICE_LOG_LINE_MAX_CHARS)}…` : l));
  }

  /**
   * A TCP connection to the service's port in its ready pod, through the API server's port-forward
   * (a websocket; nothing is published on a node). Bytes written go to the service, its answers come
   * out; either side closing ends both. Reading stops when the reader is slow (the websocket pauses).
   */
  async dial(service: string, port: number): Promise<Duplex> {
    const pod = (await this.pods(service)).find(ready);
    if (!pod) throw new TargetError('not_ready', `The service ${service} has no running pod right now.`);
    const kube = this.kube();
    const input = new PassThrough();
    const output = new PassThrough();
    let problem = '';
    const errors = new Writable({
      write(chunk: Buffer, _e, callback) {
        problem = (problem + chunk.toString('utf8')).slice(0, 500);
        callback();
      },
    });
    type Socket = {
      close(): void;
      on(event: 'close', f: () => void): void;
      pause?(): void;
      resume?(): void;
    };
    let timer: NodeJS.Timeout | undefined;
    const ws = (await Promise.race([
      new kube.lib.PortForward(kube.config, false).portForward(
        this.namespace,
        pod.metadata!.name!,
        [port],
        output,
        errors,
        input,
      ),
      new Promise<never>((_r, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${K8S_SERVICE_DIAL_MS / 1000} s`)),
          K8S_SERVICE_DIAL_MS,
        );
      }),
    ])
      .catch((err: Error) => {
        input.destroy();
        throw new TargetError('unavailable', `Cannot reach ${service} through the cluster: ${err.message}`);
      })
      .finally(() => clearTimeout(timer))) as unknown as Socket;
    // The library writes without waiting: hold the websocket while the reader is behind.
    const write = output.write.bind(output);
    output.write = ((chunk: Buffer, ...rest: never[]) => {
      const more = write(chunk, ...rest);
      if (!more) ws.pause?.();
      return more;
    }) as typeof output.write;
    output.on('drain', () => ws.resume?.());
    ws.on('close', () => {
      if (problem && !output.writableEnded) output.destroy(new Error(problem.trim()));
      else output.end();
    });
    const stream = Duplex.from({ readable: output, writable: input });
    stream.on('close', () => ws.close());
    return stream;
  }

  /**
   * Scales the service to no pod, runs `swap` in a pod of the service's image with its data claim
   * mounted as the service mounts it (its environment in a Secret of its own), and scales it back
   * to one pod, waited for, whatever the swap's outcome; a failed swap is an error with its last
   * output lines.
   */
  async replaceData(service: string, swap: ServiceExec): Promise<void> {
    const kube = this.kube();
    const namespace = this.namespace;
    const deployment = await orMissing(
      kube.apps.readNamespacedDeployment({ name: deploymentOf(service), namespace }),
    );
    const template = deployment?.spec?.template.spec;
    const main = template?.containers.find((c) => c.name === 'service');
    if (!deployment || !template || !main)
      throw new TargetError(
        'invalid',
        `The service ${service} does not run on the cluster; provision it again.`,
      );
    for (const k of Object.keys(swap.env))
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
        throw new TargetError('invalid', `The service command's variable ${k} cannot be passed on.`);
    const labels = this.labels(service);
    let failure: TargetError | undefined;
    await this.scale(service, 0);
    try {
      await this.waitNoPods(service);
      await this.removeSwap(service);
      await this.apply({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: swapOf(service), namespace, labels },
        stringData: swap.env,
      });
      await kube.core
        .createNamespacedPod({
          namespace,
          body: {
            apiVersion: 'v1',
            kind: 'Pod',
            // Not the service's label: its Deployment must not count this pod as one of its own.
            metadata: {
              name: swapOf(service),
              namespace,
              labels: { ...ownLabels(this.options.instance, 'service'), [LABEL_SWAP]: service },
            },
            spec: {
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              imagePullSecrets: template.imagePullSecrets,
              nodeSelector: template.nodeSelector,
              volumes: template.volumes,
              containers: [
                {
                  name: 'swap',
                  image: main.image,
                  command: swap.command,
                  envFrom: [{ secretRef: { name: swapOf(service) } }],
                  volumeMounts: main.volumeMounts,
                  securityContext: main.securityContext,
                },
              ],
            },
          },
        })
        .catch((err: unknown) => {
          throw failed(`The pod that puts the data in place cannot be made`, err);
        });
      failure = await this.waitSwapped(service);
    } finally {
      await this.removeSwap(service).catch(() => undefined);
      await this.scale(service, 1);
    }
    await this.waitReady(service);
    if (failure) throw failure;
  }

  private async scale(service: string, replicas: number): Promise<void> {
    const namespace = this.namespace;
    await this.kube()
      .apps.replaceNamespacedDeploymentScale({
        name: deploymentOf(service),
        namespace,
        body: { metadata: { name: deploymentOf(service), namespace }, spec: { replicas } },
      })
      .catch((err: unknown) => {
        throw failed(`The service ${service} cannot be scaled to ${replicas}`, err);
      });
  }

  /** Until no pod of the service is left, terminating ones too (they still hold the volume). */
  private async waitNoPods(service: string): Promise<void> {
    const deadline = Date.now() + SERVICE_READY_MS;
    for (;;) {
      const list = await this.kube().core.listNamespacedPod({
        namespace: this.namespace,
        labelSelector: selector(this.options.instance, 'service', { [LABEL_SERVICE]: service }),
      });
      if (list.items.length === 0) return;
      if (Date.now() > deadline)
        throw new TargetError(
          'not_ready',
          `The service ${service} did not stop within ${SERVICE_READY_MS / 1000} s; nothing was changed.`,
        );
      await sleep(K8S_POLL_MS);
    }
  }

  /** The swap pod's outcome: undefined when it succeeded, else the error with its last lines. */
  private async waitSwapped(service: string): Promise<TargetError | undefined> {
    const deadline = Date.now() + SERVICE_READY_MS;
    let stuckSince: number | undefined;
    for (;;) {
      const pod = await this.kube().core.readNamespacedPod({
        name: swapOf(service),
        namespace: this.namespace,
      });
      const state = pod.status?.containerStatuses?.[0]?.state;
      if (pod.status?.phase === 'Succeeded') return undefined;
      if (pod.status?.phase === 'Failed')
        return new TargetError(
          'invalid',
          `putting the data in place failed (exit code ${state?.terminated?.exitCode ?? 'unknown'})`,
          await this.lastLogs(pod, 'swap'),
        );
      const waiting = state?.waiting;
      if (waiting?.reason && STUCK.has(waiting.reason)) {
        stuckSince ??= Date.now();
        if (Date.now() - stuckSince > K8S_PULL_FAILURE_MS)
          return new TargetError('not_ready', `putting the data in place could not start: ${waiting.reason}`);
      } else stuckSince = undefined;
      if (Date.now() > deadline)
        return new TargetError(
          'not_ready',
          `putting the data in place did not finish within ${SERVICE_READY_MS / 1000} s`,
          await this.lastLogs(pod, 'swap'),
        );
      await sleep(K8S_POLL_MS);
    }
  }

  private async removeSwap(service: string): Promise<void> {
    const namespace = this.namespace;
    const kube = this.kube();
    await orMissing(
      kube.core.deleteNamespacedPod({ name: swapOf(service), namespace, gracePeriodSeconds: 0 }),
    );
    await orMissing(kube.core.deleteNamespacedSecret({ name: swapOf(service), namespace }));
    // The next swap makes a pod of the same name: this one must be gone first.
    const deadline = Date.now() + SERVICE_READY_MS;
    while (await orMissing(kube.core.readNamespacedPod({ name: swapOf(service), namespace }))) {
      if (Date.now() > deadline) break;
      await sleep(K8S_POLL_MS);
    }
  }

  private async pods(service: string): Promise<k8s.V1Pod[]> {
    const list = await this.kube().core.listNamespacedPod({
      namespace: this.namespace,
      labelSelector: selector(this.options.instance, 'service', { [LABEL_SERVICE]: service }),
    });
    return list.items.filter((p) => !p.metadata?.deletionTimestamp);
  }

  /**
   * Until a pod of the service (not one of `gone`) is ready; a container stuck in a state that
   * waiting does not mend for K8S_PULL_FAILURE_MS fails it with the reason and its last log lines.
   */
  private async waitReady(service: string, gone = new Set<string | undefined>()): Promise<void> {
    const deadline = Date.now() + SERVICE_READY_MS;
    let stuckSince: number | undefined;
    for (;;) {
      const pods = (await this.pods(service)).filter((p) => !gone.has(p.metadata?.uid));
      if (pods.some(ready)) return;
      const waiting = pods
        .flatMap((p) => p.status?.containerStatuses ?? [])
        .map((c) => c.state?.waiting)
        .find((w) => w?.reason && STUCK.has(w.reason));
      if (waiting) {
        stuckSince ??= Date.now();
        if (Date.now() - stuckSince > K8S_PULL_FAILURE_MS)
          throw new TargetError(
            waiting.reason === 'CrashLoopBackOff' ? 'crashed' : 'not_ready',
            `The service ${service} cannot start: ${waiting.reason}${waiting.message ? ` (${waiting.message.split('\n')[0]})` : ''}.`,
            await this.lastLogs(pods[0]!),
          );
      } else stuckSince = undefined;
      if (Date.now() > deadline)
        throw new TargetError(
          'not_ready',
          `The service ${service} did not accept connections within ${SERVICE_READY_MS / 1000} s.`,
          pods[0] ? await this.lastLogs(pods[0]) : [],
        );
      await sleep(K8S_POLL_MS);
    }
  }

  private async lastLogs(pod: k8s.V1Pod, container = 'service'): Promise<string[]> {
    try {
      const text = await this.kube().core.readNamespacedPodLog({
        name: pod.metadata!.name!,
        namespace: this.namespace,
        container,
        tailLines: SERVICE_FAILURE_LOG_LINES,
      });
      return String(text)
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(-SERVICE_FAILURE_LOG_LINES);
    } catch {
      return [];
    }
  }

  private async ensureNamespace(): Promise<void> {
    const kube = this.kube();
    const name = this.namespace;
    const ns = await orMissing(kube.core.readNamespace({ name }));
    if (ns && ns.metadata?.labels?.[LABEL_INSTANCE] !== this.options.instance)
      throw new TargetError(
        'setup',
        `The cluster already has a namespace named ${name} that is not this Deis Desktop's; remove it first.`,
      );
    if (!ns)
      await kube.core
        .createNamespace({
          body: { metadata: { name, labels: ownLabels(this.options.instance, 'service') } },
        })
        .catch((err: unknown) => {
          if (apiStatus(err) !== 409) throw failed(`The namespace ${name} cannot be made`, err);
        });
    await this.apply(
      registrySecret(name, ownLabels(this.options.instance, 'service'), this.options.registry),
    );
  }

  private secretManifest(spec: ServiceSpec): k8s.V1Secret {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretOf(spec.name), namespace: this.namespace, labels: this.labels(spec.name) },
      stringData: { ...spec.env, ...spec.readiness.env },
    };
  }

  private claimManifest(service: string): k8s.V1PersistentVolumeClaim {
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: claimOf(service), namespace: this.namespace, labels: this.labels(service) },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: SERVICE_VOLUME_SIZE } },
        ...(this.options.storageClass ? { storageClassName: this.options.storageClass } : {}),
      },
    };
  }

  /**
   * One replica, recreated; the data on the claim's `data` folder (a fresh volume may hold
   * `lost+found`, which a database refuses to start in). An image that runs as a named user gets
   * that folder handed to the user first, by the same image as root, since a new volume is root's.
   */
  private deploymentManifest(spec: ServiceSpec, image: string, user: string): k8s.V1Deployment {
    const labels = this.labels(spec.name);
    const nonRoot = user !== '' && user !== 'root' && user !== '0' && !user.startsWith('0:');
    const mounts = spec.dataPath ? [{ name: 'data', mountPath: spec.dataPath, subPath: 'data' }] : [];
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: deploymentOf(spec.name), namespace: this.namespace, labels },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            imagePullSecrets: [{ name: PULL_SECRET }],
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            initContainers:
              spec.dataPath && nonRoot
                ? [
                    {
                      name: 'data-owner',
                      image,
                      command: ['chown', user.split(':')[0]!, spec.dataPath],
                      securityContext: { runAsUser: 0 },
                      volumeMounts: mounts,
                    },
                  ]
                : undefined,
            containers: [
              {
                name: 'service',
                image,
                ...(spec.command ? { args: spec.command } : {}),
                envFrom: [{ secretRef: { name: secretOf(spec.name) } }],
                ports: spec.port ? [{ containerPort: spec.port }] : undefined,
                readinessProbe: {
                  exec: { command: spec.readiness.command },
                  periodSeconds: 2,
                  timeoutSeconds: 5,
                },
                volumeMounts: mounts,
              },
            ],
            volumes: spec.dataPath
              ? [{ name: 'data', persistentVolumeClaim: { claimName: claimOf(spec.name) } }]
              : undefined,
          },
        },
      },
    };
  }

  private serviceManifest(spec: ServiceSpec): k8s.V1Service {
    const labels = this.labels(spec.name);
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: deploymentOf(spec.name), namespace: this.namespace, labels },
      spec: {
        selector: labels,
        ports: spec.port ? [{ port: spec.port, targetPort: spec.port, protocol: 'TCP' }] : [],
      },
    };
  }

  /** Creates the object, or keeps the one there (a core that stopped while provisioning made it). */
  private async apply(
    body: k8s.V1Secret | k8s.V1PersistentVolumeClaim | k8s.V1Deployment | k8s.V1Service,
  ): Promise<void> {
    const kube = this.kube();
    const namespace = body.metadata!.namespace!;
    try {
      switch (body.kind) {
        case 'Secret':
          await kube.core.createNamespacedSecret({ namespace, body: body as k8s.V1Secret });
          break;
        case 'PersistentVolumeClaim':
          await kube.core.createNamespacedPersistentVolumeClaim({
            namespace,
            body: body as k8s.V1PersistentVolumeClaim,
          });
          break;
        case 'Deployment':
          await kube.apps.createNamespacedDeployment({ namespace, body: body as k8s.V1Deployment });
          break;
        default:
          await kube.core.createNamespacedService({ namespace, body: body as k8s.V1Service });
      }
    } catch (err) {
      if (apiStatus(err) !== 409) throw failed(`The ${body.kind} ${body.metadata!.name} cannot be made`, err);
    }
  }
}

const ready = (p: k8s.V1Pod) =>
  !p.metadata?.deletionTimestamp &&
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

const failed = (what: string, err: unknown) => new TargetError('setup', `${what}: ${apiReason(err)}`);
