/**
 * A console command's server-sent events (POST, so fetch with the token in a header): `output`
 * pieces as they come, then `exit` with the exit code or `error` with why it stopped. Aborting the
 * signal closes the stream, and the core kills the command.
 */
import { ApiError, currentToken, errorMessage } from '../../src/api';

export interface ExecHandlers {
  onOutput(text: string): void;
  onExit(code: number): void;
  onError(detail: string): void;
}

export async function execStream(
  app: string,
  pod: string,
  command: string,
  handlers: ExecHandlers,
  signal: AbortSignal,
): Promise<void> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
  const token = currentToken();
  if (token) headers.Authorization = `token ${token}`;
  let res: Response;
  try {
    res = await fetch(`/v2/desktop/apps/${encodeURIComponent(app)}/pods/${encodeURIComponent(pod)}/exec/`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ command }),
      signal,
    });
  } catch {
    if (signal.aborted) return;
    throw new ApiError(0, 'The Deis Desktop core is not answering; is it running?');
  }
  if (!res.ok || !res.body) {
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // A text body is its own message.
    }
    if (res.status === 404 && !text.includes('does not exist'))
      throw new ApiError(404, 'This core has no console yet: update Deis Desktop.');
    throw new ApiError(res.status, errorMessage(res.status, parsed));
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let name = 'message';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end).replace(/\r$/, '');
        buffer = buffer.slice(end + 1);
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) {
          const data = JSON.parse(line.slice(5)) as { text?: string; exit_code?: number; detail?: string };
          if (name === 'output') handlers.onOutput(data.text ?? '');
          else if (name === 'exit') handlers.onExit(data.exit_code ?? -1);
          else if (name === 'error') handlers.onError(data.detail ?? 'The command could not run.');
        } else if (line === '') name = 'message';
      }
    }
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  }
}
