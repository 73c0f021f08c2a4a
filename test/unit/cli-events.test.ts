/** The CLI's reader of the desktop API's server-sent events: fields, comments, pieces, and its bound. */
import { describe, expect, it } from 'vitest';
import { readEvents } from '../../main/cli/events';
import { parseLogLine } from '../../main/contract/log-lines';

async function all(chunks: string[], limit?: number) {
  const seen: { event: string; data: string }[] = [];
  for await (const e of readEvents(chunks, limit)) seen.push(e);
  return seen;
}

describe('readEvents', () => {
  it('reads events split anywhere, with CRLF, comments and multi-line data', async () => {
    const stream =
      'data: one\n\n: following\n\nevent: output\r\ndata: {"text":"a"}\r\n\r\ndata: x\ndata: y\n\n';
    const pieces = stream.match(/.{1,3}/gs)!;
    expect(await all(pieces)).toEqual([
      { event: 'message', data: 'one' },
      { event: 'output', data: '{"text":"a"}' },
      { event: 'message', data: 'x\ny' },
    ]);
  });

  it('refuses an event longer than its limit instead of buffering it', async () => {
    await expect(all(['data: ', 'x'.repeat(50)], 40)).rejects.toThrow(/longer than 40 characters/);
    await expect(all(['data: 12345\ndata: 12345\n'], 8)).rejects.toThrow(/longer than 8 characters/);
    expect(await all(['data: 12345\n\ndata: 12345\n\n'], 8)).toHaveLength(2);
  });
});

describe('parseLogLine', () => {
  it("reads a process's lines and the controller's, and nothing else", () => {
    expect(parseLogLine('2026-11-29T23:50:01+00:00 myapp[web.v3.x7r4f]: GET / 200')).toEqual({
      time: '2026-11-29T23:50:01+00:00',
      source: 'myapp',
      type: 'web',
      message: 'GET / 200',
    });
    expect(parseLogLine('2026-11-29T23:50:02+00:00 deis[controller]: INFO config myapp updated')).toEqual({
      time: '2026-11-29T23:50:02+00:00',
      source: 'deis',
      type: 'controller',
      message: 'INFO config myapp updated',
    });
    expect(parseLogLine('myapp-v3-web-x7r4f -- GET / 200')).toBeUndefined();
    expect(parseLogLine('INFO [myapp]: deploying v3')).toBeUndefined();
  });
});
