// Builds the renderer into out/renderer when it is missing or older than its sources, so
// `npm run serve` (and the end-to-end tests) always serve the current UI and start fast otherwise.
// Safe to run several at once (parallel test files): one builds under a lock, into a fresh folder
// that replaces the old one, while the others wait and then find it up to date.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'out');
const target = path.join(out, 'renderer');
const lock = path.join(out, '.renderer-build.lock');
const sources = [path.join(root, 'renderer'), path.join(root, 'main', 'contract')];
const LOCK_STALE_MS = 120_000;

/** The newest modification time of any file under the folders. */
function newest(dirs) {
  let latest = 0;
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else latest = Math.max(latest, fs.statSync(full).mtimeMs);
    }
  };
  for (const dir of dirs) walk(dir);
  return latest;
}

const isStale = () => {
  const index = path.join(target, 'index.html');
  return !fs.existsSync(index) || fs.statSync(index).mtimeMs < newest(sources);
};

async function withLock(work) {
  fs.mkdirSync(out, { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      // A builder that died leaves its lock behind; a live one finishes well within the limit.
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) fs.rmSync(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

export async function buildRenderer({ force = false } = {}) {
  if (!force && !isStale()) return false;
  return withLock(async () => {
    if (!force && !isStale()) return false;
    const { build } = await import('vite');
    const { default: react } = await import('@vitejs/plugin-react');
    const fresh = path.join(out, `.renderer-${process.pid}`);
    await build({
      root: path.join(root, 'renderer'),
      configFile: false,
      logLevel: 'warn',
      plugins: [react()],
      build: { outDir: fresh, emptyOutDir: true },
    });
    const old = path.join(out, `.renderer-old-${process.pid}`);
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(fresh, target);
    fs.rmSync(old, { recursive: true, force: true });
    return true;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  buildRenderer({ force: process.argv.includes('--force') }).then(
    (did) => {
      if (did) console.log(`Built the UI into out/renderer in ${Date.now() - started} ms.`);
    },
    (err) => {
      console.error(`Could not build the UI: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
