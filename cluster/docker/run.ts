/** `deis run`: a one-off container of the release with the app's environment; its output and exit code. */
import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ReleaseSpec, RunResult } from '../target';
import { TargetError } from '../target';
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
  onOutput: (text: string) => void = () => {},
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
      HostConfig: { NetworkMode: network, AutoRemove: false },
    });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404)
      throw new TargetError('image_missing', `The image ${release.image} is not in the local Docker engine.`);
    throw err;
  }
  try {
    await container.start();
    const timer = setTimeout(() => void container.kill().catch(() => undefined), RUN_TIMEOUT_MS);
    // Following from the start (not from now) misses nothing the command wrote before we attached.
    const stream = (await container.logs({
      follow: true,
      stdout: true,
      stderr: true,
    })) as unknown as Readable;
    const chunks: string[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      chunks.push(text);
      onOutput(text);
    });
    docker.modem.demuxStream(stream, sink, sink);
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    const status = (await container.wait()) as { StatusCode: number };
    await ended;
    clearTimeout(timer);
    return { exitCode: status.StatusCode, output: chunks.join('') };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
