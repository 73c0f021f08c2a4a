/** The stack image buildpack builds run in: configured, or built once from resources/stack/Dockerfile. */
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { imageExists, lineSplitter } from '../../cluster/docker/engine';
import { BuildFailed, type BuildOutput } from './types';

export const DEFAULT_STACK_IMAGE = 'deis-desktop/stack:bookworm';

export interface StackSettings {
  /** DEIS_STACK_IMAGE: use this image as is. */
  image: string;
  /** DEIS_STACK_BASE: the Debian 12 image the default stack is built from. */
  base: string;
  /** resources/stack, holding the Dockerfile of the default stack. */
  dockerfileDir: string;
}

export function stackSettings(resources: string, env: NodeJS.ProcessEnv = process.env): StackSettings {
  return {
    image: env.DEIS_STACK_IMAGE || DEFAULT_STACK_IMAGE,
    base: env.DEIS_STACK_BASE || 'debian:bookworm-slim',
    dockerfileDir: path.join(resources, 'stack'),
  };
}

/** Makes sure the stack image exists, building the default one (once, then cached by tag). */
export async function ensureStack(docker: Docker, s: StackSettings, output: BuildOutput): Promise<void> {
  if (await imageExists(docker, s.image)) return;
  if (s.image !== DEFAULT_STACK_IMAGE)
    throw new BuildFailed(
      `The stack image ${s.image} (DEIS_STACK_IMAGE) is not in the local Docker engine; pull or build it first.`,
    );
  output.line(`-----> Building the stack image ${s.image} from ${s.base} (first build only)`);
  const context = fs.readdirSync(s.dockerfileDir);
  const stream = await docker.buildImage(
    { context: s.dockerfileDir, src: context },
    { t: s.image, buildargs: { BASE: s.base }, rm: true, forcerm: true },
  );
  const lines = lineSplitter((l) => output.line(`       ${l}`));
  const error = await new Promise<string | undefined>((resolve, reject) => {
    let failure: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve(failure)),
      (m: { stream?: string; error?: string }) => {
        if (m.stream) lines.write(m.stream);
        if (m.error) failure = m.error;
      },
    );
  });
  lines.end();
  if (error) throw new BuildFailed(`Could not build the stack image ${s.image}: ${error.trim()}`);
}
