/**
 * `deis run`: a one-off container of the release with the app's environment, on the app's network;
 * its output and exit code. The output is read from an attach made before the container starts (so
 * nothing is missed) and handed on as it comes, as fast as the receiver takes it: a receiver that
 * waits holds the command's writes back, so the core never holds more than a few chunks of it. Only
 * the last MAX_RUN_OUTPUT_CHARS characters are kept for the answer. Docker keeps no log of it.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Docker from 'dockerode';
import { MAX_RUN_OUTPUT_CHARS } from '../../main/contract/limits';
import { OutputTail } from '../output-tail';
import type { ReleaseSpec, RunIo, RunResult } from '../target';
import { TargetError } from '../target';
import { demux } from './demux';
import { LABEL_APP, labelsFor, runName } from './labels';
import { appPort, processEnv, runCommand } from './process-spec';

/** Deis waits up to 20 minutes for a run pod. */
const RUN_TIMEOUT_MS = 20 * 60 * 1000;

export async function runOnce(
  docker: Docker,
  instance: string,
  network: string,
  release: ReleaseSpec,
  command: string,
  io: RunIo = {},
): Promise<RunResult> {
  if (!release.image)
    throw new TargetError('invalid', 'No build associated with this release to run this command');
  const command_ = runCommand(release, command);
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      name: runName(release.app),
      Image: release.image,
      Entrypoint: command_.entrypoint,
      Cmd: command_.cmd,
      Env: Object.entries(processEnv(release, appPort(release))).map(([k, v]) => `${k}=${v}`),
      Labels: labelsFor(instance, 'run', { [LABEL_APP]: release.app }),
      AttachStdout: true,
      AttachStderr: true,
      // An init as PID 1, as for the app's processes: signals reach the command, zombies are reaped.
      HostConfig: {
        Init: true,
        NetworkMode: network,
        AutoRemove: false,
        LogConfig: { Type: 'none', Config: {} },
      },
    });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404)
      throw new TargetError('image_missing', `The image ${release.image} is not in the local Docker engine.`);
    throw err;
  }
  const kill = () => void container.kill().catch(() => undefined);
  const timer = setTimeout(kill, RUN_TIMEOUT_MS);
  io.signal?.addEventListener('abort', kill);
  try {
    const stream = (await container.attach({
      stream: true,
      stdout: true,
      stderr: true,
    })) as unknown as Readable;
    const tail = new OutputTail(MAX_RUN_OUTPUT_CHARS);
    // One decoder per stream: a character's bytes may arrive in two payloads.
    const decoders = [new StringDecoder('utf8'), new StringDecoder('utf8'), new StringDecoder('utf8')];
    const pass = (text: string) => {
      if (text === '') return;
      tail.append(text);
      return io.output?.(text);
    };
    const reading = demux(stream, (payload, kind) => pass(decoders[kind]!.write(payload)));
    await container.start();
    if (io.signal?.aborted) kill();
    // A container removed while it runs (its app was destroyed) counts as killed.
    const waited = container.wait().catch(() => ({ StatusCode: 137 }));
    const [status] = (await Promise.all([waited, reading])) as [{ StatusCode: number }, void];
    for (const d of decoders) await pass(d.end());
    return { exitCode: status.StatusCode, output: tail.text() };
  } finally {
    clearTimeout(timer);
    io.signal?.removeEventListener('abort', kill);
    await container.remove({ force: true }).catch(() => undefined);
  }
}
