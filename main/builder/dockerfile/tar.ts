/**
 * Streaming tar, just enough for build contexts: write entries, and pass `git archive` through while
 * replacing one file (the Dockerfile) — nothing is held in memory beyond one header.
 */
import fs from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { DOCKERFILE_TAR_HEADER_MAX_BYTES } from '../../contract/limits';

const BLOCK = 512;

export interface Entry {
  name: string;
  mode: number;
  size: number;
  mtime: Date;
  type: 'file' | 'dir';
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** A ustar header (names up to 100 bytes, or split into prefix/name up to 255). */
export function header(e: Entry): Buffer {
  const h = Buffer.alloc(BLOCK);
  let name = Buffer.from(e.name);
  let prefix = Buffer.alloc(0);
  if (name.length > 100) {
    const slash = e.name.lastIndexOf('/', 155);
    if (slash <= 0 || Buffer.byteLength(e.name.slice(slash + 1)) > 100)
      throw new Error(`tar name too long: ${e.name}`);
    prefix = Buffer.from(e.name.slice(0, slash));
    name = Buffer.from(e.name.slice(slash + 1));
  }
  name.copy(h, 0);
  h.write(octal(e.mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(e.type === 'dir' ? 0 : e.size, 12), 124, 'ascii');
  h.write(octal(Math.max(0, Math.floor(e.mtime.getTime() / 1000)), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(e.type === 'dir' ? '5' : '0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  prefix.copy(h, 345);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

export const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
export const END = Buffer.alloc(BLOCK * 2);

/** A tar of `entries`, each file's bytes read from `source` (a path on disk) when the entry is reached. */
export function tarOf(entries: (Entry & { source?: string; content?: Buffer })[]): Readable {
  const out = new PassThrough();
  void (async () => {
    try {
      for (const e of entries) {
        out.write(header(e));
        if (e.type !== 'file') continue;
        if (e.content) out.write(e.content);
        else if (e.source) for await (const chunk of fs.createReadStream(e.source)) out.write(chunk);
        out.write(padding(e.size));
      }
      out.end(END);
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  return out;
}

function field(h: Buffer, start: number, len: number): string {
  const raw = h.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return (nul < 0 ? raw : raw.subarray(0, nul)).toString('utf8');
}

function sizeOf(h: Buffer): number {
  const raw = h.subarray(124, 136);
  if ((raw[0]! & 0x80) !== 0) throw new Error('tar entries this large are not supported');
  return Number.parseInt(field(h, 124, 12).trim() || '0', 8);
}

/** The `path` record of a pax extended header body, if any. */
function paxPath(body: Buffer): string | undefined {
  let i = 0;
  let found: string | undefined;
  while (i < body.length) {
    const space = body.indexOf(0x20, i);
    if (space < 0) break;
    const len = Number.parseInt(body.subarray(i, space).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = body.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') found = record.slice(eq + 1);
    i += len;
  }
  return found;
}

/**
 * `source` (a tar stream such as `git archive`) with the regular file or symlink named `name` at its
 * root replaced by a regular file holding `content`, and the entries `drop` names left out; the
 * end-of-archive marker is kept.
 */
export function replaceFile(
  source: Readable,
  name: string,
  content: Buffer,
  /** Entries (other than `name`) to leave out, by their path in the archive (folders end with `/`). */
  drop?: (entry: string) => boolean,
): Readable {
  const out = new PassThrough();
  let buf: Buffer = Buffer.alloc(0);
  let skip = 0; // bytes of the current entry's body (and padding) still to drop
  let pass = 0; // ... or to copy through
  let pendingPax: Buffer | undefined; // an extended header held until we know whom it describes
  let paxName: string | undefined;
  let ended = false;
  let replaced = false;
  const fail = (err: Error) => {
    source.destroy();
    out.destroy(err);
  };
  const replaceWith = () =>
    Buffer.concat([
      header({ name, mode: 0o644, size: content.length, mtime: new Date(0), type: 'file' }),
      content,
      padding(content.length),
    ]);
  source.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    try {
      while (buf.length > 0) {
        if (ended) {
          out.write(buf);
          buf = Buffer.alloc(0);
          break;
        }
        if (pass > 0) {
          const n = Math.min(pass, buf.length);
          out.write(buf.subarray(0, n));
          buf = buf.subarray(n);
          pass -= n;
          continue;
        }
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          buf = buf.subarray(n);
          skip -= n;
          continue;
        }
        if (buf.length < BLOCK) break;
        const h = buf.subarray(0, BLOCK);
        if (h.every((b) => b === 0)) {
          if (pendingPax) out.write(pendingPax);
          // Whatever the archive held, the engine must read our Dockerfile and no other.
          if (!replaced) out.write(replaceWith());
          ended = true;
          continue;
        }
        const size = sizeOf(h);
        const body = size + padding(size).length;
        const type = String.fromCharCode(h[156]!);
        if (type === 'x') {
          // Hold the extended header and its body: it may rename the next entry.
          if (BLOCK + body > DOCKERFILE_TAR_HEADER_MAX_BYTES)
            throw new Error('a tar extended header is too large');
          if (buf.length < BLOCK + body) break;
          pendingPax = Buffer.from(buf.subarray(0, BLOCK + body));
          paxName = paxPath(buf.subarray(BLOCK, BLOCK + size));
          buf = buf.subarray(BLOCK + body);
          continue;
        }
        const prefix = field(h, 345, 155);
        const entryName = paxName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
        const isTarget = entryName === name && (type === '0' || type === '\0' || type === '2');
        if (isTarget) {
          out.write(replaceWith());
          replaced = true;
          skip = BLOCK + body;
        } else if (drop?.(entryName)) {
          skip = BLOCK + body;
        } else {
          if (pendingPax) out.write(pendingPax);
          pass = BLOCK + body;
        }
        pendingPax = undefined;
        paxName = undefined;
      }
    } catch (err) {
      fail(err as Error);
    }
    if (out.writableNeedDrain) {
      source.pause();
      out.once('drain', () => source.resume());
    }
  });
  source.once('error', (err) => out.destroy(err));
  source.once('end', () => {
    if (!ended) out.destroy(new Error('the source archive ended early'));
    else out.end();
  });
  return out;
}
