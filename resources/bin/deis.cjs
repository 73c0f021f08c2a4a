// The `deis` command of Deis Desktop (started by resources/bin/deis and deis.cmd): runs the CLI's
// JavaScript bundle, out/cli/deis.cjs, building it first when it is missing or older than its
// sources (a fresh clone whose `npm ci` did not build it, or a checkout whose sources changed).
// CommonJS and synchronous: this runs on every call, and nothing here may cost more than a few ms.
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (see above) */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const bundle = path.join(root, 'out', 'cli', 'deis.cjs');
const builder = path.join(root, 'scripts', 'build-cli.mjs');
/** The same folders as BUNDLES.cli.sources in scripts/build-cli.mjs. */
const SOURCES = ['main/cli', 'main/contract'];

/** Whether a file under `dir` changed after `time` (ms). */
function changedAfter(dir, time) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() ? changedAfter(full, time) : fs.statSync(full).mtimeMs > time) return true;
  }
  return false;
}

function isStale() {
  const built = fs.statSync(bundle, { throwIfNoEntry: false });
  if (!built) return true;
  // An installed app ships the bundle without the sources or the build script: nothing to compare.
  if (!fs.existsSync(builder)) return false;
  if (fs.statSync(builder).mtimeMs > built.mtimeMs) return true;
  return SOURCES.some((dir) => {
    const full = path.join(root, dir);
    return fs.existsSync(full) && changedAfter(full, built.mtimeMs);
  });
}

if (isStale()) {
  try {
    // node:child_process only here: loading it costs as much as the rest of this file.
    require('node:child_process').execFileSync(process.execPath, [builder, 'cli'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    const detail = (err.stderr && err.stderr.toString().trim()) || err.message;
    process.stderr.write(
      `Error: the deis command could not be built from its sources in ${root}:\n${detail}\n` +
        `Run \`npm ci\` there, then try again.\n`,
    );
    if (!fs.existsSync(bundle)) process.exit(1);
  }
}
require(bundle);
