/** Wires the builder to the controller: keys, push permissions, and what a push does (PushHandler). */
import fs from 'node:fs';
import path from 'node:path';
import type { Controller } from '../controller';
import type { AppRow } from '../controller/apps';
import type { UserRow } from '../controller/users';
import { dockerEngine } from '../../cluster/docker/engine';
import { AppStorage } from './app-storage';
import { startBuilder, type Builder } from './index';
import { FolderDeployer } from './deploy-folder';
import { ImageBuilder } from './image-builder';
import { migrateLegacyRepos } from './legacy-repos';
import { PushLocks } from './locks';
import { PushHandler } from './push';
import { REPOS_DIR } from './repo';
import { StackPreparer, stackSettings, type StackSettings } from './stack';
import { BuildFailed, type Verdict } from './types';

export interface BuilderServiceOptions {
  home: string;
  port: number;
  resources: string;
  /** DEIS_INSTANCE: build caches and images are marked with it. */
  instance: string;
  log: (line: string) => void;
  /** Overrides DEIS_STACK_IMAGE / DEIS_STACK_BASE (tests use a throwaway tag). */
  stack?: Partial<StackSettings>;
  /** Prepare a missing stack in the background at startup, so the first push need not wait for it. */
  prepareStack?: boolean;
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
  stack: StackPreparer;
}

/**
 * How strong a user's claim on an app is, lower first: its owner, a collaborator, an administrator;
 * undefined when they may not use it at all.
 */
function claim(c: Controller, user: UserRow, app: AppRow): number | undefined {
  if (app.owner_id === user.id) return 0;
  if (c.apps.isCollaborator(app, user)) return 1;
  if (user.is_superuser) return 2;
  return undefined;
}

/**
 * A public key is public, so several users may have registered the one a client logged in with; only
 * the holder of its private key can have logged in. The push (or fetch) is allowed when any of those
 * users may use the app, and is for the one with the strongest claim on it (owner, then collaborator,
 * then administrator; the earliest registration among equals). Whoever registers someone else's key
 * gains nothing: they cannot log in with it, and the owner's pushes to the owner's apps stay the owner's.
 */
export function authorizePush(c: Controller, holders: string[], appId: string): Verdict {
  const app = c.apps.find(appId);
  if (!app) return { kind: 'no-app' };
  let best: { user: UserRow; claim: number } | undefined;
  for (const name of holders) {
    const user = c.users.byName(name);
    if (!user || !user.is_active) continue;
    const rank = claim(c, user, app);
    if (rank !== undefined && (!best || rank < best.claim)) best = { user, claim: rank };
  }
  return best ? { kind: 'ok', user: best.user.username, appUuid: app.uuid } : { kind: 'forbidden' };
}

export async function startBuilderService(c: Controller, o: BuilderServiceOptions): Promise<BuilderService> {
  const settings = { ...stackSettings(o.resources), ...o.stack };
  const stack = new StackPreparer(dockerEngine, settings, c.tasks);
  const images = new ImageBuilder(
    dockerEngine,
    {
      stackImage: settings.image,
      buildpackDirs: buildpackDirs(o.resources),
      instance: o.instance,
      // DEIS_BUILDKIT=0: Dockerfile apps are built with the engine's legacy builder.
      buildkit: process.env.DEIS_BUILDKIT !== '0',
    },
    stack,
  );
  const pushes = new PushHandler(c, images);
  const locks = new PushLocks();
  const reposDir = path.join(o.home, REPOS_DIR);
  const storage = new AppStorage(dockerEngine, locks, { reposDir, instance: o.instance, log: o.log });

  // Before anything pushes: repositories of older installs move to their app's uuid (or go), and
  // those of apps destroyed while the core was stopped go.
  await migrateLegacyRepos(
    o.home,
    reposDir,
    (name) => {
      const app = c.apps.find(name);
      if (!app) return undefined;
      const commits = c.builds
        .list(app)
        .map((b) => b.sha)
        .filter((sha) => sha !== '');
      return { uuid: app.uuid, commits };
    },
    o.log,
  );
  await storage.sweepRepos((uuid) => c.apps.all().some((a) => a.uuid === uuid));
  c.apps.onDestroyed(async (app) => {
    // Tasks are kept by app name: their logs must not pass to the next app of the name either.
    c.tasks.retireApp(app.id);
    await storage.forget(app);
  });

  const folders = new FolderDeployer(c, pushes, locks, { home: o.home, reposDir, log: o.log });
  const builder = await startBuilder({
    locks,
    home: o.home,
    port: o.port,
    host: '127.0.0.1',
    log: o.log,
    lookupKey: (fingerprint) => c.keys.holders(fingerprint).map((k) => k.owner),
    authorize: (holders, appId) => authorizePush(c, holders, appId),
    build: async (req, output) => {
      try {
        await pushes.handle(
          {
            app: req.app,
            appUuid: req.appUuid,
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
  if (o.prepareStack) void prepareInBackground(stack, o.log);
  return { builder, folders, stack };
}

/** At startup: when the engine answers and the stack is missing, prepare it now, saying so. */
async function prepareInBackground(stack: StackPreparer, log: (line: string) => void): Promise<void> {
  try {
    await dockerEngine().ping();
  } catch {
    return; // No engine yet: the first push prepares it, or says the engine is away.
  }
  if (!(await stack.missing())) return;
  const image = stack.settings.image;
  log(
    `builder: preparing the stack image ${image} in the background (first run only, a few minutes; see the task list)`,
  );
  const started = Date.now();
  stack.prepare().then(
    () => log(`builder: the stack image ${image} is ready (${Math.round((Date.now() - started) / 1000)} s)`),
    (err: Error) => log(`builder: could not prepare the stack image ${image}: ${err.message}`),
  );
}
