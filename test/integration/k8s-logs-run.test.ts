/**
 * Logs and one-off commands on the Kubernetes target, on the real test cluster: an app's pods (a
 * Deployment labelled as the target labels them, an image pushed to the cluster's registry) are
 * followed into the same log store the Docker target keeps — lines in Deis's format with each pod's
 * process name, `logs -f`, lines that outlive their pod, and a restarted core that neither loses nor
 * doubles a line; `run` answers output and exit code as on Docker (a last line without a newline,
 * streamed in order), fails with a sentence on a bad image, and leaves no pod behind, also when the
 * client leaves or the time runs out.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../cluster/docker/engine';
import { connectKube, type Kube } from '../../cluster/kubernetes/client';
import { KubeLogs } from '../../cluster/kubernetes/logs';
import {
  HERITAGE,
  LABEL_APP,
  LABEL_HERITAGE,
  LABEL_TYPE,
  LABEL_VERSION,
  PULL_SECRET,
  deploymentName,
  ownLabels,
  selector,
} from '../../cluster/kubernetes/names';
import { pushImage, registryServer, repositoryFor } from '../../cluster/kubernetes/push';
import { removeRunPods, runPod } from '../../cluster/kubernetes/run';
import { TargetError, type ReleaseSpec } from '../../cluster/target';
import { MAX_RUN_OUTPUT_CHARS } from '../../main/contract/limits';
import { parseLogLine } from '../../main/contract/log-lines';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests } from '../support/k8s';
import { eventually } from '../support/k8s/eventually';

const log = (line: string) => console.log(`k8s-logs-run: ${line}`);
const cluster = await clusterForTests('k8s-logs-run', { registry: true });

const suffix = `${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
const APP = `klr-${suffix}`;
const INSTANCE = `dd-test-k8slogs-${suffix}`;
const LOCAL_IMAGE = `deis-test/k8s-ticker:${suffix}`;

/** The ticks of each pod in the order they are in the log: `pod name → numbers`. */
function ticks(lines: string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of lines) {
    const m = /^\S+ \S+\[web\.v3\.([a-z0-9]+)\]: tick (\d+) (\S+)$/.exec(line);
    if (!m) continue;
    const list = out.get(m[3]!) ?? [];
    list.push(Number(m[2]));
    out.set(m[3]!, list);
  }
  return out;
}

/** 1, 2, … n with none missing and none twice. */
function whole(numbers: number[]): boolean {
  return numbers.every((n, i) => n === i + 1);
}

describe.skipIf(!cluster)('logs and run on the Kubernetes target', () => {
  let kube: Kube;
  let image: string;
  let home: string;
  let release: ReleaseSpec;

  const runningPods = async () =>
    (
      await kube.core.listNamespacedPod({
        namespace: APP,
        labelSelector: selector(INSTANCE, 'process', { [LABEL_APP]: APP, [LABEL_TYPE]: 'web' }),
      })
    ).items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);

  beforeAll(async () => {
    const registry = cluster!.registry!;
    kube = await connectKube({ kubeconfig: cluster!.kubeconfig });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-k8s-logs-'));
    await ensureBaseImage();
    execFileSync(
      'docker',
      [
        'build',
        '-q',
        '--build-arg',
        `BASE=${BASE_IMAGE}`,
        '-t',
        LOCAL_IMAGE,
        path.resolve('test/fixtures/apps/k8s-ticker'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const target = { address: registry.address, username: registry.username, password: registry.password };
    image = await pushImage(dockerEngine(), LOCAL_IMAGE, target, repositoryFor(target, APP), 'v3');

    await kube.core.createNamespace({
      body: { metadata: { name: APP, labels: ownLabels(INSTANCE, 'app') } },
    });
    const server = registryServer(target);
    const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
    await kube.core.createNamespacedSecret({
      namespace: APP,
      body: {
        metadata: { name: PULL_SECRET },
        type: 'kubernetes.io/dockerconfigjson',
        data: {
          '.dockerconfigjson': Buffer.from(
            JSON.stringify({
              auths: { [server]: { username: registry.username, password: registry.password, auth } },
            }),
          ).toString('base64'),
        },
      },
    });
    const labels = {
      ...ownLabels(INSTANCE, 'process'),
      [LABEL_APP]: APP,
      [LABEL_TYPE]: 'web',
      [LABEL_VERSION]: 'v3',
      [LABEL_HERITAGE]: HERITAGE,
    };
    await kube.apps.createNamespacedDeployment({
      namespace: APP,
      body: {
        metadata: { name: deploymentName(APP, 'web'), labels },
        spec: {
          replicas: 2,
          selector: { matchLabels: { [LABEL_APP]: APP, [LABEL_TYPE]: 'web' } },
          template: {
            metadata: { labels },
            spec: {
              imagePullSecrets: [{ name: PULL_SECRET }],
              terminationGracePeriodSeconds: 1,
              containers: [{ name: `${APP}-web`, image }],
            },
          },
        },
      },
    });
    // A process that crashes on boot, again and again: each attempt says something else.
    const worker = { ...labels, [LABEL_TYPE]: 'worker' };
    await kube.apps.createNamespacedDeployment({
      namespace: APP,
      body: {
        metadata: { name: deploymentName(APP, 'worker'), labels: worker },
        spec: {
          replicas: 1,
          selector: { matchLabels: { [LABEL_APP]: APP, [LABEL_TYPE]: 'worker' } },
          template: {
            metadata: { labels: worker },
            spec: {
              imagePullSecrets: [{ name: PULL_SECRET }],
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: `${APP}-worker`,
                  image,
                  command: ['bash', '-c', 'echo "boot $RANDOM$RANDOM"; exit 1'],
                },
              ],
            },
          },
        },
      },
    });
    await eventually('two running pods', async () => ((await runningPods()).length === 2 ? true : undefined));
    release = {
      app: APP,
      version: 3,
      image,
      procfile: {},
      dockerfile: true,
      sha: '',
      summary: 'test release',
      created: new Date().toISOString(),
      values: { FOO: 'a b' },
      memory: {},
      cpu: {},
      healthcheck: {},
    };
  }, 600_000);

  afterAll(async () => {
    await kube?.core.deleteNamespace({ name: APP }).catch(() => undefined);
    try {
      execFileSync('docker', ['rmi', LOCAL_IMAGE], { stdio: 'ignore' });
    } catch {
      /* not built */
    }
    if (home) fs.rmSync(home, { recursive: true, force: true });
    await cluster?.release();
  }, 180_000);

  describe('logs', () => {
    it('stores every pod’s lines in Deis’s format with its process name, once and in order, across a restart of the follower and the pod’s deletion', async () => {
      const store = KubeLogs.storeIn(home);
      const first = new KubeLogs({ kube, instance: INSTANCE, store });
      first.watch(APP);
      const pods = await runningPods();
      const names = pods.map((p) => p.metadata!.name!).sort();

      // Deis's format: `<time> <app>[web.v3.<end of the pod's name>]: <text>`, for both pods.
      const lines = await eventually('lines of both pods', async () => {
        const got = await first.logs(APP, { lines: 1000 });
        const seen = ticks(got);
        return names.every((n) => (seen.get(n)?.length ?? 0) >= 5) ? got : undefined;
      });
      for (const name of names) {
        const line = lines.find((l) => l.endsWith(` ${name}`))!;
        expect(line).toMatch(
          new RegExp(
            `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+00:00 ${APP}\\[web\\.v3\\.${name.slice(name.lastIndexOf('-') + 1)}\\]: tick \\d+ ${name}$`,
          ),
        );
        expect(parseLogLine(line)).toMatchObject({ source: APP, type: 'web' });
      }

      // `logs -f`: a new line comes.
      const abort = new AbortController();
      const iterator = first.followLogs(APP, abort.signal)[Symbol.asyncIterator]();
      const next = await iterator.next();
      abort.abort();
      expect(next.value).toMatch(new RegExp(`^\\S+ ${APP}\\[web\\.v3\\.[a-z0-9]+\\]: tick \\d+ `));

      // The controller's events go into the same log.
      first.note(APP, 'scaled web=2');
      expect(
        (await first.logs(APP, { lines: 5 })).some((l) => /deis\[controller\]: INFO scaled web=2$/.test(l)),
      ).toBe(true);

      // A core that stops and starts again (a new follower on the same DEIS_HOME) carries on where
      // the first one stopped, while the pods keep writing.
      await first.close();
      const atClose = ticks(await store.tail(APP, 1000));
      await new Promise((r) => setTimeout(r, 2000));
      const second = new KubeLogs({ kube, instance: INSTANCE, store: KubeLogs.storeIn(home) });
      second.watch(APP);
      await eventually('lines written after the restart', async () => {
        const seen = ticks(await second.logs(APP, { lines: 5000 }));
        return names.every((n) => (seen.get(n)?.at(-1) ?? 0) > (atClose.get(n)?.at(-1) ?? 0) + 15)
          ? true
          : undefined;
      });
      for (const name of names) {
        const numbers = ticks(await second.logs(APP, { lines: 5000 })).get(name)!;
        expect(whole(numbers), `${name}: ${numbers.join(' ')}`).toBe(true);
      }

      // The pod is deleted: its lines stay, all of them; its replacement is followed too.
      const gone = names[0]!;
      await kube.core.deleteNamespacedPod({ namespace: APP, name: gone });
      await eventually('the pod to be gone', async () => {
        try {
          await kube.core.readNamespacedPod({ namespace: APP, name: gone });
          return undefined;
        } catch {
          return true;
        }
      });
      const replacement = await eventually('the replacement pod logging', async () => {
        const fresh = (await runningPods()).map((p) => p.metadata!.name!).find((n) => !names.includes(n));
        if (!fresh) return undefined;
        return (ticks(await second.logs(APP, { lines: 5000 })).get(fresh)?.length ?? 0) >= 3
          ? fresh
          : undefined;
      });
      const after = ticks(await second.logs(APP, { lines: 5000 }));
      expect(whole(after.get(gone)!), after.get(gone)!.join(' ')).toBe(true);
      expect(after.get(gone)!.length).toBeGreaterThan(atClose.get(gone)!.length);
      expect(whole(after.get(replacement)!)).toBe(true);
      await second.close();
      // Lines outlive the follower as well: a fresh one serves them from the store.
      const third = new KubeLogs({ kube, instance: INSTANCE, store: KubeLogs.storeIn(home) });
      expect(ticks(await third.logs(APP, { lines: 5000 })).get(gone)).toEqual(after.get(gone));
      await third.close();
    }, 300_000);

    it('keeps what a process crashing on boot said, each time it started', async () => {
      const own = fs.mkdtempSync(path.join(home, 'crash-'));
      const logs = new KubeLogs({ kube, instance: INSTANCE, store: KubeLogs.storeIn(own) });
      logs.watch(APP);
      try {
        const boots = await eventually('two boots of the worker', async () => {
          const found = (await logs.logs(APP, { lines: 5000 })).filter((l) =>
            new RegExp(`^\\S+ ${APP}\\[worker\\.v3\\.[a-z0-9]+\\]: boot \\d+$`).test(l),
          );
          return found.length >= 2 ? found : undefined;
        });
        expect(new Set(boots.map((l) => l.split(': ')[1])).size).toBe(boots.length);
      } finally {
        await logs.close();
      }
    }, 180_000);
  });

  describe('run', () => {
    const options = () => ({ kube, instance: INSTANCE });
    const runPods = async () =>
      (
        await kube.core.listNamespacedPod({ namespace: APP, labelSelector: selector(INSTANCE, 'run') })
      ).items.map((p) => p.metadata!.name!);

    it('returns the output and the exit code, zero or not, with the release’s environment', async () => {
      const started = Date.now();
      const ok = await runPod(
        options(),
        release,
        'echo "out $DEIS_APP $WORKFLOW_RELEASE"; echo err >&2; printf %q "$FOO"',
      );
      log(
        `a run took ${Date.now() - started} ms from create to the pod's deletion; it said ${JSON.stringify(ok.output)}`,
      );
      expect(ok.exitCode).toBe(0);
      // stdout and stderr are two pipes: the pod's log keeps the order within each, not between them
      // (CI once had `err` after the last stdout piece).
      expect(ok.output).toContain('err\n');
      expect(ok.output.replace('err\n', '')).toBe(`out ${APP} v3\na\\ b`);
      const failed = await runPod(options(), release, 'echo about to fail; exit 3');
      expect(failed).toEqual({ exitCode: 3, output: 'about to fail\n' });
    }, 120_000);

    it('keeps a last line without a newline, every time', async () => {
      const lost: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await runPod(options(), release, `printf '|%s' ${i}`);
        if (r.output !== `|${i}` || r.exitCode !== 0) lost.push(i);
      }
      expect(lost).toEqual([]);
    }, 180_000);

    it('streams the output in order while the command runs', async () => {
      let finished = false;
      const pieces: string[] = [];
      let seenBeforeEnd = '';
      const result = runPod(
        options(),
        release,
        'for i in 1 2 3; do echo "line $i"; sleep 1; done; printf end',
        {
          output: async (text) => {
            pieces.push(text);
            if (!finished) seenBeforeEnd += text;
          },
        },
      );
      const r = await result.finally(() => (finished = true));
      expect(pieces.join('')).toBe('line 1\nline 2\nline 3\nend');
      expect(r.output).toBe('line 1\nline 2\nline 3\nend');
      // Streamed: the first lines reached the receiver in pieces of their own before the command ended.
      expect(pieces.length).toBeGreaterThan(1);
      expect(seenBeforeEnd.startsWith('line 1\n')).toBe(true);
    }, 120_000);

    it('streams a long output whole, and answers its end', async () => {
      // 1.6 MB of output, 3.4 MB of log with kubelet's timestamps: below its rotation size (10 MiB).
      const expected = Array.from({ length: 40_000 }, (_, i) => `${String(i + 1).padStart(40, '0')}\n`).join(
        '',
      );
      const pieces: string[] = [];
      const r = await runPod(options(), release, "seq -f '%040g' 1 40000", {
        output: (t) => void pieces.push(t),
      });
      expect(r.exitCode).toBe(0);
      expect(pieces.join('') === expected).toBe(true);
      expect(r.output).toMatch(
        /^\[\d+ earlier characters of output were dropped; only the last 1048576 are kept here\]\n/,
      );
      expect(r.output.endsWith(expected.slice(-MAX_RUN_OUTPUT_CHARS))).toBe(true);
    }, 120_000);

    it('deletes the pod when the client leaves, and answers 137', async () => {
      const abort = new AbortController();
      let pod: string | undefined;
      const r = await runPod(options(), release, 'echo started; sleep 300', {
        signal: abort.signal,
        output: async (text) => {
          if (text.includes('started')) {
            pod = (await runPods())[0];
            abort.abort();
          }
        },
      });
      expect(pod).toMatch(new RegExp(`^${APP}-run-[a-z0-9]{5}$`));
      expect(r.exitCode).toBe(137);
      expect(await runPods()).toEqual([]);
    }, 120_000);

    it('deletes the pod when the time runs out', async () => {
      const r = await runPod({ ...options(), timeoutMs: 4000 }, release, 'echo started; sleep 300');
      expect(r).toEqual({ exitCode: 137, output: 'started\n' });
      expect(await runPods()).toEqual([]);
    }, 120_000);

    it('fails with a sentence when the image cannot be pulled, and leaves no pod', async () => {
      const bad = `${repositoryFor({ address: cluster!.registry!.address }, APP)}@sha256:${'0'.repeat(64)}`;
      const err = await runPod({ ...options(), image: bad }, release, 'true').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TargetError);
      expect((err as TargetError).code).toBe('image_missing');
      expect((err as TargetError).message).toMatch(
        /^The command could not start: the cluster cannot pull its image \((ErrImagePull|ImagePullBackOff)/,
      );
      expect(await runPods()).toEqual([]);
    }, 180_000);

    it('leaves no run pod behind, and removes those a killed core left', async () => {
      expect(await runPods()).toEqual([]);
      // A core killed during a run leaves its pod: the next start removes it.
      const left = `${APP}-run-zzzzz`;
      await kube.core.createNamespacedPod({
        namespace: APP,
        body: {
          metadata: { name: left, labels: { ...ownLabels(INSTANCE, 'run'), [LABEL_APP]: APP } },
          spec: {
            restartPolicy: 'Never',
            imagePullSecrets: [{ name: PULL_SECRET }],
            containers: [{ name: 'run', image, command: ['sleep', '300'] }],
          },
        },
      });
      expect(await runPods()).toEqual([left]);
      expect(await removeRunPods(kube, INSTANCE, APP)).toBe(1);
      expect(await runPods()).toEqual([]);
    }, 60_000);
  });
});
