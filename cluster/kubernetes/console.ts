/**
 * The console on Kubernetes: a command inside a live pod's container, through the API server's exec
 * (a websocket), started, bounded and stopped as on Docker (cluster/console-script.ts: a PID marker
 * first, a second exec to kill the command's tree), with the same limits and messages.
 *
 * The client library writes each frame to our streams without waiting; when the receiver holds the
 * output back, the websocket is paused instead, so the API server (and the command's writes) wait.
 */
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type * as k8s from '@kubernetes/client-node';
import type { RunIo } from '../target';
import { TargetError } from '../target';
import { CONSOLE_LIMITS, ConsoleRun, consoleArgv, killTreeArgv, type ConsoleLimits } from '../console-script';
import type { Kube } from './client';
import { execInPod, exitCodeOf } from './router-pod/exec';

/** The kill exec prints nothing and takes a moment; past this the command's stream is closed anyway. */
const KILL_TIMEOUT_MS = 10_000;

interface Socket {
  close(): void;
  pause(): void;
  resume(): void;
  once(event: 'close', listener: () => void): void;
}

/** Runs `command` in `container` of `pod`; resolves with its exit code once its output ended. */
export function execInPodConsole(
  kube: Kube,
  namespace: string,
  pod: string,
  container: string,
  command: string,
  io: RunIo = {},
  limits: ConsoleLimits = CONSOLE_LIMITS,
): Promise<{ exitCode: number }> {
  let socket: Socket | undefined;
  const run = new ConsoleRun(
    io,
    (pid) => execInPod(kube, namespace, pod, container, killTreeArgv(pid), 1024, KILL_TIMEOUT_MS),
    () => socket?.close(),
    limits,
  );
  // Output is handed on in the order it came, one piece at a time (both streams share one queue).
  let queue: Promise<void> = Promise.resolve();
  const receiver = (stderr: boolean) => {
    const decoder = new StringDecoder('utf8');
    const hand = (text: string) => (stderr ? run.stderr(text) : run.stdout(text));
    const then = (work: () => Promise<void>, callback: (err?: Error | null) => void) => {
      queue = queue.then(work);
      queue.then(() => callback(), callback);
    };
    return new Writable({
      write(chunk: Buffer, _encoding, callback) {
        const text = decoder.write(chunk);
        then(async () => {
          const held = hand(text);
          if (held) {
            socket?.pause();
            await held.finally(() => socket?.resume());
          }
        }, callback);
      },
      final(callback) {
        then(async () => {
          await hand(decoder.end());
          if (stderr) await run.stderrEnd();
        }, callback);
      },
    });
  };
  const stdout = receiver(false);
  const stderr = receiver(true);
  const ended = (w: Writable) =>
    new Promise<void>((resolve) => {
      if (w.writableFinished) resolve();
      else w.once('finish', resolve).once('error', () => resolve());
    });

  return new Promise<{ exitCode: number }>((resolve, reject) => {
    let status: k8s.V1Status | undefined;
    const settle = async () => {
      if (!stdout.writableEnded) stdout.end();
      if (!stderr.writableEnded) stderr.end();
      await Promise.all([ended(stdout), ended(stderr)]);
      run.end();
      if (run.stopped) reject(new TargetError('invalid', run.stopped));
      else if (!status) reject(new TargetError('unavailable', 'The connection to the process was lost.'));
      else resolve({ exitCode: exitCodeOf(status) });
    };
    run.begin();
    new kube.lib.Exec(kube.config)
      .exec(namespace, pod, container, consoleArgv(command), stdout, stderr, null, false, (s) => {
        status = s;
      })
      .then((ws) => {
        socket = ws as unknown as Socket;
        socket.once('close', () => void settle());
        // Stopped before the socket was there: close it now.
        if (run.stopped) socket.close();
      })
      .catch((err: Error) => {
        run.end();
        reject(
          /\b404\b/.test(err.message)
            ? new TargetError('invalid', 'The process is no longer running; pick another one.')
            : new TargetError(
                'unavailable',
                `The Kubernetes API server did not start the command: ${err.message}`,
              ),
        );
      });
  });
}
