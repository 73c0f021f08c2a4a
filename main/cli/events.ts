/**
 * Server-sent events as the desktop API sends them (`GET …/logs/`, `POST …/run/`): `event:` and
 * `data:` fields, a blank line ending each event, `:` comments. Every event is bounded: a stream
 * that sends a longer one is refused, not buffered.
 */
import { MAX_CLI_STREAM_EVENT_CHARS } from '../contract/limits';
import { CliError } from './errors';

export interface StreamEvent {
  /** `message` when the event names none. */
  event: string;
  data: string;
}

export async function* readEvents(
  body: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  limit = MAX_CLI_STREAM_EVENT_CHARS,
): AsyncIterable<StreamEvent> {
  const decoder = new TextDecoder();
  let pending = '';
  let event = '';
  let data: string[] = [];
  let size = 0;
  const tooLong = () =>
    new CliError(
      `The controller sent an event longer than ${limit} characters; stopped reading. Is the URL a Deis Desktop core?`,
    );
  for await (const chunk of body) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, at).replace(/\r$/, '');
      pending = pending.slice(at + 1);
      if (line === '') {
        if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
        event = '';
        data = [];
        size = 0;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if ((size += value.length) > limit) throw tooLong();
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (pending.length + size > limit) throw tooLong();
  }
}
