/**
 * The console's interactive shell: `docker exec` with a TTY inside a live process's container (as the
 * process's user, with its environment), bash when the image has it, else sh. The engine's PTY does
 * the terminal work; resizing is the exec resize API.
 *
 * Docker cannot kill an exec, and closing its stream leaves the shell running. So, as for a console
 * command (console.ts), the shell first prints its PID on a marker line (taken out of the output),
 * and closing is a second exec that stops and kills that PID and everything under it.
 */
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { ShellSession, TerminalSize } from '../target';
import { TargetError } from '../target';
import { killTreeArgv } from '../console-script';

const MARKER = '@deis-shell-pid ';
const WRAPPER = `printf '${MARKER}%s\\n' "$$"; if command -v bash >/dev/null 2>&1; then exec bash -i; fi; exec sh -i`;
/** How much output may come before the marker line before it is taken as missing. */
const MARKER_WINDOW = 128;
/** How long the shell may take to say its PID (a container under load); then it is given up. */
const MARKER_WAIT_MS = 15_000;

export async function openShell(docker: Docker, id: string, size: TerminalSize): Promise<ShellSession> {
  const container = docker.getContainer(id);
  let exec: Docker.Exec;
  try {
    exec = await container.exec({
      Cmd: ['/bin/sh', '-c', WRAPPER],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      // The process's own TERM would be whatever its image says; the other end is xterm.js.
      Env: ['TERM=xterm-256color'],
    });
  } catch (err) {
    const code = (err as { statusCode?: number }).statusCode;
    if (code === 404 || code === 409)
      throw new TargetError('invalid', 'The process is no longer running; pick another one.');
    throw err;
  }
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as unknown as Duplex;
  const resize = (s: TerminalSize) => exec.resize({ h: s.rows, w: s.cols }).then(() => undefined);
  await resize(size).catch(() => undefined);

  // The shell's PID comes first (the marker line): read now, so a shell closed at once is killed too.
  const chunks = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let pid = '';
  let ended = false;
  const deadline = setTimeout(() => stream.destroy(), MARKER_WAIT_MS);
  try {
    for (;;) {
      const next = await chunks.next();
      if (next.done) {
        ended = true;
        break;
      }
      head = Buffer.concat([head, next.value]);
      const end = head.indexOf('\n');
      if (end < 0 && head.length <= MARKER_WINDOW) continue;
      const line = head
        .subarray(0, end < 0 ? 0 : end)
        .toString('utf8')
        .trim();
      if (end >= 0 && line.startsWith(MARKER)) {
        pid = line.slice(MARKER.length).trim();
        head = head.subarray(end + 1);
      }
      break;
    }
  } catch {
    // The stream broke before the shell said anything (the container stopped): nothing to show.
    ended = true;
  } finally {
    clearTimeout(deadline);
  }
  if (ended && !pid && head.length === 0)
    throw new TargetError('invalid', 'The shell did not start in the process; is it still running?');
  // Now that the shell runs, its size again (a resize before it ran may not have reached it).
  await resize(size).catch(() => undefined);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (
      pid
        ? container
            .exec({ Cmd: killTreeArgv(pid), AttachStdout: false, AttachStderr: false })
            .then((k) => k.start({ Detach: true }))
            .then(() => undefined)
            .catch(() => undefined)
        : Promise.resolve()
    ).then(() => {
      // Whatever still holds the stream open (nothing, once the kill landed) no longer matters.
      setTimeout(() => stream.destroy(), 2_000).unref();
    });
    return closing;
  };

  async function* output(): AsyncIterable<Buffer> {
    try {
      if (head.length) yield head;
      while (!ended) {
        const next = await chunks.next().catch(() => ({ done: true as const, value: undefined }));
        if (next.done) break;
        yield next.value;
      }
    } finally {
      stream.destroy();
    }
  }

  return {
    output: output(),
    write: (data) => {
      if (!stream.destroyed && !closing) stream.write(data);
    },
    resize: (s) => {
      size = s;
      return resize(s).catch(() => undefined);
    },
    close,
    exitCode: async () => {
      if (closing) return -1;
      const info = await exec.inspect().catch(() => ({ ExitCode: null }));
      return info.ExitCode ?? -1;
    },
  };
}
