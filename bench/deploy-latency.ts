/**
 * Deploy latency: our path (`git push` over SSH: build, release, deploy, first answer through the
 * router) against the plain one for the same app (docker build, docker run, first answer from the
 * container), with the same cache state. The app is a small Dockerfile app (Python's http.server on
 * the stack image); each push changes one line of it, as a developer's next push does.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Api } from '../test/support/core';
import { git } from '../test/support/git';
import type { Pusher } from '../test/support/push';
import { docker, removeImage, sleep, viaRouter } from '../test/support/run-stage';

const PLAIN_IMAGE = 'deis-desktop/bench-plain:latest';
/** The Dockerfile app both paths build and run. */
export const LATENCY_FIXTURE = 'python-http';

async function until(check: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (await check().catch(() => false)) return;
    await sleep(10);
  }
}

let edits = 0;
/** A one-line change to the app (its greeting's default), committed. */
export function changeOneLine(work: string): void {
  const file = path.join(work, 'app.py');
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, text.replace(/"GREETING", "[^"]*"/, `"GREETING", "Hello ${++edits}"`));
  git(work, '-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', 'commit', '-qam', 'bench');
}

/** `git push` of a one-line change → the new release answers through the router. */
export async function ours(
  api: Api,
  app: string,
  routerPort: number,
  pusher: Pusher,
  work: string,
): Promise<number> {
  changeOneLine(work);
  const started = Date.now();
  const r = await pusher.push(work, app);
  if (r.code !== 0) throw new Error(`push failed: ${r.output}`);
  const releases = (await api.get(`/v2/apps/${app}/releases/`)).body as { results: { version: number }[] };
  const latest = releases.results[0]!.version;
  await until(async () =>
    (await viaRouter(routerPort, `${app}.localhost`)).body.includes(`from v${latest} `),
  );
  return Date.now() - started;
}

/** `docker run` of the plain image until it answers: the time since `started`. */
async function runUntilAnswers(network: string, started: number): Promise<number> {
  const id = execFileSync('docker', ['run', '-d', '--network', network, '-e', 'PORT=5000', PLAIN_IMAGE], {
    encoding: 'utf8',
  }).trim();
  try {
    const info = await docker.getContainer(id).inspect();
    const ip = info.NetworkSettings.Networks[network]!.IPAddress;
    await until(async () => (await fetch(`http://${ip}:5000/`)).status === 200);
    return Date.now() - started;
  } finally {
    await docker.getContainer(id).remove({ force: true });
  }
}

/** The same change built with `docker build` and started with `docker run` until it answers. */
export async function plain(network: string, work: string): Promise<number> {
  changeOneLine(work);
  const started = Date.now();
  execFileSync('docker', ['build', '-q', '-t', PLAIN_IMAGE, work], { stdio: 'ignore' });
  return runUntilAnswers(network, started);
}

/**
 * The same, built by the engine's BuildKit (`POST /build?version=2`, what `docker build` does where
 * the buildx plugin is installed, as with Docker Desktop; Debian's docker.io has no buildx), then
 * started with `docker run` until it answers.
 */
export async function plainBuildKit(network: string, work: string): Promise<number> {
  changeOneLine(work);
  const started = Date.now();
  const tar = execFileSync('git', ['-C', work, 'archive', '--format=tar', 'HEAD'], { maxBuffer: 64 << 20 });
  const stream = await docker.buildImage(
    Readable.from([tar]) as unknown as NodeJS.ReadableStream,
    {
      t: PLAIN_IMAGE,
      version: '2',
    } as Record<string, unknown>,
  );
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (m: { error?: string }) => {
        if (m.error) reject(new Error(m.error));
      },
    ),
  );
  return runUntilAnswers(network, started);
}

/** Cold: neither image nor its layers exist. Both builds share layers, so both go. */
export async function forgetImages(app: string): Promise<void> {
  await removeImage(PLAIN_IMAGE);
  const ours = await docker.listImages({ filters: { reference: [`deis-desktop/${app}`] } });
  for (const image of ours) for (const tag of image.RepoTags ?? []) await removeImage(tag);
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
