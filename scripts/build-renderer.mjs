// Builds the renderer into out/renderer when it is missing or older than its sources, so
// `npm run serve` (and the end-to-end tests) always serve the current UI and start fast otherwise.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = path.join(root, 'out', 'renderer', 'index.html');
const sources = [path.join(root, 'renderer'), path.join(root, 'main', 'contract')];

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

export async function buildRenderer({ force = false } = {}) {
  const built = fs.existsSync(outIndex) ? fs.statSync(outIndex).mtimeMs : 0;
  if (!force && built >= newest(sources)) return false;
  const { build } = await import('vite');
  const { default: react } = await import('@vitejs/plugin-react');
  await build({
    root: path.join(root, 'renderer'),
    configFile: false,
    logLevel: 'warn',
    plugins: [react()],
    build: { outDir: path.join(root, 'out', 'renderer'), emptyOutDir: true },
  });
  return true;
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
