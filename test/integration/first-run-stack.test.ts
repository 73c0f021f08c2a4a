/**
 * The one-time stack build on a first run: the core starts it in the background at startup and
 * says so; a push that arrives meanwhile waits for it with a line saying so and sees a few step and
 * progress lines, never the apt output, which the `stack` task keeps whole. A throwaway stack tag
 * and a cheap stack Dockerfile (built on the cached stack, printing 400 apt-like lines) stand in for
 * the real one, so the cached `deis-desktop/stack:bookworm` is left alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task, TaskWithLog } from '../../main/contract/tasks';
import { STACK_PROGRESS_EVERY_MS } from '../../main/contract/limits';
import { Api, startTestCore, type TestCore } from '../support/core';
import { repoFromFixture } from '../support/git';
import { BASE_IMAGE, dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import { eventually, instanceName, removeAppImages, removeImage, removeInstance } from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('first-run-stack tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('stack');
const STACK = `deis-desktop/stack:test-${process.pid}`;
const APP = 'stack-first';
const PACKAGES = 400;
/** Long enough for a progress line (every STACK_PROGRESS_EVERY_MS) and for the push to arrive. */
const BUILD_SECONDS = Math.ceil(STACK_PROGRESS_EVERY_MS / 1000) + 6;

describe.skipIf(!hasDocker)('preparing the stack on a first run', () => {
  let t: TestCore;
  let resources: string;
  const lines: string[] = [];

  beforeAll(async () => {
    await ensureStackImage();
    resources = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-resources-'));
    fs.mkdirSync(path.join(resources, 'stack'));
    fs.symlinkSync(path.resolve('resources/buildpacks'), path.join(resources, 'buildpacks'));
    fs.writeFileSync(
      path.join(resources, 'stack', 'Dockerfile'),
      [
        `ARG BASE=${BASE_IMAGE}`,
        'FROM deis-desktop/stack:bookworm',
        `RUN for i in $(seq 1 ${PACKAGES}); do echo "Setting up fake-package-$i (1.0-1) ..."; done`,
        `RUN sleep ${BUILD_SECONDS}`,
        `RUN echo ${process.pid} > /stack-test`,
        '',
      ].join('\n'),
    );
    // The stack's base is there (the fixture builds on the cached stack anyway): nothing to pull.
    process.env.DEIS_STACK_BASE = BASE_IMAGE;
    t = await startTestCore({
      target: 'docker',
      instance,
      routerBase: BASE_IMAGE,
      resources,
      stackImage: STACK,
      prepareStack: true,
      log: (l) => lines.push(l),
    });
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    delete process.env.DEIS_STACK_BASE;
    await removeInstance(instance);
    await removeAppImages([APP]);
    await removeImage(STACK);
    fs.rmSync(resources, { recursive: true, force: true });
  });

  it('starts at startup, saying so; a push meanwhile waits with a few lines; the task keeps the whole log', async () => {
    await eventually(async () =>
      lines.some((l) =>
        l.startsWith(`builder: preparing the stack image ${STACK} in the background (first run only`),
      ),
    );
    const owner = await new Api(t.url).register('owner');
    const pusher = new Pusher(t.core.builderPort, 'owner');
    try {
      await pusher.addKeyTo(owner);
      await owner.post('/v2/apps/', { id: APP });
      const push = await pusher.push(repoFromFixture('python-app').dir, APP);
      expect(push.code, push.output).toBe(0);

      const stackLines = push.remote.slice(
        push.remote.findIndex((l) => l.startsWith('-----> Waiting for the stack image')),
        push.remote.findIndex((l) => l.includes('Stack ready:')) + 1,
      );
      expect(stackLines[0]).toMatch(
        new RegExp(
          `^-----> Waiting for the stack image ${STACK}, being prepared for \\d+ s \\(first build only\\)$`,
        ),
      );
      expect(
        stackLines.some((l) =>
          /^ {7}still preparing the stack: \d+ packages installed, \d+ s so far…$/.test(l),
        ),
      ).toBe(true);
      expect(stackLines.at(-1)).toMatch(
        new RegExp(
          `^ {7}Stack ready: ${PACKAGES} packages installed in \\d+ s \\(\\d+ lines of output, kept in the task log\\)\\.$`,
        ),
      );
      console.log(
        `the first push printed ${push.remote.length} lines, ${stackLines.length} for the stack:\n${stackLines.join('\n')}`,
      );
      // A few lines, not the apt output.
      expect(stackLines.length).toBeLessThan(15);
      expect(push.remote.some((l) => l.includes('Setting up fake-package'))).toBe(false);
      expect(push.remote).toContain(`Done, ${APP}:v2 deployed to Deis Desktop`);

      const list = (await owner.get('/v2/desktop/tasks/?kind=stack')).body as { results: Task[] };
      expect(list.results).toHaveLength(1);
      const task = (await owner.get(`/v2/desktop/tasks/${list.results[0]!.id}/`)).body as TaskWithLog;
      expect(task).toMatchObject({ state: 'succeeded', title: `Preparing the stack image ${STACK}` });
      expect(task.log.filter((l) => l.startsWith('Setting up fake-package-'))).toHaveLength(PACKAGES);
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^builder: the stack image ${STACK} is ready`)),
      );
    } finally {
      pusher.remove();
    }
  }, 600_000);
});
