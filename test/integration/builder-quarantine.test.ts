/**
 * A push killed hard (git-receive-pack and its hook killed, as when the core is killed) leaves git's
 * quarantine, `objects/tmp_objdir-incoming-*`, in the app's repository. The builder removes it before
 * the next push of that app (never during one) and when it starts.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commit, push, startHarness, workTree, type Harness } from './builder-harness';

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness();
  dir = workTree(h, 'alpha', 'first');
});
afterAll(() => h.stop());

const objects = () => path.join(h.home, 'repos', 'alpha.git', 'objects');
const quarantines = () => fs.readdirSync(objects()).filter((n) => n.startsWith('tmp_objdir-incoming-'));

/** The running git-receive-pack of alpha (its own process group, with its hook). */
function receivePack(): number | undefined {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  const line = ps
    .split('\n')
    .find((l) => l.includes(`receive-pack ${path.join(h.home, 'repos', 'alpha.git')}`));
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}

/** Starts a slow push and kills its git-receive-pack group with SIGKILL while the build runs. */
async function killedPush(dir: string): Promise<void> {
  const pushing = push(h, dir, 'alpha');
  await pushing.waitFor(/remote: step 2 of 15/);
  const pid = receivePack();
  expect(pid).toBeDefined();
  process.kill(-pid!, 'SIGKILL');
  const r = await pushing.done;
  expect(r.code).not.toBe(0);
  expect(quarantines().length).toBeGreaterThan(0);
}

describe('a quarantine left by a killed push', () => {
  it('is gone after the next push, which succeeds', async () => {
    const first = await push(h, dir, 'alpha').done;
    expect(first.code, first.stderr).toBe(0);
    commit(h, dir, 'slow build, killed');
    await killedPush(dir);
    commit(h, dir, 'next one');
    const next = await push(h, dir, 'alpha').done;
    expect(next.code, next.stderr).toBe(0);
    expect(quarantines()).toEqual([]);
    expect(h.log.some((l) => /removed tmp_objdir-incoming-\S+ of a killed push to alpha/.test(l))).toBe(true);
  });

  it('is gone when the builder starts again', async () => {
    commit(h, dir, 'slow build, killed again');
    await killedPush(dir);
    await h.restart();
    expect(quarantines()).toEqual([]);
  });
});
