/** Server-sent event streams of the desktop API: log lines as they are written, a run's output as it comes. */
import { DeisError } from '../contract/errors';
import { MAX_STREAM_BACKLOG_CHARS } from '../contract/limits';
import type { TaskEvent } from '../contract/tasks';

/** One log line per `data:` event; a comment marks where history ends and following begins. */
export async function* logEvents(recent: string[], live: AsyncIterable<string>): AsyncIterable<string> {
  for (const line of recent) yield `data: ${line}\n\n`;
  yield ': following\n\n';
  for await (const line of live) yield `data: ${line}\n\n`;
}

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/** Output pieces waiting for the client are sent together, up to this many characters per event. */
const OUTPUT_EVENT_CHARS = 64 * 1024;

/**
 * A one-off command's output on its way to one client, as `output` events (`{"text"}`), then one
 * `exit` event (`{"exit_code"}`), or an `error` event (`{"detail"}`) when it could not run. At most
 * `limit` characters wait for the client: past that, `output` answers with a promise that resolves
 * when the client has read enough, which holds the command back (nothing is dropped).
 */
export function runChannel(limit = MAX_STREAM_BACKLOG_CHARS): {
  output: (text: string) => void | Promise<void>;
  events: (done: Promise<{ exit_code: number }>) => AsyncIterable<string>;
} {
  let queue: string[] = [];
  let head = 0;
  let queued = 0;
  let closed = false;
  let wake: (() => void) | undefined;
  let room: (() => void)[] = [];
  const letIn = () => {
    const waiting = room;
    room = [];
    for (const resume of waiting) resume();
  };
  const output = (text: string): void | Promise<void> => {
    if (closed || text === '') return;
    queue.push(text);
    queued += text.length;
    wake?.();
    if (queued > limit) return new Promise<void>((resolve) => room.push(resolve));
  };
  /** The queued output as one piece of at most OUTPUT_EVENT_CHARS (or one longer piece). */
  const take = (): string => {
    let text = queue[head++]!;
    while (head < queue.length && text.length + queue[head]!.length <= OUTPUT_EVENT_CHARS)
      text += queue[head++]!;
    if (head === queue.length) {
      queue = [];
      head = 0;
    }
    queued -= text.length;
    if (queued <= limit) letIn();
    return text;
  };
  // Handlers go on `done` at once: it may fail before the client asks for the first event.
  const events = (done: Promise<{ exit_code: number }>): AsyncIterable<string> => {
    let finished: { exit_code: number } | { detail: string } | undefined;
    void done.then(
      (result) => {
        finished = { exit_code: result.exit_code };
        wake?.();
      },
      (err: unknown) => {
        finished = { detail: err instanceof DeisError ? err.message : 'The command could not run.' };
        wake?.();
      },
    );
    return stream(() => finished);
  };
  async function* stream(
    result: () => { exit_code: number } | { detail: string } | undefined,
  ): AsyncIterable<string> {
    try {
      for (;;) {
        while (head < queue.length) yield event('output', { text: take() });
        const finished = result();
        if (finished) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      const finished = result()!;
      yield 'exit_code' in finished ? event('exit', finished) : event('error', finished);
    } finally {
      // The client went away: the command (killed by then) must not wait for room that never comes.
      closed = true;
      queue = [];
      letIn();
    }
  }
  return { output, events };
}

/** How often a quiet stream gets a comment, so idle timers and proxies keep it open. */
const PING_MS = 15_000;

/**
 * Task events (`event: task.started` … with the event as JSON) as they happen, until the client
 * goes away; `subscribe` registers a listener and returns how to remove it. A client that lets more
 * than `limit` characters wait is dropped: it reconnects and asks for the current state.
 */
export async function* taskEvents<E extends { type: string } = TaskEvent>(
  subscribe: (listener: (e: E) => void) => () => void,
  signal: AbortSignal,
  limit = MAX_STREAM_BACKLOG_CHARS,
): AsyncIterable<string> {
  let queue: string[] = [];
  let queued = 0;
  let tooSlow = false;
  let wake: (() => void) | undefined;
  const push = (chunk: string) => {
    if (tooSlow) return;
    queue.push(chunk);
    queued += chunk.length;
    if (queued > limit) {
      tooSlow = true;
      queue = [];
    }
    wake?.();
  };
  const unsubscribe = subscribe((e) => push(event(e.type, e)));
  const ping = setInterval(() => push(': ping\n\n'), PING_MS);
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    yield ': connected\n\n';
    while (!signal.aborted && !tooSlow) {
      const ready = queue;
      queue = [];
      queued = 0;
      for (const chunk of ready) yield chunk;
      if (queue.length || tooSlow) continue;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    unsubscribe();
    clearInterval(ping);
    signal.removeEventListener('abort', onAbort);
  }
}
