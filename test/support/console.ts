/** The process console as a client uses it: `POST /v2/desktop/apps/<app>/pods/<pod>/exec/` and its events. */

export interface ConsoleAnswer {
  status: number;
  /** Every output event's text, in order. */
  output: string;
  exit?: number;
  error?: string;
  /** The whole answer as it came. */
  text: string;
}

/** Reads the server-sent events of one console command. */
export function parseConsoleEvents(text: string): Omit<ConsoleAnswer, 'status' | 'text'> {
  let output = '';
  let exit: number | undefined;
  let error: string | undefined;
  for (const block of text.split('\n\n')) {
    const name = /^event: (\w+)/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (!name || data === undefined) continue;
    const json = JSON.parse(data) as { text?: string; exit_code?: number; detail?: string };
    if (name === 'output') output += json.text ?? '';
    if (name === 'exit') exit = json.exit_code;
    if (name === 'error') error = json.detail;
  }
  return { output, exit, error };
}

/** Starts a console command; the answer's body is still to be read. */
export function consoleRequest(
  url: string,
  token: string | undefined,
  app: string,
  pod: string,
  command: unknown,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${url}/v2/desktop/apps/${app}/pods/${pod}/exec/`, {
    method: 'POST',
    headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ command }),
    signal,
  });
}

/** Runs a console command to its end. */
export async function consoleExec(
  url: string,
  token: string | undefined,
  app: string,
  pod: string,
  command: unknown,
): Promise<ConsoleAnswer> {
  const res = await consoleRequest(url, token, app, pod, command);
  const text = await res.text();
  return { status: res.status, text, ...parseConsoleEvents(text) };
}

/** Reads a streaming answer until its text holds `mark`. */
export async function readUntil(res: Response, mark: string): Promise<void> {
  const reader = res.body!.getReader();
  let seen = '';
  while (!seen.includes(mark)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the answer ended before "${mark}": ${seen}`);
    seen += new TextDecoder().decode(value);
  }
}

/** A console command that prints how many processes of the container run `sleep <seconds>`. */
export const countSleeping = (seconds: number): string =>
  `for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done | grep -c "^sleep ${seconds}[ ]*$"`;
