/**
 * Where a warm `git push` spends its time (`npx tsx bench/push-profile.ts`): one app, a few one-line
 * pushes, each remote line and each engine event (image build done, container create/start) printed
 * with its time since the push started, and the moment the new release answers through the router.
 */
import { spawn } from 'node:child_process';
import { Api } from '../test/support/core';
import { ensureStackImage } from '../test/support/images';
import { repoFromFixture } from '../test/support/git';
import { Pusher } from '../test/support/push';
import {
  docker,
  freePort,
  removeInstance,
  sleep,
  startDockerCore,
  viaRouter,
} from '../test/support/run-stage';
import { changeOneLine, LATENCY_FIXTURE } from './deploy-latency';

const INSTANCE = 'dd-prof';
const APP = 'prof-app';
const ROUNDS = Number(process.env.PROFILE_ROUNDS || 3);

async function main(): Promise<void> {
  await ensureStackImage();
  await removeInstance(INSTANCE);
  const t = await startDockerCore(INSTANCE, undefined, await freePort());
  const port = t.core.target.routerPort;
  try {
    const api = await new Api(t.url).register('prof');
    await api.post('/v2/apps/', { id: APP });
    const pusher = new Pusher(t.core.builderPort, 'prof');
    await pusher.addKeyTo(api);
    const work = repoFromFixture(LATENCY_FIXTURE).dir;
    for (let round = 0; round <= ROUNDS; round++) {
      changeOneLine(work);
      const started = Date.now();
      const at = () => String(Date.now() - started).padStart(5);
      const events = await docker.getEvents({
        filters: { type: ['container'], event: ['create', 'start', 'kill', 'die'] },
      });
      events.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n').filter(Boolean)) {
          const e = JSON.parse(line) as { Action: string; Actor: { Attributes: Record<string, string> } };
          console.log(`${at()} engine: ${e.Action} ${e.Actor.Attributes.name}`);
        }
      });
      const child = spawn('git', ['push', pusher.remoteUrl(APP), 'HEAD:refs/heads/main'], {
        cwd: work,
        env: pusher.env(),
      });
      let buf = '';
      const out = (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split(/[\n\r]/);
        buf = lines.pop()!;
        for (const l of lines) if (l.trim()) console.log(`${at()} ${l}`);
      };
      child.stdout.on('data', out);
      child.stderr.on('data', out);
      const code = await new Promise<number | null>((r) => child.on('close', r));
      console.log(`${at()} git push exited ${code}`);
      const releases = (await api.get(`/v2/apps/${APP}/releases/`)).body as {
        results: { version: number }[];
      };
      const v = releases.results[0]!.version;
      for (;;) {
        if (
          (await viaRouter(port, `${APP}.localhost`).catch(() => ({ body: '' }))).body.includes(`from v${v} `)
        )
          break;
        await sleep(10);
      }
      console.log(`${at()} v${v} answers through the router`);
      (events as unknown as { destroy(): void }).destroy();
      console.log('----');
      await sleep(1000);
    }
  } finally {
    await t.stop();
    await removeInstance(INSTANCE);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
