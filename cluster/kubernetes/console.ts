/**
 * The console on Kubernetes: a command inside a live pod's container, through the API server's exec
 * (a websocket), started and stopped as on Docker (cluster/console-script.ts: a PID marker first, a
 * second exec to kill the command's tree), with the same limits and messages.
 *
 * The client library writes each frame to our streams without waiting; when the receiver holds the
 * output back, the websocket is paused instead, so the API server (and the command's writes) wait.
 */
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type * as k8s from '@kubernetes/client-node';
import type { RunIo } from '../target';
import { TargetError } from '../target';
import { consoleArgv, killTreeArgv, PidMarker } from '../console-script';
import type { ConsoleLimits } from '../docker/console';
import { CONSOLE_OUTPUT_MAX_CHARS, CONSOLE_TIMEOUT_MS } from '../../main/contract/limits';
import type { Kube } from './client';
import { execInPod, exitCodeOf } from './router-pod/exec';

const LIMITS: ConsoleLimits = { timeoutMs: CONSOLE_TIMEOUT_MS, outputMaxChars: CONSOLE_OUTPUT_MAX_CHARS };
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
  limits: ConsoleLimits = LIMITS,
): Promise<{ exitCode: number }> {
  const marker = new PidMarker();
  let socket: Socket | undefined;
  let stopped: string | undefined;
  let closeTimer: NodeJS.Timeout | undefined;
  const stop = (why: string) => {
    if (stopped) return;
    stopped = why;
    const pid = marker.pid;
    const kill = pid
      ? execInPod(kube, namespace, pod, container, killTreeArgv(pid), 1024, KILL_TIMEOUT_MS).catch(
          () => undefined,
        )
      : Promise.resolve();
    // Whatever still holds the output open (nothing, once the kill landed) no longer matters.
    void kill.then(() => {
      closeTimer = setTimeout(() => socket?.close(), 2_000);
      closeTimer.unref();
    });
  };
  let written = 0;
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
  // Output is handed on in the order it came, one piece at a time (both streams share one queue).
  let queue: Promise<void> = Promise.resolve();
  const receiver = (stderr: boolean) => {
    const decoder = new StringDecoder('utf8');
    const handle = (text: string): void | Promise<void> => {
      if (!stderr) return pass(text);
      const waiting = marker.pid === undefined;
      const out = marker.take(text);
      if (waiting && marker.pid && stopped) {
        const why = stopped;
        stopped = undefined;
        stop(why);
      }
      return pass(out);
    };
    return new Writable({
      write(chunk: Buffer, _encoding, callback) {
        const text = decoder.write(chunk);
        queue = queue.then(async () => {
          const held = handle(text);
          if (held) {
            socket?.pause();
            await held.finally(() => socket?.resume());
          }
        });
        queue.then(() => callback(), callback);
      },
      final(callback) {
        queue = queue.then(async () => {
          await pass(decoder.end());
          if (stderr) await pass(marker.rest());
        });
        queue.then(() => callback(), callback);
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
    const onAbort = () => stop('The command was stopped: the client went away.');
    const timer = setTimeout(
      () => stop(`The command ran longer than ${limits.timeoutMs / 60_000} minutes and was stopped.`),
      limits.timeoutMs,
    );
    const settle = async () => {
      clearTimeout(timer);
      clearTimeout(closeTimer);
      io.signal?.removeEventListener('abort', onAbort);
      if (!stdout.writableEnded) stdout.end();
      if (!stderr.writableEnded) stderr.end();
      await Promise.all([ended(stdout), ended(stderr)]);
      if (stopped) reject(new TargetError('invalid', stopped));
      else if (!status) reject(new TargetError('unavailable', 'The connection to the process was lost.'));
      else resolve({ exitCode: exitCodeOf(status) });
    };
    io.signal?.addEventListener('abort', onAbort);
    new kube.lib.Exec(kube.config)
      .exec(namespace, pod, container, consoleArgv(command), stdout, stderr, null, false, (s) => {
        status = s;
      })
      .then((ws) => {
        socket = ws as unknown as Socket;
        socket.once('close', () => void settle());
        if (io.signal?.aborted) onAbort();
      })
      .catch((err: Error) => {
        clearTimeout(timer);
        io.signal?.removeEventListener('abort', onAbort);
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
