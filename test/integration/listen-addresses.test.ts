/** Nothing the core starts listens on any address but 127.0.0.1 (API, builder SSH, hook bridge). */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCore, type TestCore } from '../support/core';

let t: TestCore;
beforeAll(async () => {
  t = await startTestCore();
});
afterAll(() => t.stop());

/** Listening TCP sockets of this process, as `ss` reports them: "addr:port". */
function listeningSockets(): string[] {
  const out = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(`pid=${process.pid},`))
    .map((line) => line.trim().split(/\s+/)[3]!);
}

describe('listening addresses', () => {
  it('binds every server of the core to 127.0.0.1 only', () => {
    const sockets = listeningSockets();
    // The API and the builder at least; the hook bridge too.
    expect(sockets).toContain(`127.0.0.1:${t.core.apiPort}`);
    expect(sockets).toContain(`127.0.0.1:${t.core.builderPort}`);
    expect(sockets.length).toBeGreaterThanOrEqual(3);
    for (const s of sockets) expect(s, `a socket listens on ${s}`).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});
