/**
 * The run loop's figures, side by side in one run: a warm `git push` of a one-line change against
 * `docker build` + `docker run`; a config change until the new release serves through the router,
 * for an app that ignores SIGTERM and one that stops on it, against starting the same container by
 * hand (`docker run` until it answers); and the second push of the Python sample (the README's).
 * Every app keeps the default grace period (30 s): a deploy that waited for old processes shows.
 */
import { execFileSync } from 'node:child_process';
import type { Api } from '../test/support/core';
import { git, repoFromFixture } from '../test/support/git';
import type { Pusher } from '../test/support/push';
import { docker, sleep, viaRouter } from '../test/support/run-stage';
import { LATENCY_FIXTURE, forgetImages, median, ours, plain, plainBuildKit } from './deploy-latency';

const ROUNDS = Number(process.env.BENCH_DEPLOY_ROUNDS || 3);
const ratio = (a: number, b: number) => (a / b).toFixed(2);

async function until(check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error('not served in time');
    await sleep(10);
  }
}

const served = (port: number, app: string, text: string) => async () =>
  (await viaRouter(port, `${app}.localhost`)).body.includes(text);

/** `deis config:set` → the new release answers through the router. */
async function configChange(api: Api, app: string, port: number, round: number): Promise<number> {
  const started = Date.now();
  const r = await api.post(`/v2/apps/${app}/config/`, { values: { ROUND: String(round) } });
  if (r.status !== 201) throw new Error(`config:set ${app}: ${r.status} ${r.text}`);
  const releases = (await api.get(`/v2/apps/${app}/releases/`)).body as { results: { version: number }[] };
  await until(served(port, app, `from v${releases.results[0]!.version} `));
  return Date.now() - started;
}

/** The app's image started by hand, with the same environment, until it answers. */
async function byHand(image: string, network: string, env: Record<string, string>): Promise<number> {
  const started = Date.now();
  const args = ['run', '-d', '--network', network, '-e', 'PORT=5000'];
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  const id = execFileSync('docker', [...args, image], { encoding: 'utf8' }).trim();
  try {
    const info = await docker.getContainer(id).inspect();
    const ip = info.NetworkSettings.Networks[network]!.IPAddress;
    await until(async () => (await fetch(`http://${ip}:5000/`)).status === 200);
    return Date.now() - started;
  } finally {
    await docker.getContainer(id).remove({ force: true });
  }
}

async function push(api: Api, pusher: Pusher, work: string, app: string, port: number): Promise<number> {
  const started = Date.now();
  const r = await pusher.push(work, app);
  if (r.code !== 0) throw new Error(`push ${app} failed: ${r.output}`);
  const releases = (await api.get(`/v2/apps/${app}/releases/`)).body as { results: { version: number }[] };
  await until(served(port, app, `release v${releases.results[0]!.version}\n`));
  return Date.now() - started;
}

export async function benchRunLoop(
  api: Api,
  pusher: Pusher,
  port: number,
  network: string,
  wanted: (section: 'push' | 'config' | 'sample') => boolean = () => true,
): Promise<void> {
  if (wanted('push') || wanted('config')) await benchDeploys(api, pusher, port, network, wanted);
  if (wanted('sample')) await benchSample(api, pusher, port);
}

async function benchDeploys(
  api: Api,
  pusher: Pusher,
  port: number,
  network: string,
  wanted: (section: 'push' | 'config') => boolean,
): Promise<void> {
  const app = 'bench-push';
  await api.post('/v2/apps/', { id: app });
  console.log(
    `== warm push (git push of a one-line change to a ${LATENCY_FIXTURE} Dockerfile app → served through the router; median of ${ROUNDS}) ==`,
  );
  const work = repoFromFixture(LATENCY_FIXTURE).dir;
  try {
    // The first push and the first plain build fill the caches.
    const oursCold = await ours(api, app, port, pusher, work);
    const plainCold = await plain(network, work);
    const kitCold = await plainBuildKit(network, work);
    console.log(
      `first: ours ${oursCold} ms, docker build + docker run ${plainCold} ms, with BuildKit ${kitCold} ms`,
    );
    const o: number[] = [];
    const p: number[] = [];
    const k: number[] = [];
    for (let i = 0; wanted('push') && i < ROUNDS; i++) {
      o.push(await ours(api, app, port, pusher, work));
      p.push(await plain(network, work));
      k.push(await plainBuildKit(network, work));
    }
    if (wanted('push')) {
      console.log(
        `warm: ours ${median(o)} ms (${o.join(', ')}), docker build + docker run ${median(p)} ms (${p.join(', ')}), ratio ${ratio(median(o), median(p))}`,
      );
      console.log(
        `warm, against BuildKit's build + docker run ${median(k)} ms (${k.join(', ')}): ratio ${ratio(median(o), median(k))}`,
      );
    }
    if (!wanted('config')) return;

    console.log(
      `== config change → the new release serves through the router (grace period 30 s; median of ${ROUNDS}) ==`,
    );
    const image = ((await api.get(`/v2/apps/${app}/builds/`)).body as { results: { image: string }[] })
      .results[0]!.image;
    for (const [kind, env] of [
      ['stops on SIGTERM', {}],
      ['ignores SIGTERM', { IGNORE_SIGTERM: '1' }],
    ] as const) {
      if ('IGNORE_SIGTERM' in env) {
        const r = await api.post(`/v2/apps/${app}/config/`, { values: env });
        if (r.status !== 201) throw new Error(`config:set: ${r.status} ${r.text}`);
      }
      const c: number[] = [];
      const h: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        c.push(await configChange(api, app, port, i));
        h.push(await byHand(image, network, env));
      }
      console.log(
        `app that ${kind}: config:set ${median(c)} ms (${c.join(', ')}), docker run by hand ${median(h)} ms (${h.join(', ')}), ratio ${ratio(median(c), median(h))}`,
      );
    }
  } finally {
    await api.delete(`/v2/apps/${app}/`);
    await forgetImages(app);
  }
}

async function benchSample(api: Api, pusher: Pusher, port: number): Promise<void> {
  console.log('== the Python sample (bundled buildpack; the README walks through it) ==');
  const sample = 'bench-python';
  await api.post('/v2/apps/', { id: sample });
  const dir = repoFromFixture('python-app').dir;
  try {
    const first = await push(api, pusher, dir, sample, port);
    git(
      dir,
      '-c',
      'user.name=Bench',
      '-c',
      'user.email=bench@example.com',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'again',
    );
    const second = await push(api, pusher, dir, sample, port);
    console.log(`first push ${first} ms, second push ${second} ms (git push → served through the router)`);
  } finally {
    await api.delete(`/v2/apps/${sample}/`);
    await forgetImages(sample);
  }
}
