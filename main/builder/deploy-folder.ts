/**
 * "Deploy a folder": the desktop's push without git commands. It takes the app's push lock like a
 * git push, snapshots the folder into the app's repository and runs the same PushHandler, all as one
 * 'build' task whose lines the UI shows live.
 *
 * A folder of the machine is the machine's, not the app's: only an administrator (the desktop's own
 * user) may deploy one, and everyone else is refused before any path is looked at, so the answer says
 * nothing about what exists. Never Deis Desktop's own data folder, nor one inside or above it, and
 * never more than the size limit, measured before anything is written.
 */
import path from 'node:path';
import type { Controller } from '../controller';
import type { UserRow } from '../controller/users';
import type { TaskHandle } from '../controller/tasks';
import { conflict, forbidden } from '../contract/errors';
import type { Task } from '../contract/tasks';
import { checkFolder, measureFolder } from './folder-checks';
import type { PushLocks } from './locks';
import type { PushHandler } from './push';
import { ensureRepo } from './repo';
import { recordDeploy, snapshotFolder } from './snapshot';

export interface FolderDeployerOptions {
  /** DEIS_HOME: never deployed, nor anything inside or above it; scratch indexes live in `<home>/deploys`. */
  home: string;
  /** `<home>/repos`: the apps' repositories, by uuid. */
  reposDir: string;
  log: (line: string) => void;
}

export const FOLDER_DEPLOY_FORBIDDEN =
  'Only an administrator of Deis Desktop may deploy a folder of this machine; push the app with git instead (git push deis main).';

export class FolderDeployer {
  constructor(
    private readonly controller: Controller,
    private readonly pushes: PushHandler,
    private readonly locks: PushLocks,
    private readonly options: FolderDeployerOptions,
  ) {}

  /** Refuses (403) anyone but an administrator; call it before reading anything of the request. */
  authorize(user: UserRow): void {
    if (!user.is_superuser) throw forbidden(FOLDER_DEPLOY_FORBIDDEN);
  }

  /**
   * Starts deploying `folder` to `appId`: every check (who, which app, which folder, how big) and the
   * push lock come first, and their errors are the answer; then the task, whose work goes on in it.
   */
  async deploy(user: UserRow, appId: string, folder: string): Promise<Task> {
    this.authorize(user);
    const app = this.controller.apps.access(user, appId, 'POST');
    const dir = await checkFolder(folder, this.options.home);
    await measureFolder(dir, this.options.home);
    const release = this.locks.tryAcquire(app.id);
    if (!release) throw conflict('Another git push is ongoing. Wait for it to finish, then deploy again.');
    const task = this.controller.tasks.start(
      'build',
      `Deploy of ${path.basename(dir)} to ${app.id}`,
      app.id,
      user.username,
    );
    void this.run(task, user, { id: app.id, uuid: app.uuid }, dir, release);
    return task.task;
  }

  private async run(
    task: TaskHandle,
    user: UserRow,
    app: { id: string; uuid: string },
    folder: string,
    release: () => void,
  ): Promise<void> {
    try {
      task.step('Taking the files');
      task.log(`Taking the files of ${folder} (its .gitignore applies; its .git is left alone)...`);
      const repo = await ensureRepo(this.options.reposDir, app.uuid);
      const sha = await snapshotFolder({
        repo,
        folder,
        scratch: path.join(this.options.home, 'deploys'),
        author: { name: user.username, email: user.email || `${user.username}@deis-desktop.local` },
        message: `Deploy of ${folder}`,
      });
      task.log(`Commit ${sha.slice(0, 7)} made of the folder's files.`);
      await this.pushes.handle(
        { app: app.id, appUuid: app.uuid, username: user.username, sha, repo },
        { line: () => {} },
        task,
      );
      await recordDeploy(repo, sha);
      // The lock goes before the task says it succeeded: whoever deploys again on "succeeded" must not
      // find this deploy still holding it.
      release();
      task.succeed();
    } catch (err) {
      release();
      const reason = err instanceof Error ? err.message : String(err);
      task.fail(reason);
      this.options.log(`deploy of ${folder} to ${app.id} failed: ${reason}`);
    }
  }
}
