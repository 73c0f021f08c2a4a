/** What a push's pre-receive hook asks for: a build of each pushed branch, the first failure rejecting it. */
import fs from 'node:fs';
import path from 'node:path';
import { QUARANTINE_ENV } from './hook-script';
import { parseRefUpdates, updatesToBuild } from './refs';
import type { Build, BuildOutput, BuildResult } from './types';

/** What the hook sent over the bridge. */
export interface HookCall {
  refs: string;
  env: Record<string, string>;
}

export interface PushContext {
  app: string;
  appUuid: string;
  user: string;
  repo: string;
  build: Build;
  log: (line: string) => void;
}

const INTERNAL_FAILURE =
  'The build failed because of an internal error; the Deis Desktop log has the details.';

/**
 * Keeps only git's quarantine variables that point inside this repo's objects: the hook is our own
 * script, but what it sends crosses a socket, and these paths decide where git reads objects from.
 */
export function quarantineEnv(
  sent: Record<string, string>,
  repo: string,
  log: (line: string) => void,
): Record<string, string> {
  // Git reports real paths (after symlinks, e.g. macOS's /var -> /private/var), so accept either form.
  const roots = [path.resolve(repo, 'objects'), path.join(fs.realpathSync(repo), 'objects')];
  const within = (p: string) => {
    const abs = path.resolve(repo, p.replace(/^"|"$/g, ''));
    return roots.some((root) => abs === root || abs.startsWith(root + path.sep));
  };
  const env: Record<string, string> = {};
  for (const name of QUARANTINE_ENV) {
    const value = sent[name];
    if (typeof value !== 'string' || value === '') continue;
    const paths = name === 'GIT_ALTERNATE_OBJECT_DIRECTORIES' ? value.split(path.delimiter) : [value];
    if (paths.every(within)) env[name] = value;
    else log(`builder: ignored ${name}=${value} from the pre-receive hook of ${repo}: not inside the repo`);
  }
  return env;
}

export async function buildPush(
  call: HookCall,
  output: BuildOutput,
  signal: AbortSignal,
  ctx: PushContext,
): Promise<BuildResult> {
  let updates;
  try {
    updates = updatesToBuild(parseRefUpdates(call.refs));
  } catch (err) {
    ctx.log(`builder: ${ctx.app}: ${err instanceof Error ? err.message : String(err)}`);
    return { ok: false, reason: INTERNAL_FAILURE };
  }
  const env = quarantineEnv(call.env, ctx.repo, ctx.log);
  for (const update of updates) {
    if (signal.aborted) return { ok: false, reason: 'The push was interrupted.' };
    let result: BuildResult;
    try {
      result = await ctx.build(
        {
          ...update,
          app: ctx.app,
          appUuid: ctx.appUuid,
          user: ctx.user,
          repo: { path: ctx.repo, env },
          signal,
        },
        output,
      );
    } catch (err) {
      ctx.log(
        `builder: build of ${ctx.app} ${update.newSha} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      return { ok: false, reason: INTERNAL_FAILURE };
    }
    if (!result.ok) return result;
  }
  return { ok: true };
}
