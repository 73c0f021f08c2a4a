/**
 * Start-up of the headless core (`npm run serve`: its bundle, out/core/serve.js → GET /healthz
 * answers) against a baseline in the same run: plain node serving /healthz from a bare http server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error -- a plain .mjs script without types: buildBundle(name) → the bundle's path.
import { buildBundle } from '../scripts/build-cli.mjs';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function readyMs(args: string[], env: NodeJS.ProcessEnv, port: number): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  try {
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (r.ok) return performance.now() - started;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const BASELINE = `require('node:http').createServer((q, s) => s.end('OK')).listen(Number(process.env.PORT), '127.0.0.1')`;

/** Median ready times over `runs` alternating runs (fresh DEIS_HOME each time: a first start). */
export async function benchStartup(runs = 5): Promise<{ core: number; baseline: number }> {
  const core: number[] = [];
  const baseline: number[] = [];
  // As `npm run serve` does first: the bundle, rebuilt if the sources changed.
  const bundle = (await buildBundle('core')) as string;
  for (let i = 0; i < runs; i++) {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-bench-start-'));
    const [api, builder, plain] = [await freePort(), await freePort(), await freePort()];
    core.push(
      await readyMs(
        [bundle],
        // The fake target: this measures the API's start-up, and touches no Docker network or router.
        {
          DEIS_HOME: home,
          DEIS_API_PORT: String(api),
          DEIS_BUILDER_PORT: String(builder),
          DEIS_TARGET: 'fake',
        },
        api,
      ),
    );
    baseline.push(await readyMs(['-e', BASELINE], { PORT: String(plain) }, plain));
    fs.rmSync(home, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { core: median(core), baseline: median(baseline) };
}
