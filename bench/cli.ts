/**
 * The `deis` CLI's start-up, as a user feels it: the real binary (resources/bin/deis, which runs
 * the built bundle) for `deis --version` and for `deis apps` against a running core, each against
 * `node -e 0` measured in the same run (alternating, median of `runs`). The goal on an idle
 * machine: under 100 ms for --version and under 150 ms for apps.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEIS_BIN } from '../test/support/cli';

function wallMs(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${stderr}`)),
    );
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchCli(
  url: string,
  username: string,
  password: string,
  runs = 15,
): Promise<{ version: number; apps: number; baseline: number; rssKb: number }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-bench-cli-'));
  const env = { ...process.env, HOME: home };
  try {
    await wallMs(DEIS_BIN, ['login', url, `--username=${username}`, `--password=${password}`], env);
    // The first call may build the bundle (a checkout whose sources changed): not what is measured.
    await wallMs(DEIS_BIN, ['--version'], env);
    const version: number[] = [];
    const apps: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < runs; i++) {
      baseline.push(await wallMs(process.execPath, ['-e', '0'], env));
      version.push(await wallMs(DEIS_BIN, ['--version'], env));
      apps.push(await wallMs(DEIS_BIN, ['apps'], env));
    }
    // Peak memory of one `deis --version`, as GNU time reports it (where it is installed).
    let rssKb = NaN;
    if (fs.existsSync('/usr/bin/time')) {
      const out = path.join(home, 'time.txt');
      await wallMs('/usr/bin/time', ['-o', out, '-f', '%M', DEIS_BIN, '--version'], env);
      rssKb = Number(fs.readFileSync(out, 'utf8').trim());
    }
    return { version: median(version), apps: median(apps), baseline: median(baseline), rssKb };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
