/**
 * The run stage's streams keep bounded memory whatever their reader does: a run's output waits for
 * a slow client (holding the command back), a slow log follower skips lines with a marker, a slow
 * task-event client is dropped, and the JSON answer of a run keeps only the end of its output.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { demux } from '../../cluster/docker/demux';
import { LogStore } from '../../cluster/docker/log-store';
import { OutputTail } from '../../cluster/output-tail';
import { runChannel, taskEvents } from '../../main/api/sse';
import type { TaskEvent } from '../../main/contract/tasks';

const frame = (stream: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('OutputTail', () => {
  it('keeps everything up to its size', () => {
    const tail = new OutputTail(10);
    tail.append('abc');
    tail.append('def');
    expect(tail.text()).toBe('abcdef');
  });
  it('keeps the last characters and says how many came before', () => {
    const tail = new OutputTail(10);
    for (let i = 0; i < 1000; i++) tail.append('0123456789ab');
    tail.append('XYZ');
    expect(tail.dropped).toBe(12 * 1000 + 3 - 10);
    expect(tail.text()).toBe(
      '[11993 earlier characters of output were dropped; only the last 10 are kept here]\n56789abXYZ',
    );
    const big = new OutputTail(4);
    big.append('hello world');
    expect(big.text()).toMatch(/^\[7 earlier .*\]\norld$/);
  });
});

describe('demux', () => {
  it('hands on payloads of frames split anywhere, and waits while the sink does', async () => {
    const source = new PassThrough();
    const got: string[] = [];
    let release: (() => void) | undefined;
    const done = demux(source, (payload, kind) => {
      got.push(`${kind}:${payload.toString()}`);
      if (payload.toString() === 'hold') return new Promise<void>((r) => (release = r));
    });
    const bytes = Buffer.concat([frame(1, 'hello '), frame(2, 'hold'), frame(1, 'world')]);
    source.write(bytes.subarray(0, 3));
    source.write(bytes.subarray(3, 20));
    source.end(bytes.subarray(20));
    await new Promise((r) => setTimeout(r, 50));
    expect(got.join('|')).toBe('1:hello |2:hold');
    release!();
    await done;
    expect(got.join('').replace(/[12]:/g, '')).toBe('hello holdworld');
  });
});

describe('runChannel', () => {
  it('makes the command wait when the client does not read, and sends every piece in order', async () => {
    const channel = runChannel(100);
    let finish: (r: { exit_code: number }) => void = () => {};
    const events = channel.events(new Promise((r) => (finish = r)))[Symbol.asyncIterator]();
    expect(channel.output('a'.repeat(60))).toBeUndefined();
    const held = channel.output('b'.repeat(60));
    expect(held).toBeInstanceOf(Promise);
    let resumed = false;
    void held!.then(() => (resumed = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(resumed).toBe(false);
    const first = await events.next();
    expect(first.value).toBe(
      `event: output\ndata: ${JSON.stringify({ text: 'a'.repeat(60) + 'b'.repeat(60) })}\n\n`,
    );
    await new Promise((r) => setTimeout(r, 0));
    expect(resumed).toBe(true);
    finish({ exit_code: 3 });
    expect((await events.next()).value).toBe('event: exit\ndata: {"exit_code":3}\n\n');
    expect((await events.next()).done).toBe(true);
  });

  it('lets a held command go on when its client goes away', async () => {
    const channel = runChannel(10);
    const events = channel.events(new Promise(() => {}))[Symbol.asyncIterator]();
    const held = channel.output('x'.repeat(20));
    await events.next();
    await events.return!(undefined);
    await held;
    expect(channel.output('y'.repeat(1000))).toBeUndefined();
  });
});

describe('taskEvents', () => {
  it('drops a client that lets more than its limit wait', async () => {
    let listener: (e: TaskEvent) => void = () => {};
    const stream = taskEvents(
      (l) => {
        listener = l;
        return () => {};
      },
      new AbortController().signal,
      1000,
    )[Symbol.asyncIterator]();
    expect((await stream.next()).value).toBe(': connected\n\n');
    for (let i = 0; i < 100; i++)
      listener({ type: 'task.log', task: 't', line: 'x'.repeat(100) } as unknown as TaskEvent);
    expect((await stream.next()).done).toBe(true);
  });
});

describe('LogStore.follow', () => {
  it('skips lines for a reader that falls behind, then says how many', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-logs-'));
    try {
      const store = new LogStore(dir);
      const abort = new AbortController();
      const lines = store.follow('app', abort.signal, 100)[Symbol.asyncIterator]();
      const first = lines.next();
      store.append('app', ['one']);
      expect((await first).value).toBe('one');
      // The reader takes nothing while 50 lines of 10 characters are written.
      for (let i = 0; i < 50; i++) store.append('app', [`line ${String(i).padStart(5, '0')}`]);
      const seen: string[] = [];
      for (let i = 0; i < 11; i++) seen.push((await lines.next()).value as string);
      expect(seen.slice(0, 10)).toEqual(
        Array.from({ length: 10 }, (_, i) => `line ${String(i).padStart(5, '0')}`),
      );
      expect(seen[10]).toMatch(
        /^\S+ deis\[controller\]: WARN 40 log line\(s\) skipped here: this reader took them more slowly than app wrote them$/,
      );
      store.append('app', ['after']);
      expect((await lines.next()).value).toBe('after');
      abort.abort();
      expect((await lines.next()).done).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps one line one line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-logs-'));
    try {
      const store = new LogStore(dir);
      store.append('app', ['INFO [app]: running `echo a\nevent: exit` with v2']);
      expect(store.tail('app', 10)).toEqual(['INFO [app]: running `echo a', 'event: exit` with v2']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
