/**
 * The core's copy of process output survives Docker's log rotation: an app that writes tens of MB
 * faster than they are read (Docker's json-file follow then stalls for good) still gets every later
 * line into its log, with a line saying output may be missing; a quiet app gets no such line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogFollower } from '../../cluster/docker/log-follower';
import { LogStore } from '../../cluster/docker/log-store';
import { BASE_IMAGE, dockerAvailable } from '../support/images';
import { docker, instanceName } from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('log-follower tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('logfollow');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-logs-'));
const store = new LogStore(dir);
// A short watchdog period keeps the test quick; the core uses a few seconds.
const follower = new LogFollower(docker, instance, store, 1000);

/** A log line without its time (`2026-11-29T23:50:01+00:00 `), which every line must start with. */
const untimed = (line: string) => {
  expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 /);
  return line.slice('2026-11-29T23:50:01+00:00 '.length);
};

/** Runs `script` in a container logging as the target's processes do, following it from its start; the log's last lines (without their times) once `last` arrived (or after a minute). */
async function runLogged(app: string, script: string, last: string): Promise<string[]> {
  const container = await docker.createContainer({
    Image: BASE_IMAGE,
    Cmd: ['bash', '-c', script],
    HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '5m', 'max-file': '2' } } },
  });
  try {
    await container.start();
    // Named as the target names a process of type p of release 1.
    await follower.follow(
      container.id,
      { name: `${app}-v1-p-bcdfg`, app },
      Math.floor(Date.now() / 1000) - 1,
    );
    await container.wait();
    const lastLine = () => store.tail(app, 1).map((l) => l.replace(/^\S+ /, ''))[0];
    for (let i = 0; i < 300 && lastLine() !== last; i++) await new Promise((r) => setTimeout(r, 200));
    return store.tail(app, 5).map(untimed);
  } finally {
    await container.remove({ force: true });
  }
}

describe.skipIf(!hasDocker)("following a process's output", () => {
  afterAll(() => {
    follower.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the lines written after 40 MB without a newline', async () => {
    const tail = await runLogged(
      'flat',
      "sleep 1; head -c 40000000 /dev/zero | tr '\\0' x; sleep 3; printf '\\nnoise done\\n'; sleep 4",
      'flat[p.v1.bcdfg]: noise done',
    );
    expect(tail.at(-1)).toBe('flat[p.v1.bcdfg]: noise done');
  }, 120_000);

  it('keeps the lines written after 40 MB of lines', async () => {
    const tail = await runLogged(
      'lines',
      "sleep 1; head -c 40000000 /dev/zero | tr '\\0' x | fold -w 100; sleep 3; printf '\\nnoise done\\n'; sleep 4",
      'lines[p.v1.bcdfg]: noise done',
    );
    expect(tail.at(-1)).toBe('lines[p.v1.bcdfg]: noise done');
  }, 120_000);

  it('adds nothing to a quiet app', async () => {
    const tail = await runLogged(
      'quiet',
      'for i in 1 2 3; do echo quiet $i; sleep 1; done',
      'quiet[p.v1.bcdfg]: quiet 3',
    );
    expect(tail).toEqual([
      'quiet[p.v1.bcdfg]: quiet 1',
      'quiet[p.v1.bcdfg]: quiet 2',
      'quiet[p.v1.bcdfg]: quiet 3',
    ]);
    expect((fs.statSync(store.file('quiet')).mode & 0o777).toString(8)).toBe('600');
  }, 60_000);

  it('writes nothing once closed, while a chatty process still prints and its folder is gone', async () => {
    // A stopping core removes nothing itself, but a test's (or a user's) DEIS_HOME may go right after:
    // a last burst of output, or an old process retiring in the background, must not write into it.
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-logs-closed-'));
    const ownStore = new LogStore(own);
    const ownFollower = new LogFollower(docker, instance, ownStore, 1000);
    const container = await docker.createContainer({
      Image: BASE_IMAGE,
      Cmd: ['bash', '-c', 'while :; do echo chatty; sleep 0.01; done'],
    });
    try {
      await container.start();
      await ownFollower.follow(container.id, { name: 'chatty-v1-p-bcdfg', app: 'chatty' });
      for (let i = 0; i < 100 && ownStore.tail('chatty', 1).length === 0; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(ownStore.tail('chatty', 1)).toHaveLength(1);
      ownFollower.close();
      ownStore.close();
      fs.rmSync(own, { recursive: true, force: true });
      // What a deploy's retiring process says after the stop.
      expect(() => ownStore.append('chatty', ['retired'])).not.toThrow();
      await new Promise((r) => setTimeout(r, 500));
      expect(fs.existsSync(own)).toBe(false);
    } finally {
      ownFollower.close();
      await container.remove({ force: true });
      fs.rmSync(own, { recursive: true, force: true });
    }
  }, 60_000);
});
