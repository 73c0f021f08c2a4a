/**
 * One semantics for every target, as a user sees it: the same app, pushed to a core on the local
 * Docker engine and to a core on the real test cluster, and the same `deis` commands run against
 * both (ps, scale, logs, run, info, releases, rollback) print the same thing once the parts that
 * differ by nature are blanked: the random part of process names, times and durations, uuids,
 * the router's port and the core's URL. The CLI is the real one (resources/bin/deis), run as a user
 * runs it, each user with its own HOME; each command is run right after the one before returned,
 * so a target that returns before its work is done shows up as a difference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppMetrics } from '../../main/contract/metrics';
import type { KubernetesSettings } from '../../main/settings';
import { CliUser, type CliResult } from '../support/cli';
import { consoleExec, consoleRequest, countSleeping, readUntil } from '../support/console';
import { Api, startTestCore, type TestCore } from '../support/core';
import { repoFromFolder } from '../support/git';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests } from '../support/k8s';
import { appFolder } from '../support/k8s/app';
import { eventually } from '../support/k8s/eventually';
import { kubectlFor } from '../support/k8s/kubectl';
import { Pusher } from '../support/push';
import { removeAppImages, removeInstance, viaRouter } from '../support/run-stage';

const log = (line: string) => console.log(`k8s-cli: ${line}`);
const cluster = await clusterForTests('k8s-cli', { registry: true, hostRouted: true, kubectl: true });

/** The same name on both targets, so the outputs compare line for line. */
const APP = `kcli-${process.pid}`;

/** One side of the comparison: a core on one target, its user, and that user's `deis`. */
interface Side {
  name: 'docker' | 'kubernetes';
  core: TestCore;
  user: CliUser;
  pusher: Pusher;
  /** The owner's API token (the console has no CLI command). */
  token?: string;
}

/** Blanks what differs by nature between two cores and two targets, nothing else. */
function normalize(side: Side, text: string): string {
  return (
    text
      .replaceAll(side.core.url, '<core>')
      // The router's port: Docker's on this machine's loopback, the cluster router's NodePort.
      .replace(/\.localhost:\d+/g, '.localhost:<router>')
      .replace(/^(uuid:\s+)[0-9a-f-]{36}$/gm, '$1<uuid>')
      // Process names: `<app>-<type>-<10 chars of the release>-<5 chars>` on both targets.
      .replace(new RegExp(`${APP}-(\\w+)-[a-z0-9]{8,10}-[a-z0-9]{5}\\b`, 'g'), `${APP}-$1-<id>`)
      // The short process id in log lines: `app[cmd.v2.<id>]`.
      .replace(/\[(\w+)\.v(\d+)\.[a-z0-9-]+\]/g, '[$1.v$2.<id>]')
      // How long a command took (`done in 2s`) depends on the machine, not on the output's form.
      .replace(/\bdone in \d+s\b/g, 'done in <n>s')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?/g, '<time>')
  );
}

describe.skipIf(!cluster)('our deis CLI on the Kubernetes target prints what it prints on Docker', () => {
  const sides: Side[] = [];
  const instance = `dd-kcli-${process.pid}`;

  async function deis(side: Side, ...args: string[]): Promise<CliResult> {
    const r = await side.user.run([args[0]!, '-a', APP, ...args.slice(1)]);
    return { ...r, stdout: normalize(side, r.stdout), stderr: normalize(side, r.stderr) };
  }

  /** The same command on both sides: both results, Docker's first. */
  async function both(...args: string[]): Promise<[CliResult, CliResult]> {
    const [d, k] = [await deis(sides[0]!, ...args), await deis(sides[1]!, ...args)];
    return [d, k];
  }

  beforeAll(async () => {
    await ensureBaseImage();
    const settings: KubernetesSettings = {
      kube: { kubeconfig: cluster!.kubeconfig },
      registry: { ...cluster!.registry! },
    };
    const work = repoFromFolder(appFolder()).dir;
    for (const name of ['docker', 'kubernetes'] as const) {
      const core = await startTestCore({
        target: name,
        kubernetes: name === 'kubernetes' ? settings : undefined,
        instance: `${instance}-${name.slice(0, 1)}`,
        routerBase: BASE_IMAGE,
        log: (line) => log(`${name}: ${line}`),
      });
      const user = new CliUser();
      const side: Side = { name, core, user, pusher: new Pusher(core.core.builderPort, `kcli-${name}`) };
      sides.push(side);
      const reg = await user.run([
        'register',
        core.url,
        '--username=owner',
        '--password=pw-owner',
        '--email=owner@example.com',
      ]);
      expect(reg.code, reg.stderr).toBe(0);
      const api = await new Api(core.url).as(undefined).post('/v2/auth/login/', {
        username: 'owner',
        password: 'pw-owner',
      });
      side.token = (api.body as { token: string }).token;
      await side.pusher.addKeyTo(new Api(core.url, side.token));
      const created = await user.run(['create', APP, '--no-remote']);
      expect(created.code, created.stderr).toBe(0);
      const grace = await user.run([
        'config:set',
        'KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS=3',
        '-a',
        APP,
      ]);
      expect(grace.code, grace.stderr).toBe(0);
      const pushed = await side.pusher.push(work, APP);
      expect(pushed.code, pushed.output).toBe(0);
    }
  }, 900_000);

  afterAll(async () => {
    for (const side of sides) {
      await side.core.stop();
      side.pusher.remove();
      side.user.remove();
    }
    // The Docker core's router and processes outlive a core's stop, as they should: remove them.
    await removeInstance(`${instance}-d`);
    await removeAppImages([APP]);
    if (cluster) {
      const kubectl = kubectlFor(cluster.kubeconfig);
      await kubectl(['delete', 'namespace', APP, '--ignore-not-found', '--wait=false']).catch(() => '');
      await kubectl([
        'delete',
        'namespace',
        '-l',
        `deis-desktop/instance=${instance}-k`,
        '--wait=false',
      ]).catch(() => '');
    }
    await cluster?.release();
  });

  it('ps, scale up and down, and ps again', async () => {
    const [d, k] = await both('ps');
    expect(k).toEqual(d);
    expect(d.stdout).toContain(`${APP}-cmd-<id> up (v3)`);
    const [du, ku] = await both('scale', 'cmd=3');
    expect(ku).toEqual(du);
    const [dp, kp] = await both('ps');
    expect(kp).toEqual(dp);
    expect(dp.stdout.match(/-cmd-<id> up \(v3\)/g)).toHaveLength(3);
    const [dd, kd] = await both('scale', 'cmd=1');
    expect(kd).toEqual(dd);
    const [dp1, kp1] = await both('ps');
    expect(kp1).toEqual(dp1);
  }, 600_000);

  it('info and releases', async () => {
    const [d, k] = await both('info');
    expect(k).toEqual(d);
    const [dr, kr] = await both('releases');
    expect(kr).toEqual(dr);
    expect(dr.stdout).toContain('v3');
  }, 120_000);

  it('run: the output and the exit code', async () => {
    // Standard output and error come through two pipes on both targets: their order between
    // each other is the engine's, not ours, so those lines compare as sets.
    const sorted = (r: CliResult) => ({ ...r, stdout: r.stdout.split('\n').sort().join('\n') });
    const [d, k] = await both('run', 'echo out; echo err >&2; exit 3');
    expect(sorted(k)).toEqual(sorted(d));
    expect(d.code).toBe(3);
    const [dl, kl] = await both('run', 'seq 1 5');
    expect(kl).toEqual(dl);
    expect(dl.stdout).toContain('1\n2\n3\n4\n5');
  }, 300_000);

  it('console: a command in a live process, its output and exit code, and stopped when its client leaves', async () => {
    const up = async (side: Side) => {
      const pods = (await new Api(side.core.url, side.token).get(`/v2/apps/${APP}/pods/`)).body as {
        results: { name: string; state: string }[];
      };
      return pods.results.find((p) => p.state === 'up')!.name;
    };
    const answers = [];
    for (const side of sides) {
      const pod = await up(side);
      const exec = (command: string) => consoleExec(side.core.url, side.token, APP, pod, command);
      const a = await exec(
        'echo out; echo err >&2; echo "grace $KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS" >&2; exit 3',
      );
      expect(a.status, `${side.name}: ${a.text}`).toBe(200);
      answers.push({ ...a, text: '', output: a.output.split('\n').sort().join('\n') });

      const abort = new AbortController();
      const res = await consoleRequest(
        side.core.url,
        side.token,
        APP,
        pod,
        'echo started; sleep 271',
        abort.signal,
      );
      await readUntil(res, 'started');
      expect((await exec(countSleeping(271))).output.trim(), side.name).toBe('1');
      abort.abort();
      await eventually(`${side.name}: the console's sleep killed`, async () =>
        (await exec(countSleeping(271))).output.trim() === '0' ? true : undefined,
      );
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]!.exit).toBe(3);
    expect(answers[0]!.output).toContain('out');
    expect(answers[0]!.output).toContain('grace 3');
    expect(answers[0]!.output).not.toContain('@deis-console-pid');
  }, 300_000);

  it('metrics: requests through the router and the process’s memory, on both targets', async () => {
    for (const side of sides) {
      const target = side.core.core.target;
      const port = target.routerUrl ? Number(new URL(target.routerUrl).port) : target.routerPort;
      for (let i = 0; i < 20; i++)
        expect((await viaRouter(port, `${APP}.localhost`)).status, side.name).toBe(200);
    }
    // This test cluster's kubelet lists no pods in its summary (its cAdvisor does not see the
    // private containerd's containers), so processes' figures are asked of Kubernetes only where it has them.
    const summary = JSON.parse(
      await kubectlFor(cluster!.kubeconfig)(['get', '--raw', '/api/v1/nodes/127.0.0.1/proxy/stats/summary']),
    ) as { pods?: unknown[] };
    const kubeletCounts = (summary.pods ?? []).length > 0;
    if (!kubeletCounts) log('the kubelet summary lists no pods: process figures checked on Docker only');
    for (const side of sides) {
      await eventually(
        `${side.name}: 20 answers and the process's memory in deis metrics`,
        async () => {
          const r = await side.user.run(['metrics', '-a', APP, '--json']);
          if (r.code !== 0) return undefined;
          const m = JSON.parse(r.stdout) as AppMetrics;
          const answered = m.recent.reduce((n, p) => n + p.requests['2xx'], 0);
          const proc = m.current.processes.find((p) => p.type === 'cmd');
          const measured = side.name === 'docker' || kubeletCounts ? !!proc && proc.memory_bytes > 0 : true;
          return m.collected && answered >= 20 && measured ? true : undefined;
        },
        60_000,
      );
    }
  }, 180_000);

  it('logs: the app lines of the serving process', async () => {
    // Logs arrive through each target's follower: wait for the start line on both, then compare.
    const lines = async (side: Side) => {
      const r = await deis(side, 'logs');
      return r.stdout
        .split('\n')
        .filter((l) => l.includes(`${APP}[`))
        .join('\n');
    };
    const wanted = `<time> ${APP}[cmd.v3.<id>]: listening on 5000`;
    const seen = { docker: '', kubernetes: '' };
    const startLine = (side: Side) => async () => {
      seen[side.name] = await lines(side);
      return seen[side.name].includes(wanted) ? seen[side.name] : undefined;
    };
    const d = await eventually('the start line in the Docker logs', startLine(sides[0]!)).catch(
      (err: Error) => {
        throw new Error(`${err.message}; deis logs printed:\n${seen.docker}`);
      },
    );
    const k = await eventually('the start line in the Kubernetes logs', startLine(sides[1]!)).catch(
      (err: Error) => {
        throw new Error(`${err.message}; deis logs printed:\n${seen.kubernetes}`);
      },
    );
    expect(k).toEqual(d);
  }, 180_000);

  it('rollback, then ps and releases', async () => {
    const [dc, kc] = await both('config:set', 'GREETING=hi');
    expect(kc).toEqual(dc);
    expect(dc.code, dc.stderr).toBe(0);
    const [d, k] = await both('rollback', 'v3');
    expect(k).toEqual(d);
    expect(d.code, d.stderr).toBe(0);
    const [dp, kp] = await both('ps');
    expect(kp).toEqual(dp);
    expect(dp.stdout).toContain('up (v5)');
    const [dr, kr] = await both('releases');
    expect(kr).toEqual(dr);
  }, 600_000);
});
