/**
 * The first push on a machine that has never run Deis Desktop: how many lines the user sees while
 * the real stack (resources/stack/Dockerfile: apt-get install of Node, Python, git…) is built once,
 * against how many lines that build printed (kept in the `stack` task). Builds the stack under a
 * throwaway tag, so it takes minutes and needs Debian's mirrors: run it on its own
 * (`npx tsx bench/first-push.ts`, or `BENCH_FIRST_PUSH=1 npm run bench`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Task, TaskWithLog } from '../main/contract/tasks';
import { Api, startTestCore } from '../test/support/core';
import { repoFromFixture } from '../test/support/git';
import { BASE_IMAGE, ensureBaseImage } from '../test/support/images';
import { Pusher } from '../test/support/push';
import { instanceName, removeAppImages, removeImage, removeInstance } from '../test/support/run-stage';

export interface FirstPush {
  pushLines: number;
  stackLines: number;
  stackTaskLines: number;
  seconds: number;
}

export async function benchFirstPush(): Promise<FirstPush> {
  await ensureBaseImage();
  const instance = instanceName('first-push');
  const stack = `deis-desktop/stack:first-push-${process.pid}`;
  const app = 'first-push';
  // The real stack recipe with one line more before apt, so Docker's build cache cannot skip it.
  const resources = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-first-push-'));
  fs.mkdirSync(path.join(resources, 'stack'));
  fs.symlinkSync(path.resolve('resources/buildpacks'), path.join(resources, 'buildpacks'));
  const recipe = fs.readFileSync('resources/stack/Dockerfile', 'utf8');
  fs.writeFileSync(
    path.join(resources, 'stack', 'Dockerfile'),
    recipe.replace(/^(FROM .*)$/m, `$1\nRUN echo ${process.pid}-${Date.now()} > /.first-push`),
  );
  process.env.DEIS_STACK_BASE = BASE_IMAGE;
  const t = await startTestCore({
    target: 'docker',
    instance,
    routerBase: BASE_IMAGE,
    stackImage: stack,
    resources,
  });
  const pusher = new Pusher(t.core.builderPort, 'owner');
  try {
    const owner = await new Api(t.url).register('owner');
    await pusher.addKeyTo(owner);
    await owner.post('/v2/apps/', { id: app });
    const started = Date.now();
    const push = await pusher.push(repoFromFixture('python-app').dir, app);
    if (push.code !== 0) throw new Error(`the first push failed:\n${push.output}`);
    const seconds = (Date.now() - started) / 1000;
    const from = push.remote.findIndex((l) => /stack image/i.test(l));
    const to = push.remote.findIndex((l) => l.includes('Stack ready:'));
    const tasks = (await owner.get('/v2/desktop/tasks/?kind=stack')).body as { results: Task[] };
    const task = tasks.results[0]
      ? ((await owner.get(`/v2/desktop/tasks/${tasks.results[0].id}/`)).body as TaskWithLog)
      : undefined;
    console.log(push.remote.join('\n'));
    return {
      pushLines: push.remote.length,
      stackLines: from >= 0 && to >= from ? to - from + 1 : 0,
      stackTaskLines: task?.log.length ?? 0,
      seconds,
    };
  } finally {
    pusher.remove();
    await t.stop();
    delete process.env.DEIS_STACK_BASE;
    await removeInstance(instance);
    await removeAppImages([app]);
    await removeImage(stack);
    fs.rmSync(resources, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchFirstPush();
  console.log(
    `first push with the real stack build: ${r.pushLines} lines shown (${r.stackLines} for the stack), ` +
      `the stack task kept ${r.stackTaskLines} lines; ${r.seconds.toFixed(0)} s`,
  );
}
