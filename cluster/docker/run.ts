/** `deis run`: a one-off container of the release with the app's environment; its output and exit code. */
import type Docker from 'dockerode';
import type { ReleaseSpec, RunResult } from '../target';
import { TargetError } from '../target';
import { LABEL_APP, labelsFor, runName } from './labels';
import { appPort, processEnv, runCommand } from './process-spec';
import { demuxToText } from './processes';

/** Deis waits up to 20 minutes for a run pod. */
const RUN_TIMEOUT_MS = 20 * 60 * 1000;

export async function runOnce(
  docker: Docker,
  instance: string,
  network: string,
  release: ReleaseSpec,
  command: string,
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
    const status = (await container.wait()) as { StatusCode: number };
    clearTimeout(timer);
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { exitCode: status.StatusCode, output: demuxToText(logs) };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
