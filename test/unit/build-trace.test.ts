/**
 * BuildKit's progress as the Docker engine streams it, read from real builds: the fixtures are the
 * `POST /build?version=2` answers of Debian 12's dockerd 20.10.24 (docker.io), captured as they came.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BuildTrace, CLIPPED_HINT, decodeTrace } from '../../cluster/docker/build-trace';
import { BUILD_TRACE_MAX_NAME_CHARS, BUILD_TRACE_MAX_STEPS } from '../../main/contract/limits';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'buildkit-trace');

function replay(file: string): string[] {
  const out: string[] = [];
  const trace = new BuildTrace((l) => out.push(l));
  for (const line of fs.readFileSync(path.join(FIXTURES, file), 'utf8').split('\n')) {
    if (!line) continue;
    const m = JSON.parse(line) as { id?: string; aux?: unknown };
    if (m.id === 'moby.buildkit.trace' && typeof m.aux === 'string') trace.add(m.aux);
  }
  trace.end();
  return out;
}

/** A protobuf field: key, then a varint or length-delimited bytes. */
function field(n: number, value: Buffer | number): Buffer {
  if (typeof value === 'number') return Buffer.from([n * 8, value]);
  const len: number[] = [];
  let l = value.length;
  do {
    len.push((l & 0x7f) | (l > 0x7f ? 0x80 : 0));
    l >>= 7;
  } while (l > 0);
  return Buffer.concat([Buffer.from([n * 8 + 2, ...len]), value]);
}
const vertex = (digest: string, name: string, extra: Buffer[] = []) =>
  field(1, Buffer.concat([field(1, Buffer.from(digest)), field(3, Buffer.from(name)), ...extra]));

describe('BuildKit build progress', () => {
  it('shows each step once, with what RUN printed and the error, in the order they ran', () => {
    expect(replay('run-fails.jsonl')).toEqual([
      '#1 copy /context /',
      '#1 DONE 2.0s',
      '#2 [1/3] FROM docker.io/deis-desktop/stack:bookworm',
      '#2 CACHED',
      '#3 [2/3] COPY a.txt /a.txt',
      '#3 DONE 0.1s',
      '#4 [3/3] RUN echo hello from run && echo to stderr >&2 && exit 3',
      '#4 hello from run',
      '#4 to stderr',
      '#4 ERROR: executor failed running [/bin/sh -c echo hello from run && echo to stderr >&2 && exit 3]: exit code: 3',
    ]);
  });

  it('hides the engine bookkeeping steps of a build that succeeds', () => {
    const lines = replay('python-http.jsonl');
    expect(lines.some((l) => l.includes('[internal]'))).toBe(false);
    expect(lines).toContain('#3 [2/3] COPY app.py /srv/app.py');
    expect(lines[lines.length - 1]).toMatch(/^#\d+ DONE \d+\.\ds$/);
  });

  it('drops a message that is not a StatusResponse, whole, and goes on', () => {
    expect(decodeTrace(Buffer.from([0x0a, 0x50, 0x01]).toString('base64'))).toBeUndefined();
    const out: string[] = [];
    const trace = new BuildTrace((l) => out.push(l));
    trace.add(Buffer.from([0x0a, 0xff, 0xff, 0xff]).toString('base64'));
    trace.add(vertex('sha256:a', '[1/1] RUN true', [field(6, field(1, 5))]).toString('base64'));
    expect(out).toEqual(['#1 [1/1] RUN true', '#1 DONE 0.0s']);
  });

  it("says once when BuildKit clipped a step's output, and how to keep it all", () => {
    const out: string[] = [];
    const trace = new BuildTrace((l) => out.push(l));
    const log = (msg: string) =>
      field(3, Buffer.concat([field(1, Buffer.from('sha256:r')), field(3, 1), field(4, Buffer.from(msg))]));
    trace.add(vertex('sha256:r', '[2/2] RUN seq 1 300000', [field(5, field(1, 1))]).toString('base64'));
    trace.add(
      Buffer.concat([log('1\n2\n'), log('[output clipped, log limit 200KiB/s reached]\n')]).toString(
        'base64',
      ),
    );
    trace.add(log('[output clipped, log limit 200KiB/s reached]\n').toString('base64'));
    expect(out).toEqual([
      '#1 [2/2] RUN seq 1 300000',
      '#1 1',
      '#1 2',
      '#1 [output clipped, log limit 200KiB/s reached]',
      CLIPPED_HINT,
      '#1 [output clipped, log limit 200KiB/s reached]',
    ]);
  });

  it('bounds the steps it follows, the length of a name, and a name cannot add lines', () => {
    const out: string[] = [];
    const trace = new BuildTrace((l) => out.push(l));
    const many = Buffer.concat(
      Array.from({ length: BUILD_TRACE_MAX_STEPS + 10 }, (_, i) =>
        vertex(`sha256:${i}`, `step ${i}`, [field(5, field(1, 1))]),
      ),
    );
    trace.add(many.toString('base64'));
    expect(out.length).toBe(BUILD_TRACE_MAX_STEPS);
    const long = new BuildTrace((l) => out.push(l));
    out.length = 0;
    long.add(
      vertex('sha256:x', `RUN ${'y'.repeat(10_000)}\nforged line`, [field(5, field(1, 1))]).toString(
        'base64',
      ),
    );
    expect(out).toHaveLength(1);
    expect(out[0]!.length).toBeLessThanOrEqual(BUILD_TRACE_MAX_NAME_CHARS + 4);
    expect(out[0]).not.toContain('\n');
  });
});
