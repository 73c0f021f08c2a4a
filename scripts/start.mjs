// `npm start`: the desktop app. Where no Electron binary or no display exists, say so and run the
// headless core (the same as `npm run serve`) instead.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(import.meta.url);

function electronBinary() {
  try {
    const bin = require('electron'); // the electron package exports the binary's path in Node
    return typeof bin === 'string' && fs.existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

const hasDisplay =
  process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const bin = electronBinary();
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function run(cmd, args) {
  const child = spawn(cmd, args, { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (bin && hasDisplay) {
  const build = spawnSync(npx, ['electron-vite', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  run(bin, ['.']);
} else {
  console.log(
    bin
      ? 'No display found (DISPLAY/WAYLAND_DISPLAY unset): starting the headless core instead.'
      : 'No Electron binary is installed (npm ci without it, or it could not be downloaded): starting the headless core instead.',
  );
  // The headless core serves the UI at its address: build it first if its sources changed.
  const ui = spawnSync(process.execPath, ['scripts/build-renderer.mjs'], { stdio: 'inherit' });
  if (ui.status !== 0) process.exit(ui.status ?? 1);
  // The core's JavaScript bundle, rebuilt first when its sources changed (as `npm run serve` does).
  const core = spawnSync(process.execPath, ['scripts/build-cli.mjs', 'core'], { stdio: 'inherit' });
  if (core.status !== 0) process.exit(core.status ?? 1);
  // One process, so signals and kill reach the core itself.
  run(process.execPath, ['out/core/serve.js']);
}
