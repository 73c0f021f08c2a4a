/**
 * The console: a command inside a live process's container (`docker exec`, `/bin/sh -c`, as the
 * process's user and with its environment, which an exec inherits). Output is handed on as it comes,
 * as fast as the receiver takes it: a receiver that waits holds the command's writes back.
 *
 * Docker cannot kill an exec, and closing its stream leaves a quiet command running. So the command
 * starts through a shell that first says its PID on stderr (a marker line, never shown) and then
 * execs the command in its place; stopping it (the client went away, the time or output limit) is a
 * second exec that stops and kills that PID and everything under it.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Docker from 'dockerode';
import { CONSOLE_OUTPUT_MAX_CHARS, CONSOLE_TIMEOUT_MS } from '../../main/contract/limits';
import type { RunIo } from '../target';
import { TargetError } from '../target';
import { demux } from './demux';

const MARKER = '@deis-console-pid ';
/** `$1` is the user's command: never spliced into the script, so no quoting can break out of it. */
const WRAPPER = `echo "${MARKER}$$" >&2; exec /bin/sh -c "$1"`;
/** Stops the command's process and its descendants (depth first), then kills them. */
export const KILL_TREE =
  't() { kill -STOP "$1" 2>/dev/null; for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do t "$c"; done; kill -KILL "$1" 2>/dev/null; }; t "$1"';

export interface ConsoleLimits {
  timeoutMs: number;
  outputMaxChars: number;
}

const LIMITS: ConsoleLimits = { timeoutMs: CONSOLE_TIMEOUT_MS, outputMaxChars: CONSOLE_OUTPUT_MAX_CHARS };

/** Runs `command` in the running container `id`; resolves with its exit code once its output ended. */
export async function execInProcess(
  docker: Docker,
  id: string,
  command: string,
  io: RunIo = {},
  limits: ConsoleLimits = LIMITS,
): Promise<{ exitCode: number }> {
  const container = docker.getContainer(id);
  let exec: Docker.Exec;
  try {
    exec = await container.exec({
      Cmd: ['/bin/sh', '-c', WRAPPER, 'sh', command],
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
    });
  } catch (err) {
    const code = (err as { statusCode?: number }).statusCode;
    if (code === 404 || code === 409)
      throw new TargetError('invalid', 'The process is no longer running; pick another one.');
    throw err;
  }
  const stream = (await exec.start({})) as unknown as Readable;
  let pid: string | undefined;
  let stopped: string | undefined;
  const stop = (why: string) => {
    if (stopped) return;
    stopped = why;
    const kill = pid
      ? container
          .exec({ Cmd: ['/bin/sh', '-c', KILL_TREE, 'sh', pid], AttachStdout: false, AttachStderr: false })
          .then((k) => k.start({ Detach: true }))
          .catch(() => undefined)
      : Promise.resolve();
    // Whatever still holds the output open (nothing, once the kill landed) no longer matters.
    void kill.then(() => setTimeout(() => stream.destroy(), 2_000).unref());
  };
  const onAbort = () => stop('The command was stopped: the client went away.');
  io.signal?.addEventListener('abort', onAbort);
  const timer = setTimeout(
    () => stop(`The command ran longer than ${limits.timeoutMs / 60_000} minutes and was stopped.`),
    limits.timeoutMs,
  );
  let written = 0;
  const decoders = [new StringDecoder('utf8'), new StringDecoder('utf8'), new StringDecoder('utf8')];
  /** stderr before the marker line is complete. */
  let head = '';
  const pass = (text: string): void | Promise<void> => {
    if (text === '' || stopped) return;
    written += text.length;
    if (written > limits.outputMaxChars) {
      stop(
        `The command wrote more than ${limits.outputMaxChars / 1024 / 1024} MiB and was stopped; run it with deis run to see everything.`,
      );
      return;
    }
    return io.output?.(text);
  };
  try {
    if (io.signal?.aborted) onAbort();
    await demux(stream, (payload, kind) => {
      const text = decoders[kind]!.write(payload);
      if (kind !== 2 || pid !== undefined) return pass(text);
      head += text;
      const end = head.indexOf('\n');
      if (end < 0) {
        // No marker: /bin/sh itself failed (an image without a shell); what it said is the output.
        if (!head.startsWith(MARKER.slice(0, head.length)) || head.length > 64) {
          pid = '';
          const said = head;
          head = '';
          return pass(said);
        }
        return;
      }
      const line = head.slice(0, end);
      const rest = head.slice(end + 1);
      head = '';
      if (line.startsWith(MARKER)) {
        pid = line.slice(MARKER.length).trim();
        if (stopped) {
          const why = stopped;
          stopped = undefined;
          stop(why);
        }
        return pass(rest);
      }
      pid = '';
      return pass(`${line}\n${rest}`);
    });
    for (const d of decoders) await pass(d.end());
    if (head) await pass(head);
  } finally {
    clearTimeout(timer);
    io.signal?.removeEventListener('abort', onAbort);
  }
  if (stopped) throw new TargetError('invalid', stopped);
  const info = await exec.inspect().catch(() => ({ ExitCode: null }));
  return { exitCode: info.ExitCode ?? -1 };
}
