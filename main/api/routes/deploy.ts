/** Desktop extension: deploy a local folder to an app, answered at once with the task that does it. */
import { DeployFolderRequest } from '../../contract/deploy';
import type { FolderDeployer } from '../../builder/deploy-folder';
import type { Router } from '../router';
import { parseBody } from '../validate';
import { APP } from './apps';

export function deployRoutes(r: Router, folders: FolderDeployer): void {
  r.add(`/v2/desktop/apps/${APP}/deploy/?`, {
    POST: async (req) => {
      // Who first: anyone but an administrator is refused before the path is even read.
      folders.authorize(req.user);
      const { path } = parseBody(DeployFolderRequest, req.body);
      return { status: 202, body: await folders.deploy(req.user, req.params[0]!, path) };
    },
  });
}
