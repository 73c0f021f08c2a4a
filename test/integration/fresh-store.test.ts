/**
 * A store made in this start (a fresh install, or a store moved away) knows no apps, so every
 * container of the instance looks like an orphan: the Docker target leaves them alone then. A store
 * that knew them and has lost them (an app deleted while the core was down) still has them removed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LABEL_APP, LABEL_TYPE, LABEL_VERSION, labelsFor } from '../../cluster/docker/labels';
import { BASE_IMAGE, dockerAvailable, ensureBaseImage } from '../support/images';
import { startTestCore } from '../support/core';
import { docker, instanceName, removeInstance, startDockerCore } from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('Fresh-store test skipped: no Docker engine answers.');

const INSTANCE = instanceName('fresh');
const homes: string[] = [];
afterAll(async () => {
  await removeInstance(INSTANCE);
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});

/** A process container of an app no store of this test knows, as another store's core left it. */
async function strayProcess(): Promise<string> {
  await ensureBaseImage();
  const c = await docker.createContainer({
    name: `${INSTANCE}-ghost-v1-web-abcde`,
    Image: BASE_IMAGE,
    Cmd: ['sleep', 'infinity'],
    Labels: labelsFor(INSTANCE, 'process', {
      [LABEL_APP]: 'ghost',
      [LABEL_TYPE]: 'web',
      [LABEL_VERSION]: '1',
    }),
  });
  await c.start();
  return c.id;
}

const exists = (id: string) =>
  docker
    .getContainer(id)
    .inspect()
    .then(
      () => true,
      () => false,
    );

describe.skipIf(!hasDocker)('a store created in this start', () => {
  it('leaves the containers of its instance alone; a store that knew nothing of them removes them', async () => {
    const id = await strayProcess();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-fresh-'));
    homes.push(home);
    const lines: string[] = [];
    const first = await startTestCore({
      target: 'docker',
      instance: INSTANCE,
      routerBase: BASE_IMAGE,
      home,
      log: (line) => lines.push(line),
    });
    expect(await exists(id)).toBe(true);
    expect(first.core.controller.store.fresh).toBe(true);
    expect(lines).toContain('target: a new store: left 1 unknown processes alone');
    await first.core.stop();

    // The same store again: it is not new, and "ghost" is none of its apps.
    const second = await startDockerCore(INSTANCE, home);
    expect(await exists(id)).toBe(false);
    expect(second.core.controller.store.fresh).toBe(false);
    await second.core.stop();
  }, 300_000);
});
