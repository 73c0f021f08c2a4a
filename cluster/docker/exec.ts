/** Runs a command inside a running container and collects its output and exit code. */
import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';

export interface ExecResult {
  exitCode: number;
  output: string;
}

export async function execIn(
  docker: Docker,
  container: string,
  cmd: string[],
  options: { input?: Buffer; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<ExecResult> {
  const exec = await docker.getContainer(container).exec({
    Cmd: cmd,
    // Secrets (a password) travel in the environment, never on a command line `ps` shows.
    Env: options.env ? Object.entries(options.env).map(([k, v]) => `${k}=${v}`) : undefined,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: options.input !== undefined,
  });
  const stream = await exec.start({
    hijack: options.input !== undefined,
    stdin: options.input !== undefined,
  });
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => chunks.push(c));
  docker.modem.demuxStream(stream, sink, sink);
  if (options.input !== undefined) stream.end(options.input);
  await new Promise<void>((resolve, reject) => {
    const timer = options.timeoutMs
      ? setTimeout(() => {
          stream.destroy();
          reject(new Error(`${cmd.join(' ')} took more than ${options.timeoutMs} ms`));
        }, options.timeoutMs)
      : undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
}
