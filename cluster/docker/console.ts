/**
 * The console: a command inside a live process's container (`docker exec`, `/bin/sh -c`, as the
 * process's user and with its environment, which an exec inherits). Output is handed on as it comes,
 * as fast as the receiver takes it: a receiver that waits holds the command's writes back. How it is
 * started and stopped: cluster/console-script.ts.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Docker from 'dockerode';
import { CONSOLE_OUTPUT_MAX_CHARS, CONSOLE_TIMEOUT_MS } from '../../main/contract/limits';
import type { RunIo } from '../target';
import { TargetError } from '../target';
import { consoleArgv, killTreeArgv, PidMarker } from '../console-script';
import { demux } from './demux';

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
      Cmd: consoleArgv(command),
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
  const marker = new PidMarker();
  let stopped: string | undefined;
  const stop = (why: string) => {
    if (stopped) return;
    stopped = why;
    const pid = marker.pid;
    const kill = pid
      ? container
          .exec({ Cmd: killTreeArgv(pid), AttachStdout: false, AttachStderr: false })
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
      if (kind !== 2) return pass(text);
      const waiting = marker.pid === undefined;
      const out = marker.take(text);
      // A stop asked for before the PID was known kills now.
      if (waiting && marker.pid && stopped) {
        const why = stopped;
        stopped = undefined;
        stop(why);
      }
      return pass(out);
    });
    for (const d of decoders) await pass(d.end());
    await pass(marker.rest());
  } finally {
    clearTimeout(timer);
    io.signal?.removeEventListener('abort', onAbort);
  }
  if (stopped) throw new TargetError('invalid', stopped);
  const info = await exec.inspect().catch(() => ({ ExitCode: null }));
  return { exitCode: info.ExitCode ?? -1 };
}
