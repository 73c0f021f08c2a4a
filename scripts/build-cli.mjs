// Builds the `deis` CLI and the headless core into JavaScript bundles (out/cli/deis.cjs,
// out/core/serve.js) with esbuild, so neither compiles TypeScript on every start. Only our own code
// is bundled; packages stay in node_modules (better-sqlite3 and ssh2 have native parts). The CLI is
// CommonJS: Node loads one CommonJS file faster than an ES module, and the CLI starts on every call.
//
//   node scripts/build-cli.mjs [--force] [cli] [core]   (both when neither is named)
//
// `npm ci` runs it (the `prepare` script), resources/bin/deis.cjs runs it when the CLI's bundle is
// missing or older than its sources, and `npm run serve` before starting the core. Several may run
// at once (parallel test files): each builds into its own file and renames it into place, which is
// atomic, so a reader sees the old bundle or the new one, never half of one.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const self = fileURLToPath(import.meta.url);

/**
 * What each bundle is built from; `sources` are the folders whose changes make it stale
 * (resources/bin/deis.cjs checks the CLI's on every call: keep its list the same).
 */
export const BUNDLES = {
  cli: {
    entry: 'main/cli/index.ts',
    outfile: 'out/cli/deis.cjs',
    format: 'cjs',
    sources: ['main/cli', 'main/contract'],
  },
  core: { entry: 'main/serve.ts', outfile: 'out/core/serve.js', format: 'esm', sources: ['main', 'cluster'] },
};

/** The newest modification time of any file under the folders (and of this script). */
function newest(dirs) {
  let latest = fs.statSync(self).mtimeMs;
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else latest = Math.max(latest, fs.statSync(full).mtimeMs);
    }
  };
  for (const dir of dirs) walk(path.join(root, dir));
  return latest;
}

/** The bundle's path when it exists and is newer than every source file, else undefined. */
export function freshBundle(name) {
  const { outfile, sources } = BUNDLES[name];
  const file = path.join(root, outfile);
  const built = fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
  return built !== undefined && built >= newest(sources) ? file : undefined;
}

/** Builds the bundle when stale (or always, with force); returns its path. */
export async function buildBundle(name, { force = false } = {}) {
  if (!force) {
    const fresh = freshBundle(name);
    if (fresh) return fresh;
  }
  const { entry, outfile, format } = BUNDLES[name];
  const target = path.join(root, outfile);
  const temp = `${target}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // The sources' time before the build: an edit made while building leaves the bundle stale.
  const started = Date.now();
  const { build } = await import('esbuild');
  try {
    await build({
      absWorkingDir: root,
      entryPoints: [entry],
      outfile: temp,
      bundle: true,
      platform: 'node',
      format,
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
      banner: { js: `// Built by scripts/build-cli.mjs from ${entry}: do not edit.` },
    });
    const stamp = new Date(Math.min(started, Date.now()));
    fs.utimesSync(temp, stamp, stamp);
    fs.renameSync(temp, target);
  } finally {
    fs.rmSync(temp, { force: true });
  }
  return target;
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const named = args.filter((a) => a in BUNDLES);
  const names = named.length > 0 ? named : Object.keys(BUNDLES);
  const started = Date.now();
  Promise.all(names.map((n) => buildBundle(n, { force }))).then(
    () => {
      if (force) console.log(`Built ${names.join(' and ')} into out/ in ${Date.now() - started} ms.`);
    },
    (err) => {
      console.error(
        `Could not build ${names.join(' and ')}: ${err instanceof Error ? err.message : String(err)}`,
      );
      process.exit(1);
    },
  );
}
