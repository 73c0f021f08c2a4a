/** DockerfileBuild: `docker build` of the pushed commit with the local engine, streaming its output. */
import type Docker from 'dockerode';
import { lineSplitter } from '../../cluster/docker/engine';
import { archive } from './git';
import { BuildFailed, imageTag, type BuildSpec } from './types';

interface BuildMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

export async function dockerfileBuild(docker: Docker, spec: BuildSpec): Promise<string> {
  const tag = imageTag(spec.app, spec.sha);
  const options: Record<string, unknown> = { t: tag, pull: false, rm: true, forcerm: true };
  if (spec.config.DEIS_DISABLE_CACHE) options.nocache = true;
  // Deis passes config as build args only when asked, since values may be secrets.
  if (spec.config.DEIS_DOCKER_BUILD_ARGS_ENABLED) options.buildargs = spec.config;
  if (spec.signal) options.abortSignal = spec.signal;

  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(archive(spec, spec.sha), options);
  } catch (err) {
    throw new BuildFailed(`The Docker engine refused the build: ${(err as Error).message}`);
  }
  const lines = lineSplitter((l) => spec.output.line(l));
  const failure = await new Promise<string | undefined>((resolve, reject) => {
    let error: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        lines.end();
        if (err) reject(new BuildFailed(`The Docker build stopped: ${err.message}`));
        else resolve(error);
      },
      (msg: BuildMessage) => {
        if (msg.stream) lines.write(msg.stream);
        else if (msg.status) lines.write(`${msg.status}\n`);
        if (msg.error) error = msg.errorDetail?.message ?? msg.error;
      },
    );
  });
  if (failure !== undefined) throw new BuildFailed(`The Dockerfile build failed: ${failure.trim()}`);
  return tag;
}
