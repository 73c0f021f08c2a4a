/**
 * The progress of a BuildKit build, as the Docker engine streams it: each `moby.buildkit.trace`
 * message's `aux` is a base64 protobuf `StatusResponse` (BuildKit's control.proto): vertexes (the
 * steps, with their name, whether they came from the cache, when they started and completed, and
 * their error), statuses (transfer counters; not shown) and logs (what a RUN printed). `BuildTrace`
 * turns them into the lines a pusher reads, in the spirit of `docker build --progress=plain`:
 *
 *   #3 [2/4] COPY app.py /srv/app.py
 *   #3 DONE 0.1s
 *   #4 [3/4] RUN make
 *   #4 cc -o app app.c
 *   #4 ERROR: executor failed running [/bin/sh -c make]: exit code: 2
 *
 * Only the fields shown are decoded; everything else is skipped by its wire type, so a newer engine's
 * extra fields change nothing. Every count is bounded: the steps remembered, each step's name, and
 * each RUN line (through the line splitter). A message that does not decode is dropped whole.
 */
import { BUILD_TRACE_MAX_STEPS, BUILD_TRACE_MAX_NAME_CHARS } from '../../main/contract/limits';
import { lineSplitter, type LineSplitter } from './lines';

/** A step of the build as the engine reports it; fields are absent when a message did not carry them. */
export interface TraceVertex {
  digest: string;
  name?: string;
  cached?: boolean;
  /** Seconds since the epoch, with fractions. */
  started?: number;
  completed?: number;
  error?: string;
}

export interface TraceLog {
  vertex: string;
  /** 1 stdout, 2 stderr. */
  stream: number;
  msg: Buffer;
}

export interface TraceMessage {
  vertexes: TraceVertex[];
  logs: TraceLog[];
}

class WireError extends Error {}

/** Protobuf's wire format, read forward: just what a message of strings, bools, ints and nested messages needs. */
class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.at >= this.buf.length;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.buf.length) throw new WireError('truncated varint');
      const b = this.buf[this.at++]!;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new WireError('varint too long');
  }

  bytes(): Buffer {
    const n = this.varint();
    if (n > this.buf.length - this.at) throw new WireError('truncated field');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.advance(8);
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.advance(4);
    else throw new WireError(`wire type ${wire}`);
  }

  /** Each field's number and wire type, until the end. */
  *fields(): Generator<[number, number]> {
    while (!this.done) {
      const key = this.varint();
      yield [Math.floor(key / 8), key % 8];
    }
  }

  private advance(n: number): void {
    if (n > this.buf.length - this.at) throw new WireError('truncated field');
    this.at += n;
  }
}

/** google.protobuf.Timestamp → seconds. */
function timestamp(buf: Buffer): number {
  const r = new Reader(buf);
  let seconds = 0;
  let nanos = 0;
  for (const [field, wire] of r.fields()) {
    if (field === 1 && wire === 0) seconds = r.varint();
    else if (field === 2 && wire === 0) nanos = r.varint();
    else r.skip(wire);
  }
  return seconds + nanos / 1e9;
}

function vertex(buf: Buffer): TraceVertex {
  const r = new Reader(buf);
  const v: TraceVertex = { digest: '' };
  for (const [field, wire] of r.fields()) {
    if (field === 1 && wire === 2) v.digest = r.bytes().toString('utf8');
    else if (field === 3 && wire === 2) v.name = r.bytes().toString('utf8');
    else if (field === 4 && wire === 0) v.cached = r.varint() !== 0;
    else if (field === 5 && wire === 2) v.started = timestamp(r.bytes());
    else if (field === 6 && wire === 2) v.completed = timestamp(r.bytes());
    else if (field === 7 && wire === 2) v.error = r.bytes().toString('utf8');
    else r.skip(wire);
  }
  return v;
}

function log(buf: Buffer): TraceLog {
  const r = new Reader(buf);
  const l: TraceLog = { vertex: '', stream: 1, msg: Buffer.alloc(0) };
  for (const [field, wire] of r.fields()) {
    if (field === 1 && wire === 2) l.vertex = r.bytes().toString('utf8');
    else if (field === 3 && wire === 0) l.stream = r.varint();
    else if (field === 4 && wire === 2) l.msg = r.bytes();
    else r.skip(wire);
  }
  return l;
}

/** One `aux` of a `moby.buildkit.trace` message; undefined when it is not a StatusResponse we can read. */
export function decodeTrace(aux: string): TraceMessage | undefined {
  try {
    const r = new Reader(Buffer.from(aux, 'base64'));
    const out: TraceMessage = { vertexes: [], logs: [] };
    for (const [field, wire] of r.fields()) {
      if (field === 1 && wire === 2) out.vertexes.push(vertex(r.bytes()));
      else if (field === 3 && wire === 2) out.logs.push(log(r.bytes()));
      else r.skip(wire);
    }
    return out;
  } catch (err) {
    if (err instanceof WireError) return undefined;
    throw err;
  }
}

interface Step {
  n: number;
  name: string;
  shown: boolean;
  ended: boolean;
  started?: number;
  lines?: LineSplitter;
}

/** What BuildKit writes in place of a step's output once it passes its log limits (200 KiB/s, 1 MiB). */
const CLIPPED = /^\[output clipped, log limit/;

/** Said once per build after BuildKit clipped a step's output: the tail of that output is gone. */
export const CLIPPED_HINT =
  "-----> BuildKit dropped the rest of this step's output (it keeps at most 200 KiB a second and 1 MiB per step); the build's result and error still follow. Set DEIS_BUILDKIT=0 on the core to build with the legacy builder, which keeps it all.";

/** BuildKit's own bookkeeping steps (loading the context and the Dockerfile): shown only when they fail. */
const INTERNAL = /^\[internal\]/;

/** Turns the trace messages of one build into lines, each step numbered in the order it first showed. */
export class BuildTrace {
  private readonly steps = new Map<string, Step>();
  private next = 1;
  private clipped = false;

  constructor(private readonly say: (line: string) => void) {}

  /** One `aux` value of a `moby.buildkit.trace` message. */
  add(aux: string): void {
    const message = decodeTrace(aux);
    if (!message) return;
    for (const v of message.vertexes) this.vertex(v);
    for (const l of message.logs) {
      const step = this.steps.get(l.vertex);
      if (!step) continue;
      this.show(step);
      step.lines ??= lineSplitter((line) => {
        this.say(`#${step.n} ${line}`);
        if (!this.clipped && CLIPPED.test(line)) {
          this.clipped = true;
          this.say(CLIPPED_HINT);
        }
      });
      step.lines.write(l.msg);
    }
  }

  /** The build ended: what a step printed without a last newline is passed on. */
  end(): void {
    for (const step of this.steps.values()) step.lines?.end();
  }

  private vertex(v: TraceVertex): void {
    if (!v.digest) return;
    let step = this.steps.get(v.digest);
    if (!step) {
      if (this.steps.size >= BUILD_TRACE_MAX_STEPS) return;
      step = { n: 0, name: '', shown: false, ended: false };
      this.steps.set(v.digest, step);
    }
    if (v.name) step.name = v.name.slice(0, BUILD_TRACE_MAX_NAME_CHARS).replace(/[\r\n]+/g, ' ');
    if (v.started !== undefined) step.started ??= v.started;
    if (step.ended) return;
    if (v.error) {
      this.show(step);
      step.lines?.end();
      this.say(`#${step.n} ERROR: ${v.error.replace(/[\r\n]+/g, ' ').slice(0, BUILD_TRACE_MAX_NAME_CHARS)}`);
      step.ended = true;
    } else if (v.cached) {
      if (INTERNAL.test(step.name)) return;
      this.show(step);
      this.say(`#${step.n} CACHED`);
      step.ended = true;
    } else if (v.completed !== undefined) {
      if (INTERNAL.test(step.name) && !step.shown) return;
      this.show(step);
      step.lines?.end();
      const took = step.started !== undefined ? Math.max(0, v.completed - step.started) : 0;
      this.say(`#${step.n} DONE ${took.toFixed(1)}s`);
      step.ended = true;
    } else if (v.started !== undefined && !INTERNAL.test(step.name)) this.show(step);
  }

  /** Steps are numbered as they are first shown, so hidden bookkeeping steps leave no gaps. */
  private show(step: Step): void {
    if (step.shown) return;
    step.shown = true;
    step.n = this.next++;
    this.say(`#${step.n} ${step.name || '(unnamed step)'}`);
  }
}
