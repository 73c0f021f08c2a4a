/** Builds real images from pushed commits: a Dockerfile app and a buildpack app, with the real engine. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../cluster/docker/engine';
import { LABEL_INSTANCE } from '../../cluster/docker/labels';
import { COMMIT_FILE_MAX_BYTES } from '../../main/contract/limits';
import { ImageBuilder } from '../../main/builder/image-builder';
import { DEFAULT_STACK_IMAGE } from '../../main/builder/stack';
import { BuildFailed, type BuildSpec } from '../../main/builder/types';
import { bareFrom, git, repoFromFixture, repoFromFolder } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('image-builder tests skipped: no Docker engine answers (start dockerd).');

const docker = dockerEngine();
const INSTANCE = `dd-test-ib-${process.pid}`;
const builder = new ImageBuilder(() => docker, {
  stackImage: DEFAULT_STACK_IMAGE,
  buildpackDirs: [path.resolve('resources/buildpacks')],
  instance: INSTANCE,
});
const made: string[] = [];

function spec(
  app: string,
  fixture: string,
  config: Record<string, string> = {},
): BuildSpec & { lines: string[] } {
  const { dir, sha } = repoFromFixture(fixture);
  const repo = bareFrom(dir);
  const lines: string[] = [];
  return {
    app,
    appUuid: randomUUID(),
    trusted: true,
    sha,
    repo,
    config,
    output: { line: (l) => lines.push(l) },
    lines,
  };
}

/** Runs the image and asks it for `/` from inside, until it answers (a busy machine starts slowly). */
async function runImage(image: string, cmd?: string[]): Promise<string> {
  const c = await docker.createContainer({ Image: image, Cmd: cmd, Env: ['PORT=5000'], Tty: false });
  try {
    await c.start();
    const probe = 'exec 3<>/dev/tcp/127.0.0.1/5000 && printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3';
    for (let attempt = 0; attempt < 60; attempt++) {
      const exec = await c.exec({ Cmd: ['bash', '-c', probe], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      const chunks: Buffer[] = [];
      for await (const ch of stream as AsyncIterable<Buffer>) chunks.push(ch);
      const reply = Buffer.concat(chunks).toString('utf8');
      if (reply.includes('HTTP/1.')) return reply;
      await new Promise((r) => setTimeout(r, 500));
    }
    return '';
  } finally {
    await c.remove({ force: true });
  }
}

describe.skipIf(!hasDocker)('ImageBuilder with the real Docker engine', () => {
  let stackId = '';
  beforeAll(async () => {
    await ensureStackImage();
    stackId = (await docker.getImage(DEFAULT_STACK_IMAGE).inspect()).Id;
  }, 600_000);
  afterAll(async () => {
    for (const image of made)
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABEL_INSTANCE}=${INSTANCE}`] } });
    for (const v of Volumes ?? [])
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
  });

  it('builds a Dockerfile app into <app>:git-<sha8> that serves', async () => {
    const s = spec('df-app', 'dockerfile-app');
    const built = await builder.build(s);
    made.push(built.image);
    expect(built).toMatchObject({
      image: `deis-desktop/df-app:git-${s.sha.slice(0, 8)}`,
      dockerfile: true,
      procfile: {},
    });
    // The engine builds the checked Dockerfile: the base pinned by ID, the app's labels right after it.
    expect(s.lines).toContain(
      `-----> FROM deis-desktop/stack:bookworm: the local image ${stackId.slice(0, 19)}`,
    );
    // BuildKit builds it, from the base the plan checked (its pin tag shown as the ID), each step once;
    // the labels are metadata, no step of their own; no pin tag is left behind.
    const text = s.lines.join('\n');
    expect(text).toMatch(new RegExp(`^#\\d+ \\[1/\\d\\] FROM ${stackId.slice(0, 19)}$`, 'm'));
    expect(text).not.toMatch(/build-pin|^Step \d/m);
    // Pin tags name the app they were made for (other builds on the engine may hold theirs right now).
    const pins = await docker.listImages({ filters: { reference: ['deis-desktop/build-pin'] } });
    expect(pins.flatMap((i) => i.RepoTags ?? []).filter((tag) => tag.includes(s.appUuid))).toEqual([]);
    expect(await runImage(built.image)).toContain('Hello from a Dockerfile app');
    expect((await docker.getImage(built.image).inspect()).Config.Labels).toMatchObject({
      'io.deis-desktop.app': 'df-app',
    });
  }, 300_000);

  it('builds it with the legacy builder when BuildKit is off (DEIS_BUILDKIT=0), labels first and then from the cache', async () => {
    const legacy = new ImageBuilder(() => docker, {
      stackImage: DEFAULT_STACK_IMAGE,
      buildpackDirs: [path.resolve('resources/buildpacks')],
      instance: INSTANCE,
      buildkit: false,
    });
    const first = spec('df-legacy', 'dockerfile-app');
    made.push((await legacy.build(first)).image);
    // The base pinned by ID, then the app's build scope (its uuid) and our labels, before the app's steps.
    const steps = first.lines.filter((l) => l.startsWith('Step '));
    expect(steps.slice(0, 3)).toEqual([
      `Step 1/6 : FROM ${stackId}`,
      `Step 2/6 : ARG DEIS_BUILD_SCOPE=${first.appUuid}`,
      expect.stringMatching(/^Step 3\/6 : LABEL io\.deis-desktop\./),
    ]);
    const next = { ...spec('df-legacy', 'dockerfile-app'), appUuid: first.appUuid, lines: [] as string[] };
    next.output = { line: (l) => next.lines.push(l) };
    const built = await legacy.build(next);
    made.push(built.image);
    // The next push of the app does not redo the labelling step: the engine has it in its cache.
    const step = next.lines.findIndex((l) => /^Step \d+\/\d+ : LABEL io\.deis-desktop\./.test(l));
    expect(step, next.lines.join('\n')).toBeGreaterThan(0);
    expect(next.lines[step + 1]).toMatch(/Using cache/);
    expect(await runImage(built.image)).toContain('Hello from a Dockerfile app');
  }, 300_000);

  it('reads the commit with one listing and one read of its Procfile and Dockerfile; a huge Procfile is refused', async () => {
    // A git in front of the real one, noting each time the builder starts it.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-git-count-'));
    const calls = path.join(bin, 'calls');
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${real}' "$@"\n`, {
      mode: 0o755,
    });
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-ib-procfile-'));
    fs.cpSync(path.resolve('test/fixtures/apps/dockerfile-app'), folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'Procfile'), 'worker: sleep 1000\n');
    const { dir, sha } = repoFromFolder(folder);
    const s: BuildSpec = {
      app: 'df-reads',
      appUuid: randomUUID(),
      trusted: true,
      sha,
      repo: bareFrom(dir),
      config: {},
      output: { line: () => {} },
    };
    const path0 = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${path0}`;
    try {
      const built = await builder.build(s);
      made.push(built.image);
      expect(built.procfile).toEqual({ worker: 'sleep 1000' });
      // Each git process costs a push tens of milliseconds: the listing, one read, the build context.
      const started = fs.readFileSync(calls, 'utf8').trim().split('\n');
      expect(started.map((c) => c.split(' ').find((w) => !w.startsWith('-') && !w.includes('/')))).toEqual([
        'ls-tree',
        'cat-file',
        'archive',
      ]);
    } finally {
      process.env.PATH = path0;
    }

    // Over the limit, it is refused before it is read.
    fs.writeFileSync(path.join(folder, 'Procfile'), `web: ${'x'.repeat(COMMIT_FILE_MAX_BYTES)}\n`);
    const big = repoFromFolder(folder);
    await expect(builder.build({ ...s, sha: big.sha, repo: bareFrom(big.dir) })).rejects.toThrow(
      'The Procfile is larger than 1024 KiB; make it smaller.',
    );
    fs.rmSync(bin, { recursive: true, force: true });
    fs.rmSync(folder, { recursive: true, force: true });
  }, 300_000);

  it('builds a buildpack app with the bundled Node.js buildpack and its default web process', async () => {
    const s = spec('bp-node', 'node-app');
    const built = await builder.build(s);
    made.push(built.image);
    expect(built.dockerfile).toBe(false);
    // A plain `node <file>` start script runs without npm in between (no npm errors on SIGTERM).
    expect(built.procfile).toEqual({ web: 'node server.js' });
    const log = s.lines.join('\n');
    expect(log).toContain('-----> Node.js app detected');
    expect(log).toContain('-----> Installing dependencies');
    expect(await runImage(built.image, ['web'])).toContain('Hello from a buildpack app');
  }, 300_000);

  it('fails in plain words when no buildpack recognises the app', async () => {
    const { dir } = repoFromFixture('procfile-app');
    fs.rmSync(path.join(dir, 'Procfile'));
    git(dir, '-c', 'user.name=T', '-c', 'user.email=t@e.x', 'commit', '-qam', 'no procfile');
    const lines: string[] = [];
    const s: BuildSpec = {
      app: 'bp-none',
      appUuid: randomUUID(),
      trusted: true,
      sha: git(dir, 'rev-parse', 'HEAD'),
      repo: bareFrom(dir),
      config: {},
      output: { line: (l) => lines.push(l) },
    };
    await expect(builder.build(s)).rejects.toThrow(BuildFailed);
    await expect(builder.build(s)).rejects.toThrow(/No buildpack recognised this app/);
  }, 300_000);
});
