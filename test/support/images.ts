/**
 * Images for tests on a machine that cannot pull: a Debian base made with debootstrap and
 * `docker import`, and the default stack built on it. Both are cached by tag, so only the first
 * run pays (about 30 s + a minute).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dockerEngine, imageExists } from '../../cluster/docker/engine';
import { DEFAULT_STACK_IMAGE, ensureStack } from '../../main/builder/stack';

export const BASE_IMAGE = 'deis-desktop/debian:bookworm';

export async function ensureBaseImage(): Promise<string> {
  const docker = dockerEngine();
  if (await imageExists(docker, BASE_IMAGE)) return BASE_IMAGE;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-rootfs-'));
  try {
    execFileSync('debootstrap', ['--variant=minbase', 'bookworm', root], { stdio: 'ignore' });
    execFileSync('sh', ['-c', `tar -C "${root}" -c . | docker import - ${BASE_IMAGE}`], { stdio: 'ignore' });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return BASE_IMAGE;
}

export async function ensureStackImage(): Promise<string> {
  const base = await ensureBaseImage();
  await ensureStack(
    dockerEngine(),
    { image: DEFAULT_STACK_IMAGE, base, dockerfileDir: path.resolve('resources/stack') },
    { line: () => {} },
  );
  return DEFAULT_STACK_IMAGE;
}

/** True when a Docker engine answers; integration tests that need one skip otherwise, saying so. */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await dockerEngine().ping();
    return true;
  } catch {
    return false;
  }
}
