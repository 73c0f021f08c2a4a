/** The few commands the builder's SSH server runs, parsed from the exec request's command line. */

export type GitService = 'git-receive-pack' | 'git-upload-pack';

export type ExecCommand =
  | { kind: 'git'; service: GitService; app: string }
  | { kind: 'ping' }
  /** A git service asked for a path that is not `<app>.git` with a valid app name. */
  | { kind: 'bad-repo'; service: GitService; path: string }
  | { kind: 'unknown'; command: string };

/** Deis app names; also what keeps a repo path inside `<home>/git` (no `/`, no `..`). */
export const APP_NAME = /^[a-z0-9-]+$/;

/**
 * Git clients quote the repo differently: `'app.git'` (git over ssh), `'/app.git'` (ssh:// URLs),
 * `"app.git"` or no quotes at all (other clients and git versions). All name the same repo.
 */
const GIT_COMMAND = /^(git-receive-pack|git-upload-pack|git receive-pack|git upload-pack) +(.+?) *$/;

export function parseExecCommand(command: string): ExecCommand {
  const line = command.trim();
  if (line === 'ping') return { kind: 'ping' };
  const m = GIT_COMMAND.exec(line);
  if (!m) return { kind: 'unknown', command: line };
  const service = m[1]!.replace(' ', '-') as GitService;
  let path = m[2]!;
  const quote = path[0];
  if ((quote === "'" || quote === '"') && path.length >= 2 && path.endsWith(quote)) path = path.slice(1, -1);
  const name = path.replace(/^\/+/, '').replace(/\/+$/, '');
  const app = name.endsWith('.git') ? name.slice(0, -'.git'.length) : name;
  if (!APP_NAME.test(app)) return { kind: 'bad-repo', service, path };
  return { kind: 'git', service, app };
}
