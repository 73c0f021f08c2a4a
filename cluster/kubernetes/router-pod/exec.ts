/**
 * A short command in a pod through the API server (exec over a websocket), with its output bounded
 * and a deadline: used to read back what a router pod serves. Not for anything an app controls.
 */
import { Writable } from 'node:stream';
import type { V1Status } from '@kubernetes/client-node';
import type { Kube } from '../client';

export interface ExecResult {
  exitCode: number;
  /** What it wrote to stdout (stderr is dropped). */
  output: Buffer;
}

/** The exit code an exec's final status gives (the API server says Success, or the code as a cause). */
export function exitCodeOf(status: V1Status): number {
  if (status.status === 'Success') return 0;
  return Number(status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message ?? 1);
}

export async function execInPod(
  kube: Kube,
  namespace: string,
  pod: string,
  container: string,
  command: string[],
  maxBytes: number,
  timeoutMs: number,
): Promise<ExecResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  let socket: { close(): void } | undefined;
  return new Promise<ExecResult>((resolve, reject) => {
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket?.close();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new Error(`${command[0]} in ${pod} did not finish in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > maxBytes) fail(new Error(`${command[0]} in ${pod} wrote more than ${maxBytes} bytes`));
        else chunks.push(chunk);
        callback();
      },
    });
    const stderr = new Writable({
      write(_chunk, _encoding, callback) {
        callback();
      },
    });
    new kube.lib.Exec(kube.config)
      .exec(namespace, pod, container, command, stdout, stderr, null, false, (status) => {
        clearTimeout(timer);
        resolve({ exitCode: exitCodeOf(status), output: Buffer.concat(chunks) });
      })
      .then((ws) => {
        socket = ws;
      })
      .catch((err: Error) => fail(err));
  });
}
