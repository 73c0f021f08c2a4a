/** What a push changes, from the `<old> <new> <ref>` lines git hands its pre-receive hook. */
import type { RefUpdate } from './types';

const REF_LINE = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S+)$/;

/** Parses pre-receive input; throws on a line git would never send. */
export function parseRefUpdates(input: string): RefUpdate[] {
  return input
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((line) => {
      const m = REF_LINE.exec(line);
      if (!m) throw new Error(`Unexpected ref update line: ${JSON.stringify(line)}`);
      return { oldSha: m[1]!, newSha: m[2]!, ref: m[3]! };
    });
}

export function isDeletion(update: RefUpdate): boolean {
  return /^0+$/.test(update.newSha);
}

/** The updates that need a build: branches that get a new commit. Tags and deletions just go through. */
export function updatesToBuild(updates: RefUpdate[]): RefUpdate[] {
  return updates.filter((u) => u.ref.startsWith('refs/heads/') && !isDeletion(u));
}
