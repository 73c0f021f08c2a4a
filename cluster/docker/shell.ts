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
import { KILL_TREE } from './console';

const MARKER = '@deis-shell-pid ';
const WRAPPER = `printf '${MARKER}%s\\n' "$$"; if command -v bash >/dev/null 2>&1; then exec bash -i; fi; exec sh -i`;
/** How much output may come before the marker line before it is taken as missing. */
const MARKER_WINDOW = 128;

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
  // The exec may not run yet a moment after start: the size is set again once the shell said its PID.
  await resize(size).catch(() => undefined);

  let pid: string | undefined;
  let closing: Promise<void> | undefined;
  let wantClose = false;
  const kill = (): Promise<void> => {
    if (!pid) return Promise.resolve();
    return container
      .exec({ Cmd: ['/bin/sh', '-c', KILL_TREE, 'sh', pid], AttachStdout: false, AttachStderr: false })
      .then((k) => k.start({ Detach: true }))
      .then(() => undefined)
      .catch(() => undefined);
  };
  const close = (): Promise<void> => {
    if (closing) return closing;
    wantClose = true;
    // Until the PID is known, the kill waits for it (see output below).
    closing = (pid ? kill() : Promise.resolve()).then(() => {
      // Whatever still holds the stream open (nothing, once the kill landed) no longer matters.
      setTimeout(() => stream.destroy(), 2_000).unref();
    });
    return closing;
  };

  async function* output(): AsyncIterable<Buffer> {
    let head = Buffer.alloc(0);
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (pid !== undefined) {
          yield chunk;
          continue;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\n');
        if (end < 0 && head.length <= MARKER_WINDOW) continue;
        const line = head
          .subarray(0, end < 0 ? 0 : end)
          .toString('utf8')
          .trim();
        if (end >= 0 && line.startsWith(MARKER)) {
          pid = line.slice(MARKER.length).trim();
          head = head.subarray(end + 1);
          void resize(size).catch(() => undefined);
          if (wantClose) void kill();
        } else pid = '';
        if (head.length) yield head;
      }
    } finally {
      stream.destroy();
    }
  }

  return {
    output: output(),
    write: (data) => {
      if (!stream.destroyed && !wantClose) stream.write(data);
    },
    resize: (s) => {
      size = s;
      return resize(s).catch(() => undefined);
    },
    close,
    exitCode: async () => {
      if (wantClose) return -1;
      const info = await exec.inspect().catch(() => ({ ExitCode: null }));
      return info.ExitCode ?? -1;
    },
  };
}
