/**
 * A Docker host over SSH that goes away while a connection to it is open (and idle in the pool, as it
 * is between two requests of a deploy): the next request fails saying why, instead of being written
 * into the dead connection and waiting for ever. Real sshd on 127.0.0.1, this machine's dockerd.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerOverSsh, type SshDockerEngine } from '../../cluster/ssh/docker-engine';
import { TargetError } from '../../cluster/target';
import { dockerAvailable } from '../support/images';
import { eventually } from '../support/run-stage';
import { sshdMissing, startSshd } from '../support/sshd';

const hasDocker = await dockerAvailable();
const missing = sshdMissing();
if (!hasDocker || missing) console.warn(`ssh-host-away skipped: ${missing ?? 'no Docker engine answers'}.`);

describe.skipIf(!hasDocker || missing !== undefined)('a Docker host over SSH that goes away', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-ssh-away-'));
  let engine: SshDockerEngine | undefined;

  afterAll(() => {
    engine?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails the next request with the reason, on a connection that was open and idle', async () => {
    const sshd = await startSshd();
    // The key and known_hosts outlive the sshd's folder: the host is away, not the key.
    const key = path.join(dir, 'client');
    fs.copyFileSync(sshd.clientKey, key);
    fs.chmodSync(key, 0o600);
    fs.writeFileSync(path.join(dir, 'known_hosts'), `${sshd.knownHostsLine}\n`);
    engine = dockerOverSsh(sshd.url, { identity: key, knownHosts: path.join(dir, 'known_hosts'), home: dir });
    expect(String(await engine.docker.ping())).toBe('OK');
    await engine.docker.listContainers(); // a second request on the kept-alive channel
    await sshd.stop();
    // The idle connection hears that the host closed it (a request in that moment would get
    // "socket hang up", as on any connection that drops under it).
    // At 0 the client has heard it (ssh2 has closed the connection's channels): no idle one is reused.
    await eventually(async () => engine!.sessions.connections === 0, 10_000).catch((err: Error) => {
      const sockets = spawnSync('ss', ['-tanpo', `( sport = :${sshd.port} or dport = :${sshd.port} )`], {
        encoding: 'utf8',
      }).stdout;
      throw new Error(
        `${err.message}: ${engine!.sessions.connections} connection(s) to the stopped sshd still count.\n` +
          `Sockets of port ${sshd.port}:\n${sockets}\nsshd said:\n${sshd.log().slice(-3000)}`,
      );
    });

    await expect(engine.docker.ping()).rejects.toThrow(
      `Nothing accepts SSH connections at 127.0.0.1 port ${sshd.port}`,
    );
    // A target's engine fails as the target does when it is away: TargetError `unavailable`, the same
    // sentence (what the API answers as a 503 with the reason).
    const targets = dockerOverSsh(
      sshd.url,
      { identity: key, knownHosts: path.join(dir, 'known_hosts'), home: dir },
      (err) => new TargetError('unavailable', err.message),
    );
    try {
      await expect(targets.docker.ping()).rejects.toMatchObject({
        name: 'TargetError',
        code: 'unavailable',
        message: expect.stringContaining(`Nothing accepts SSH connections at 127.0.0.1 port ${sshd.port}`),
      });
    } finally {
      targets.close();
    }
  });
});
