/**
 * `npm run bench`: the run stage's figures, measured side by side in one run (not a test): deploy
 * latency against plain docker build + run, failed requests under steady load through deploys,
 * config changes, scaling and rollbacks, and the router against direct access and plain nginx.
 */
import { Api } from '../test/support/core';
import { ensureBaseImage, ensureStackImage } from '../test/support/images';
import {
  docker,
  freePort,
  Load,
  pushBuild,
  buildFixture,
  removeInstance,
  startDockerCore,
} from '../test/support/run-stage';
import { Pusher } from '../test/support/push';
import { benchCli } from './cli';
import { benchFirstPush } from './first-push';
import { benchKubernetes } from './kubernetes';
import { benchMetrics } from './metrics';
import { forgetImages } from './deploy-latency';
import { benchRunLoop } from './run-loop';
import { benchStartup } from './startup';
import { startPlainNginx } from './plain-nginx';
import { ensureWrkImage, wrk } from './wrk';

const INSTANCE = 'dd-bench';
const APP = 'bench-app';
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 10);

const ratio = (a: number, b: number) => (a / b).toFixed(2);
/**
 * BENCH_ONLY=push,config,...: only these sections (startup, cli, metrics, push, config, sample, kubernetes, and load for
 * the steady load and the router's throughput); all when unset. On a busy machine one section, run a
 * few times, says more than one long run.
 */
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const wanted = (section: string): boolean => !ONLY || ONLY.includes(section);

async function main(): Promise<void> {
  const base = await ensureBaseImage();
  await ensureStackImage();
  await ensureWrkImage(base);
  await removeInstance(INSTANCE);
  const t = await startDockerCore(INSTANCE, undefined, await freePort());
  const port = t.core.target.routerPort;
  try {
    const api = await new Api(t.url).register('bench');
    await api.post('/v2/apps/', { id: APP });
    await api.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    });

    if (wanted('startup')) {
      console.log('== start-up (npm run serve → /healthz answers; median of 5) ==');
      const start = await benchStartup(5);
      console.log(
        `core ${start.core.toFixed(0)} ms, bare node http server ${start.baseline.toFixed(0)} ms, ratio ${ratio(start.core, start.baseline)}`,
      );
    }

    if (wanted('cli')) {
      console.log('== the deis CLI (the real binary, from its bundle; median of 15, against node -e 0) ==');
      const cli = await benchCli(t.url, 'bench', 'secret-pw');
      console.log(
        `deis --version ${cli.version.toFixed(0)} ms (peak RSS ${(cli.rssKb / 1024).toFixed(0)} MB), deis apps ${cli.apps.toFixed(0)} ms, node -e 0 ${cli.baseline.toFixed(0)} ms; ratios ${ratio(cli.version, cli.baseline)} and ${ratio(cli.apps, cli.baseline)}`,
      );
    }

    if (wanted('metrics')) {
      console.log(
        '== metrics collection: the core with 20 apps running, collection off against on (off, on, on, off; averaged) ==',
      );
      const m = await benchMetrics(api, t.core);
      const row = (s: { core: number; engine: number; rssMb: number }) =>
        `core ${s.core.toFixed(2)}% of a core, dockerd+containerd ${s.engine.toFixed(2)}%, core RSS ${s.rssMb.toFixed(0)} MB`;
      console.log(`off: ${row(m.off)}`);
      console.log(`on:  ${row(m.on)}`);
      console.log(
        `collection costs the core ${(m.on.core - m.off.core).toFixed(2)} points of a core and the engine ${(m.on.engine - m.off.engine).toFixed(2)}`,
      );
    }

    const pusher = new Pusher(t.core.builderPort, 'bench');
    await pusher.addKeyTo(api);
    await benchRunLoop(api, pusher, port, INSTANCE, wanted);
    if (!wanted('load')) return;

    console.log(
      `== failed requests under steady load through ${ROUNDS} rounds of deploy, config, scale, rollback ==`,
    );
    const built = await buildFixture(APP, 'run-app');
    // The load measures changes to a running app: an app with no release yet would answer 503 until its
    // first deploy (the case when only this section runs).
    const first = await pushBuild(api, APP, built);
    if (first.status >= 300) throw new Error(`first deploy: ${first.status} ${first.text}`);
    const load = new Load(port, `${APP}.localhost`, 4);
    const started = Date.now();
    for (let i = 0; i < ROUNDS; i++) {
      const steps = [
        await pushBuild(api, APP, built),
        await api.post(`/v2/apps/${APP}/config/`, { values: { ROUND: String(i) } }),
        await api.post(`/v2/apps/${APP}/scale/`, { web: i % 2 === 0 ? 2 : 1 }),
        await api.post(`/v2/apps/${APP}/releases/rollback/`, {}),
      ];
      for (const s of steps) if (s.status >= 300) throw new Error(`round ${i}: ${s.status} ${s.text}`);
    }
    await load.stop();
    const opsSeconds = (Date.now() - started) / 1000;
    console.log(
      `${ROUNDS * 4} changes in ${opsSeconds.toFixed(1)} s (${((opsSeconds * 1000) / (ROUNDS * 4)).toFixed(0)} ms each): ${load.ok + load.failedCount} requests, ${load.failedCount} failed`,
    );

    console.log(
      `== router throughput (wrk, 2 threads, 32 connections, 2 × ${SECONDS} s each, mirrored order, on the apps' network) ==`,
    );
    await api.post(`/v2/apps/${APP}/scale/`, { web: 1 });
    const [proc] = await docker.listContainers({ filters: { label: [`io.deis-desktop.app=${APP}`] } });
    // The app's own network: only the router and the app's containers reach its processes.
    const [appNet, appEndpoint] = Object.entries(proc!.NetworkSettings.Networks)[0]!;
    const appIp = appEndpoint.IPAddress;
    const router = await docker.getContainer(`${INSTANCE}-router`).inspect();
    const routerIp = router.NetworkSettings.Networks[appNet]!.IPAddress;
    const nginx = await startPlainNginx(
      router.Config.Image,
      appNet,
      `${INSTANCE}-plain-nginx`,
      `${appIp}:5000`,
    );
    try {
      const host = `${APP}.localhost`;
      // Each target twice, in mirrored order, so drift on a busy machine does not favour one.
      const urls = {
        direct: `http://${appIp}:5000/`,
        nginx: `http://${nginx.ip}:80/`,
        router: `http://${routerIp}:80/`,
      };
      const runs: Record<string, ReturnType<typeof wrk>[]> = { direct: [], nginx: [], router: [] };
      for (const name of ['direct', 'nginx', 'router', 'router', 'nginx', 'direct'] as const)
        runs[name]!.push(wrk(appNet, urls[name], host, SECONDS));
      const mean = (list: ReturnType<typeof wrk>[]) => ({
        requestsPerSecond: list.reduce((n, r) => n + r.requestsPerSecond, 0) / list.length,
        p99Ms: list.reduce((n, r) => n + r.p99Ms, 0) / list.length,
        errors: list.reduce((n, r) => n + r.errors, 0),
      });
      const direct = mean(runs.direct!);
      const viaNginx = mean(runs.nginx!);
      const viaRouter = mean(runs.router!);
      const row = (name: string, r: typeof direct) =>
        console.log(
          `${name.padEnd(16)} ${r.requestsPerSecond.toFixed(0).padStart(8)} req/s  p99 ${r.p99Ms.toFixed(2)} ms  errors ${r.errors}`,
        );
      row('direct', direct);
      row('plain nginx', viaNginx);
      row('deis router', viaRouter);
      console.log(
        `router/direct: ${ratio(viaRouter.requestsPerSecond, direct.requestsPerSecond)} req/s, ${ratio(viaRouter.p99Ms, direct.p99Ms)} p99; router/nginx: ${ratio(viaRouter.requestsPerSecond, viaNginx.requestsPerSecond)} req/s, ${ratio(viaRouter.p99Ms, viaNginx.p99Ms)} p99`,
      );
    } finally {
      await nginx.container.remove({ force: true });
    }
  } finally {
    await t.stop();
    await removeInstance(INSTANCE);
    await forgetImages(APP);
  }
}

/** The first push with the real stack build takes minutes and Debian's mirrors: only when asked. */
async function firstPush(): Promise<void> {
  if (process.env.BENCH_FIRST_PUSH !== '1') return;
  console.log('== the first push on a new machine (the real stack build, once) ==');
  const r = await benchFirstPush();
  console.log(
    `${r.pushLines} lines shown to the pusher (${r.stackLines} for the stack) where the stack build printed ${r.stackTaskLines} (kept in the task): ${ratio(r.pushLines, r.stackTaskLines)}; ${r.seconds.toFixed(0)} s`,
  );
}

/** The Kubernetes target, on the test cluster when there is one (it says why it skips otherwise). */
async function kubernetes(): Promise<void> {
  if (!wanted('kubernetes')) return;
  console.log('== the Kubernetes target (test cluster): warm push, and steady load through rollouts ==');
  await benchKubernetes();
}

main()
  .then(kubernetes)
  .then(firstPush)
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
