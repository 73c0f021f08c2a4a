/**
 * Request bodies, read only once the request may proceed (after the Host, Origin and token checks):
 * a size limit per request, a budget of body bytes in flight across all requests, and the knowledge
 * of whether a refused body is still on the wire (then the connection is closed rather than read to
 * the end). V8 parses JSON without recursion, so depth is bounded by the size limit here; the fields
 * that take nested JSON refuse deep nesting with their own message (Controller inputs).
 */
import type http from 'node:http';
import { API_DRAIN_LIMIT } from '../contract/limits';
import { DeisError } from '../contract/errors';

const kib = (n: number) => `${Math.round(n / 1024)} KiB`;

/** Body bytes being received or held by requests that have not been answered yet. */
export class BodyBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.used;
  }

  take(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used -= bytes;
  }
}

const tooLarge = (limit: number) =>
  new DeisError(
    'payload_too_large',
    `The request body is larger than the ${kib(limit)} this endpoint accepts; send less at once.`,
  );

const busy = () =>
  new DeisError(
    'unavailable',
    'The core is receiving too many large requests at once; try again in a moment.',
  );

/** One request's body: read it (within `limit`), and give its bytes back to the budget when answered. */
export class RequestBody {
  private reserved = 0;
  private state: 'unread' | 'reading' | 'read' | 'refused' = 'unread';

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly budget: BodyBudget,
  ) {}

  /** The declared length, when the client sent one. */
  private get declared(): number | undefined {
    const raw = this.req.headers['content-length'];
    return raw === undefined ? undefined : Number(raw);
  }

  /**
   * Whether answering now would leave a body on the wire too big to read and drop: then the answer
   * closes the connection. Small unread bodies are drained by Node so keep-alive stays usable.
   */
  get mustClose(): boolean {
    if (this.state === 'read') return false;
    if (this.state === 'refused' || this.state === 'reading') return true;
    if (this.req.complete) return false;
    const declared = this.declared;
    return declared === undefined
      ? this.req.headers['transfer-encoding'] !== undefined
      : declared > API_DRAIN_LIMIT;
  }

  /** Reads the whole body, refusing it (413, or 503 when the budget is spent) before buffering too much. */
  async read(limit: number): Promise<Buffer> {
    const declared = this.declared;
    if (declared !== undefined && declared > limit) {
      this.state = 'refused';
      throw tooLarge(limit);
    }
    if (declared) this.reserve(declared);
    this.state = 'reading';
    // Told to wait for "100 Continue": only now that the request may proceed.
    if (/^100-continue$/i.test(this.req.headers.expect ?? '')) this.res.writeContinue();
    const chunks: Buffer[] = [];
    let size = 0;
    await new Promise<void>((resolve, reject) => {
      const stop = (err: Error) => {
        this.state = 'refused';
        cleanup();
        this.req.pause();
        reject(err);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) return stop(tooLarge(limit));
        // A chunked body (or one longer than it said) takes from the budget as it arrives.
        if (size > this.reserved && !this.reserve(size - this.reserved, false)) return stop(busy());
        chunks.push(chunk);
      };
      const onEnd = () => {
        cleanup();
        resolve();
      };
      const onClose = () =>
        stop(new DeisError('bad_request', 'The client went away while sending the body.'));
      const cleanup = () => {
        this.req.off('data', onData);
        this.req.off('end', onEnd);
        this.req.off('error', onClose);
        this.req.off('aborted', onClose);
      };
      this.req.on('data', onData);
      this.req.on('end', onEnd);
      this.req.on('error', onClose);
      this.req.on('aborted', onClose);
    });
    this.state = 'read';
    return Buffer.concat(chunks, size);
  }

  /**
   * The body as it arrives, for routes that take a file (a backup to restore): never held whole,
   * so it takes nothing from the budget; more than `limit` bytes (declared or sent) is a 413.
   */
  stream(limit: number): AsyncIterable<Buffer> {
    const declared = this.declared;
    if (declared !== undefined && declared > limit) {
      this.state = 'refused';
      throw tooLarge(limit);
    }
    if (/^100-continue$/i.test(this.req.headers.expect ?? '')) this.res.writeContinue();
    return { [Symbol.asyncIterator]: () => this.chunks(limit) };
  }

  private async *chunks(limit: number): AsyncGenerator<Buffer> {
    this.state = 'reading';
    let size = 0;
    for await (const chunk of this.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        this.state = 'refused';
        throw tooLarge(limit);
      }
      yield chunk;
    }
    this.state = 'read';
  }

  private reserve(bytes: number, throwing = true): boolean {
    if (this.budget.take(bytes)) {
      this.reserved += bytes;
      return true;
    }
    if (!throwing) return false;
    this.state = 'refused';
    throw busy();
  }

  /** Gives the body's bytes back to the budget (when the request has been answered). */
  release(): void {
    this.budget.give(this.reserved);
    this.reserved = 0;
  }
}

/** The JSON in a body; `undefined` for an empty one. */
export function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DeisError('bad_request', `JSON parse error - ${(err as Error).message}`);
  }
}
