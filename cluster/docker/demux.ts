/**
 * Docker's multiplexed stream (non-TTY attach and logs: an 8-byte header — stream, 0, 0, 0, size —
 * before each payload) read in one pass, payload pieces handed on as they arrive without gathering
 * whole frames. The source is read only as fast as `onPayload` takes it: when it returns a promise,
 * nothing more is read until it resolves, so a slow consumer holds the writer back instead of
 * filling the core's memory.
 */
import type { Readable } from 'node:stream';

/** 1 = stdout, 2 = stderr (0 = stdin, never sent to us). */
export type StreamKind = 0 | 1 | 2;

/** `frameStart`: this piece begins a frame (for logs with timestamps, a frame is one log entry). */
export type PayloadSink = (payload: Buffer, stream: StreamKind, frameStart: boolean) => void | Promise<void>;

/** Resolves when the source ended, closed or failed (a broken stream ends what we can read). */
export async function demux(source: Readable, onPayload: PayloadSink): Promise<void> {
  const header = Buffer.alloc(8);
  let headerFill = 0;
  let remaining = 0;
  let kind: StreamKind = 1;
  let frameStart = false;
  /** Not multiplexed after all (a TTY container): everything is stdout. */
  let raw = false;
  try {
    for await (const data of source as AsyncIterable<Buffer>) {
      const chunk = typeof data === 'string' ? Buffer.from(data) : data;
      if (raw) {
        await onPayload(chunk, 1, false);
        continue;
      }
      let at = 0;
      while (at < chunk.length) {
        if (remaining === 0) {
          const take = Math.min(8 - headerFill, chunk.length - at);
          chunk.copy(header, headerFill, at, at + take);
          headerFill += take;
          at += take;
          if (headerFill < 8) break;
          headerFill = 0;
          const type = header[0]!;
          if (type > 2 || header[1] !== 0 || header[2] !== 0 || header[3] !== 0) {
            raw = true;
            await onPayload(Buffer.concat([Buffer.from(header), chunk.subarray(at)]), 1, false);
            break;
          }
          kind = type as StreamKind;
          remaining = header.readUInt32BE(4);
          frameStart = true;
          continue;
        }
        const take = Math.min(remaining, chunk.length - at);
        const piece = chunk.subarray(at, at + take);
        at += take;
        remaining -= take;
        const wait = onPayload(piece, kind, frameStart);
        frameStart = false;
        if (wait) await wait;
      }
    }
  } catch {
    // The engine closed the connection (the container went away, or dockerd did): that is the end.
  }
}
