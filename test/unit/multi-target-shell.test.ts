/**
 * Issue 14: the console's shell is an optional Target method, and the multi-target (which every
 * request goes through) must pass it on to the app's target; a target without it (Kubernetes, for
 * now) answers that it cannot, in a sentence. A past merge lost the console's `exec` this way.
 */
import { describe, expect, it } from 'vitest';
import type { RunningTarget } from '../../cluster';
import { MultiTarget, type TargetDirectory } from '../../cluster/multi-target';
import { SHELL_UNSUPPORTED, type ShellSession, type TerminalSize } from '../../cluster/target';

const directory: TargetDirectory = {
  targetOf: () => 'local',
  make: () => undefined,
  desiredOn: () => [],
  serviceTargetOf: () => 'local',
};

describe('the multi-target and the console shell', () => {
  it("passes a shell on to the app's target, with its process and size", async () => {
    const asked: unknown[] = [];
    const session = { output: [] } as unknown as ShellSession;
    const local = {
      routerPort: 0,
      shell: (app: string, process: string, size: TerminalSize) => {
        asked.push([app, process, size]);
        return Promise.resolve(session);
      },
    } as unknown as RunningTarget;
    const multi = new MultiTarget(local, directory);
    expect(await multi.shell('web1', 'web1-web-abc', { cols: 90, rows: 30 })).toBe(session);
    expect(asked).toEqual([['web1', 'web1-web-abc', { cols: 90, rows: 30 }]]);
  });

  it('answers that a target without shells cannot open one', async () => {
    const multi = new MultiTarget({ routerPort: 0 } as unknown as RunningTarget, directory);
    await expect(multi.shell('web1', 'web1-web-abc', { cols: 80, rows: 24 })).rejects.toThrow(
      SHELL_UNSUPPORTED,
    );
  });
});
