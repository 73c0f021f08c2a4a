/**
 * "Deploy a folder": the desktop's push without git commands. It takes the app's push lock like a
 * git push, snapshots the folder into the app's repository and runs the same PushHandler, all as one
 * 'build' task whose lines the UI shows live.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Controller } from '../controller';
import type { UserRow } from '../controller/users';
import type { TaskHandle } from '../controller/tasks';
import { conflict, invalid } from '../contract/errors';
import type { Task } from '../contract/tasks';
import type { PushLocks } from './locks';
import type { PushHandler } from './push';
import { ensureRepo } from './repo';
import { recordDeploy, snapshotFolder } from './snapshot';

export interface FolderDeployerOptions {
  /** DEIS_HOME: repos live in `<home>/git`, scratch indexes in `<home>/deploys`. */
  home: string;
  log: (line: string) => void;
}

export class FolderDeployer {
  constructor(
    private readonly controller: Controller,
    private readonly pushes: PushHandler,
    private readonly locks: PushLocks,
    private readonly options: FolderDeployerOptions,
  ) {}

  /** Starts deploying `folder` to `appId`; answers the task at once, the work goes on in it. */
  deploy(user: UserRow, appId: string, folder: string): Task {
    const app = this.controller.apps.access(user, appId, 'POST');
    const dir = checkFolder(folder);
    const release = this.locks.tryAcquire(app.id);
    if (!release) throw conflict('Another git push is ongoing. Wait for it to finish, then deploy again.');
    const task = this.controller.tasks.start('build', `Deploy of ${path.basename(dir)} to ${app.id}`, app.id);
    void this.run(task, user, app.id, dir).finally(release);
    return task.task;
  }

  private async run(task: TaskHandle, user: UserRow, app: string, folder: string): Promise<void> {
    try {
      task.step('Taking the files');
      task.log(`Taking the files of ${folder} (its .gitignore applies; its .git is left alone)...`);
      const repo = await ensureRepo(path.join(this.options.home, 'git'), app);
      const sha = await snapshotFolder({
        repo,
        folder,
        scratch: path.join(this.options.home, 'deploys'),
        author: { name: user.username, email: user.email || `${user.username}@deis-desktop.local` },
        message: `Deploy of ${folder}`,
      });
      task.log(`Commit ${sha.slice(0, 7)} made of the folder's files.`);
      await this.pushes.handle({ app, username: user.username, sha, repo }, { line: () => {} }, task);
      await recordDeploy(repo, sha);
    } catch (err) {
      // The PushHandler has already failed the task with the reason; this covers the snapshot.
      const reason = err instanceof Error ? err.message : String(err);
      task.fail(reason);
      this.options.log(`deploy of ${folder} to ${app} failed: ${reason}`);
    }
  }
}

/** The folder as an absolute path that exists, or a field error the user can act on. */
function checkFolder(folder: string): string {
  if (!path.isAbsolute(folder))
    throw invalid('path', 'Give the folder as an absolute path, such as /home/me/myapp.');
  const stat = fs.statSync(folder, { throwIfNoEntry: false });
  if (!stat) throw invalid('path', `There is no folder at ${folder}.`);
  if (!stat.isDirectory()) throw invalid('path', `${folder} is a file; give the folder that holds the app.`);
  try {
    fs.accessSync(folder, fs.constants.R_OK | fs.constants.X_OK);
  } catch {
    throw invalid('path', `Deis Desktop may not read ${folder}; check its permissions.`);
  }
  return path.resolve(folder);
}
