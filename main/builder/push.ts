/**
 * What a `git push` does once git has received the commit, before the ref is accepted: build the
 * image, record the build, cut the release and hand it to the app's target — as a task whose lines
 * stream back to the pusher. Any failure rejects the push with the reason in plain words.
 */
import type { Controller } from '../controller';
import type { TaskHandle } from '../controller/tasks';
import { configData } from '../controller/config';
import type { ImageBuilder } from './image-builder';
import { BuildFailed, type BuildOutput } from './types';

export interface Push {
  app: string;
  /** The app's uuid when the push began: a new app that took the name since gets nothing of it. */
  appUuid: string;
  username: string;
  /** Full sha of the pushed commit. */
  sha: string;
  /** The app's bare repository. */
  repo: string;
  /** git's quarantine environment while the push is being received. */
  gitEnv?: Record<string, string>;
  signal?: AbortSignal;
}

export interface PushResult {
  version: number;
}

export class PushHandler {
  constructor(
    private readonly controller: Controller,
    private readonly images: ImageBuilder,
  ) {}

  /**
   * `task`: one the caller already started (a folder deploy snapshots its files first); the caller
   * then ends it, once everything it does after the push is done too. A task of our own we end here.
   */
  async handle(push: Push, pusher: BuildOutput, task?: TaskHandle): Promise<PushResult> {
    const c = this.controller;
    const own = !task;
    const t =
      task ??
      c.tasks.start('build', `Build of ${push.app} at ${push.sha.slice(0, 7)}`, push.app, push.username);
    const say = (line: string) => {
      t.log(line);
      pusher.line(line);
    };
    try {
      const app = c.apps.find(push.app);
      const user = c.users.byName(push.username);
      if (!app || app.uuid !== push.appUuid || !user)
        throw new BuildFailed(`The app ${push.app} no longer exists.`);
      say('Starting build... but first, coffee!');
      t.step('Building');
      const config = configData(c.configs.current(app)).values;
      const built = await this.images.build({
        ...push,
        appUuid: app.uuid,
        trusted: user.is_superuser === 1,
        config,
        output: { line: say },
      });
      say('Build complete.');
      t.step('Releasing');
      say('Launching App...');
      const { release } = await c.builds.create(app, user, {
        image: built.image,
        imageId: built.imageId,
        procfile: built.procfile,
        sha: push.sha,
        dockerfile: built.dockerfile ? 'true' : '',
        // The task already holds every line said so far (its bounded tail): that is the build's log.
        log: t.lines.join('\n'),
        // Named before the deploy starts, so a deploy that fails still says which release it was.
        cut: (version) => t.cut(version),
        // The deploy's progress (processes starting, on Kubernetes pods pulling and ready n/m).
        say: (line) => say(`  ${line}`),
      });
      say(`Done, ${push.app}:v${release.version} deployed to Deis Desktop`);
      say('');
      say("Use 'deis open' to view this application in your browser");
      if (own) t.succeed();
      return { version: release.version };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (own) t.fail(reason);
      // The activity feed says that the push failed and why (its first sentence: no log lines).
      const app = c.apps.find(push.app);
      if (app && app.uuid === push.appUuid)
        c.activity.record({
          app,
          user: push.username,
          action: 'build',
          summary: `push of ${push.sha.slice(0, 7)}`,
          failure: reason.split('\n')[0]!,
        });
      throw err instanceof BuildFailed ? err : new BuildFailed(reason);
    }
  }
}
