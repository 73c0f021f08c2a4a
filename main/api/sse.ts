/** Server-sent event streams of the desktop API: log lines as they are written, a run's output as it comes. */
import { DeisError } from '../contract/errors';
import type { TaskEvent } from '../contract/tasks';

/** One log line per `data:` event; a comment marks where history ends and following begins. */
export async function* logEvents(recent: string[], live: AsyncIterable<string>): AsyncIterable<string> {
  for (const line of recent) yield `data: ${line}\n\n`;
  yield ': following\n\n';
  for await (const line of live) yield `data: ${line}\n\n`;
}

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * A one-off command's output as `output` events (`{"text"}`), then one `exit` event
 * (`{"exit_code"}`), or an `error` event (`{"detail"}`) when it could not run.
 */
export async function* runEvents(
  start: (output: (text: string) => void) => Promise<{ exit_code: number }>,
): AsyncIterable<string> {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let finished: { exit_code: number } | { detail: string } | undefined;
  void start((text) => {
    queue.push(text);
    wake?.();
  }).then(
    (result) => {
      finished = { exit_code: result.exit_code };
      wake?.();
    },
    (err: unknown) => {
      finished = { detail: err instanceof DeisError ? err.message : 'The command could not run.' };
      wake?.();
    },
  );
  for (;;) {
    while (queue.length) yield event('output', { text: queue.shift() });
    if (finished) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  yield 'exit_code' in finished ? event('exit', finished) : event('error', finished);
}

/** How often a quiet stream gets a comment, so idle timers and proxies keep it open. */
const PING_MS = 15_000;

/**
 * Task events (`event: task.started` … with the event as JSON) as they happen, until the client
 * goes away; `subscribe` registers a listener and returns how to remove it.
 */
export async function* taskEvents(
  subscribe: (listener: (e: TaskEvent) => void) => () => void,
  signal: AbortSignal,
): AsyncIterable<string> {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  const push = (chunk: string) => {
    queue.push(chunk);
    wake?.();
  };
  const unsubscribe = subscribe((e) => push(event(e.type, e)));
  const ping = setInterval(() => push(': ping\n\n'), PING_MS);
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    yield ': connected\n\n';
    while (!signal.aborted) {
      while (queue.length) yield queue.shift()!;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    unsubscribe();
    clearInterval(ping);
    signal.removeEventListener('abort', onAbort);
  }
}
