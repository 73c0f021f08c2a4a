/**
 * Two cores on one engine with different router bases: each removes the other's router image as an
 * earlier recipe's when no container uses it yet. A core that lost its image between making sure it
 * exists and creating its router used to fail its start (the retry five seconds later made it again,
 * and tests of that core meanwhile got nginx's 404 or no router at all). Here the image is removed at
 * exactly that moment, on the real engine, and the target still becomes ready at once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerTarget } from '../../cluster/docker/docker-target';
import { routerImageTag } from '../../cluster/docker/router/image';
import { BASE_IMAGE, dockerAvailable, ensureBaseImage } from '../support/images';
import { docker, instanceName, removeImage, removeInstance } from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('router-image-race tests skipped: no Docker engine answers (start dockerd).');

describe.skipIf(!hasDocker)('a router image removed by another core just before the router is made', () => {
  const instance = instanceName('rrace');
  // A base of its own, so the router image is this file's alone (the shared one stays untouched).
  const base = `deis-desktop/test-router-base:${process.pid}`;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-rrace-'));
  let target: DockerTarget | undefined;

  afterAll(async () => {
    await target?.close();
    await removeInstance(instance);
    await removeImage(routerImageTag(base));
    await removeImage(base);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('is made again, and the target is ready on its first start', async () => {
    await ensureBaseImage();
    const [repo, tag] = base.split(':') as [string, string];
    await docker.getImage(BASE_IMAGE).tag({ repo, tag });
    let removed = '';
    // The real engine, with the other core's removal put between the check and the create.
    const engine = new Proxy(docker, {
      get(real, key, receiver) {
        if (key !== 'createContainer') return Reflect.get(real, key, receiver) as unknown;
        return async (options: Docker.ContainerCreateOptions) => {
          if (!removed && options.Image?.startsWith('deis-desktop/router:')) {
            removed = options.Image;
            // As `docker rmi` does it: the build's parent layers stay, so making it again is quick.
            await docker.getImage(options.Image).remove({ noprune: true });
          }
          return real.createContainer(options);
        };
      },
    });
    target = new DockerTarget({
      instance,
      home,
      routerPort: 0,
      routerBase: base,
      platformDomain: 'localhost',
      docker: engine,
    });
    await target.ensureReady([]);
    expect(removed).toBe(routerImageTag(base));
    const router = await docker.getContainer(target.routerName).inspect();
    expect(router.State.Running).toBe(true);
    expect(router.Config.Image).toBe(removed);
    expect(target.routerPort).toBeGreaterThan(0);
  }, 300_000);
});
