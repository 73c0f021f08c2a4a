/**
 * A Docker engine over SSH against the same engine on its socket, side by side in one run (this
 * machine's dockerd behind a private sshd on 127.0.0.1): requests (first one, then kept-alive ones)
 * and moving an image there with `docker save | load` over the connection, against sending a build
 * context (what building on that engine sends). `npx tsx bench/ssh-engine.ts [image]` (as root).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dockerEngine } from '../cluster/docker/engine';
import { dockerOverSsh } from '../cluster/ssh/docker-engine';
import { startSshd } from '../test/support/sshd';

const image = process.argv[2] ?? 'deis-desktop/debian:bookworm';
const ms = (t: number) => `${Math.round(performance.now() - t)} ms`;

const sshd = await startSshd();
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-bench-ssh-'));
fs.mkdirSync(path.join(home, '.ssh'));
fs.writeFileSync(path.join(home, '.ssh', 'known_hosts'), sshd.knownHostsLine + '\n');
const local = dockerEngine();
const remote = dockerOverSsh(`ssh://root@127.0.0.1:${sshd.port}`, { identity: sshd.clientKey, home });
try {
  let t = performance.now();
  await remote.docker.ping();
  console.log(`first request over SSH (connect, host key, login, dial-stdio): ${ms(t)}`);
  for (const [name, docker] of [
    ['socket', local],
    ['ssh', remote.docker],
  ] as const) {
    t = performance.now();
    for (let i = 0; i < 50; i++) await docker.getImage(image).inspect();
    console.log(`50 image inspects, ${name}: ${ms(t)}`);
  }
  // save | load over SSH: every byte of every layer crosses the connection.
  t = performance.now();
  const tar = (await local.getImage(image).get()) as NodeJS.ReadableStream;
  let bytes = 0;
  tar.on('data', (c: Buffer) => (bytes += c.length));
  const out = (await remote.docker.loadImage(tar as never, { quiet: true })) as NodeJS.ReadableStream;
  await new Promise((resolve, reject) => out.on('end', resolve).on('error', reject).resume());
  console.log(`docker save | load of ${image} over SSH: ${(bytes / 1e6).toFixed(0)} MB in ${ms(t)}`);
  // A build context of a small app is the source: the size of `git archive` of this repo's fixture.
  const fixture = path.resolve('test/fixtures/apps/run-app');
  const context = execFileSync('tar', ['-C', fixture, '-c', '.']).length;
  console.log(
    `a build on that engine sends the app's source instead: ${(context / 1e3).toFixed(0)} kB (test/fixtures/apps/run-app)`,
  );
} finally {
  remote.close();
  await sshd.stop();
  fs.rmSync(home, { recursive: true, force: true });
}
