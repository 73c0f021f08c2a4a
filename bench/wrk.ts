/**
 * wrk, run in a container on the apps' network so the client sits where the router's clients would
 * and no host networking differences skew a comparison. The image is built once from Debian.
 */
import { execFileSync } from 'node:child_process';
import { dockerEngine, imageExists } from '../cluster/docker/engine';

export const WRK_IMAGE = 'deis-desktop/bench-wrk:bookworm';

export async function ensureWrkImage(base: string): Promise<void> {
  if (await imageExists(dockerEngine(), WRK_IMAGE)) return;
  const dockerfile = `FROM ${base}\nRUN apt-get update && apt-get install -y --no-install-recommends wrk && rm -rf /var/lib/apt/lists/*\n`;
  execFileSync('docker', ['build', '-q', '-t', WRK_IMAGE, '--label', 'io.deis-desktop.role=image', '-'], {
    input: dockerfile,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
}

export interface WrkResult {
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
}

const toMs = (value: string, unit: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? 1);

export function wrk(
  network: string,
  url: string,
  host: string,
  seconds: number,
  connections = 32,
): WrkResult {
  const out = execFileSync(
    'docker',
    [
      'run',
      '--rm',
      '--network',
      network,
      WRK_IMAGE,
      'wrk',
      '-t2',
      `-c${connections}`,
      `-d${seconds}s`,
      '--latency',
      '-H',
      `Host: ${host}`,
      url,
    ],
    { encoding: 'utf8' },
  );
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const errors =
    (socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return { requestsPerSecond: Number(rps?.[1] ?? 0), p99Ms: p99 ? toMs(p99[1]!, p99[2]!) : NaN, errors };
}
