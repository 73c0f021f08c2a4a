/** Wires the builder to the controller: keys, push permissions, and what a push does (PushHandler). */
import fs from 'node:fs';
import path from 'node:path';
import type { Controller } from '../controller';
import { dockerEngine } from '../../cluster/docker/engine';
import { startBuilder, type Builder } from './index';
import { FolderDeployer } from './deploy-folder';
import { ImageBuilder } from './image-builder';
import { PushLocks } from './locks';
import { PushHandler } from './push';
import { stackSettings } from './stack';
import { BuildFailed } from './types';

export interface BuilderServiceOptions {
  home: string;
  port: number;
  resources: string;
  log: (line: string) => void;
}

/** Buildpack folders: the bundled ones, then DEIS_BUILDPACKS (a PATH-style list of folders). */
export function buildpackDirs(resources: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.DEIS_BUILDPACKS ?? '').split(path.delimiter).filter(Boolean);
  return [path.join(resources, 'buildpacks'), ...extra].filter((d) => fs.existsSync(d));
}

export interface BuilderService {
  builder: Builder;
  /** The desktop's "deploy a folder", under the same push locks as git pushes. */
  folders: FolderDeployer;
}

export async function startBuilderService(c: Controller, o: BuilderServiceOptions): Promise<BuilderService> {
  const stack = stackSettings(o.resources);
  const images = new ImageBuilder(
    dockerEngine,
    { stackImage: stack.image, buildpackDirs: buildpackDirs(o.resources) },
    stack,
  );
  const pushes = new PushHandler(c, images);
  const locks = new PushLocks();
  const folders = new FolderDeployer(c, pushes, locks, { home: o.home, log: o.log });
  const builder = await startBuilder({
    locks,
    home: o.home,
    port: o.port,
    host: '127.0.0.1',
    log: o.log,
    lookupKey: (fingerprint) => {
      const key = c.keys.byFingerprint(fingerprint);
      return key ? { username: key.owner } : undefined;
    },
    authorize: (username, appId) => {
      const app = c.apps.find(appId);
      const user = c.users.byName(username);
      if (!app) return 'no-app';
      if (!user) return 'forbidden';
      try {
        c.apps.access(user, app.id, 'POST');
        return 'ok';
      } catch {
        return 'forbidden';
      }
    },
    build: async (req, output) => {
      try {
        await pushes.handle(
          {
            app: req.app,
            username: req.user,
            sha: req.newSha,
            repo: req.repo.path,
            gitEnv: req.repo.env,
            signal: req.signal,
          },
          output,
        );
        return { ok: true };
      } catch (err) {
        if (err instanceof BuildFailed) return { ok: false, reason: err.message };
        return { ok: false, reason: (err as Error).message };
      }
    },
  });
  return { builder, folders };
}
