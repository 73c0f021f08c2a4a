// The push lock with real git: one push per app at a time, apps in parallel, Ctrl-C frees the lock.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builderRef, head, push, startHarness, workTree, type Harness } from './builder-harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

/** git-receive-pack and hook processes still running for this builder (a killed push leaves none). */
function gitChildren(): string[] {
  const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes(`${h.home}/`));
}

describe('the push lock', () => {
  it('refuses a second push to an app at once while the first builds, and lets the first finish', async () => {
    const first = push(h, workTree(h, 'alpha', 'slow build'), 'alpha');
    await first.waitFor(/remote: step 1 of 15/);
    const second = await push(h, workTree(h, 'alpha', 'impatient'), 'alpha', h.keys.alice, '--force').done;
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain('Another git push is ongoing');
    expect(second.ms).toBeLessThan(1000);
    const r = await first.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('remote: Build complete.');
  });

  it('runs pushes to two apps side by side', async () => {
    const alpha = workTree(h, 'alpha', 'slow alpha');
    const beta = workTree(h, 'beta', 'slow beta');
    const [a, b] = await Promise.all([
      push(h, alpha, 'alpha', h.keys.alice, '--force').done,
      push(h, beta, 'beta').done,
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(builderRef(h, 'alpha')).toBe(head(alpha));
    expect(builderRef(h, 'beta')).toBe(head(beta));
    const [ba, bb] = [h.builds.at(-2)!, h.builds.at(-1)!];
    // Each build takes 1.5 s; they overlapped instead of queueing.
    expect(Math.max(ba.started, bb.started)).toBeLessThan(Math.min(ba.ended!, bb.ended!));
  });

  it('frees the lock within a second or two of a push killed while building', async () => {
    const first = workTree(h, 'gamma', 'first');
    expect((await push(h, first, 'gamma').done).code).toBe(0);

    const doomed = push(h, workTree(h, 'gamma', 'endless doomed'), 'gamma', h.keys.alice, '--force');
    await doomed.waitFor(/remote: step 2 of 100/);
    const build = h.builds.at(-1)!;
    expect(gitChildren().join('\n')).toMatch(
      /receive-pack[\s\S]*pre-receive\.(cjs|bash)|pre-receive\.(cjs|bash)[\s\S]*receive-pack/,
    );
    process.kill(-doomed.pid, 'SIGINT'); // Ctrl-C: the terminal signals git and its ssh alike
    const killedAt = Date.now();
    expect((await doomed.done).code).not.toBe(0);

    const next = workTree(h, 'gamma', 'after the kill');
    let r = await push(h, next, 'gamma', h.keys.alice, '--force').done;
    while (r.code !== 0 && r.stderr.includes('Another git push is ongoing') && Date.now() - killedAt < 5000)
      r = await push(h, next, 'gamma', h.keys.alice, '--force').done;
    expect(r.code, r.stderr).toBe(0);
    const freedAfter = Date.now() - killedAt - r.ms;
    expect(freedAfter).toBeLessThan(2000);
    expect(builderRef(h, 'gamma')).toBe(head(next));
    expect(build.aborted).toBe(true);
    expect(build.ended! - killedAt).toBeLessThan(1000);
    expect(gitChildren()).toEqual([]);
  });

  it('stop() ends a push in progress, kills its git and leaves nothing running', async () => {
    const doomed = push(h, workTree(h, 'beta', 'endless at shutdown'), 'beta', h.keys.alice, '--force');
    await doomed.waitFor(/remote: step 1 of 100/);
    const t0 = Date.now();
    await h.builder.stop();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((await doomed.done).code).not.toBe(0);
    expect(h.builds.at(-1)!.aborted).toBe(true);
    expect(gitChildren()).toEqual([]);
    await h.restart();
  });
});
