/**
 * The console: a command inside a live process's container (`docker exec`, `/bin/sh -c`, as the
 * process's user and with its environment, which an exec inherits). Output is handed on as it comes,
 * as fast as the receiver takes it: a receiver that waits holds the command's writes back. How it is
 * started, bounded and stopped: cluster/console-script.ts.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Docker from 'dockerode';
import type { RunIo } from '../target';
import { TargetError } from '../target';
import { CONSOLE_LIMITS, ConsoleRun, consoleArgv, killTreeArgv, type ConsoleLimits } from '../console-script';
import { demux } from './demux';

/** Runs `command` in the running container `id`; resolves with its exit code once its output ended. */
export async function execInProcess(
  docker: Docker,
  id: string,
  command: string,
  io: RunIo = {},
  limits: ConsoleLimits = CONSOLE_LIMITS,
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
  const run = new ConsoleRun(
    io,
    (pid) =>
      container
        .exec({ Cmd: killTreeArgv(pid), AttachStdout: false, AttachStderr: false })
        .then((k) => k.start({ Detach: true })),
    () => stream.destroy(),
    limits,
  );
  const decoders = [new StringDecoder('utf8'), new StringDecoder('utf8'), new StringDecoder('utf8')];
  try {
    run.begin();
    await demux(stream, (payload, kind) => {
      const text = decoders[kind]!.write(payload);
      return kind === 2 ? run.stderr(text) : run.stdout(text);
    });
    await run.stdout(decoders[0]!.end() + decoders[1]!.end());
    await run.stderr(decoders[2]!.end());
    await run.stderrEnd();
  } finally {
    run.end();
  }
  if (run.stopped) throw new TargetError('invalid', run.stopped);
  const info = await exec.inspect().catch(() => ({ ExitCode: null }));
  return { exitCode: info.ExitCode ?? -1 };
}
