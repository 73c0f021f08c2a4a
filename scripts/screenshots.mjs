// `npm run screenshots`: updates the README's screenshots in docs/screenshots. Tests never write
// there (they write under test-results/, which git ignores); this command runs the UI's end-to-end
// tests and copies the chosen screens from their runs. `--from-last-run` copies from the last run only.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shots = path.join(root, 'test-results', 'screenshots');
const docs = path.join(root, 'docs', 'screenshots');

/** The screens the README shows, by the end-to-end test that takes them. */
const SOURCES = [
  // Its table in "## The app".
  {
    test: 'test/e2e/ui.test.ts',
    screens: [
      '14-dashboard-after',
      '04-deploy-folder',
      '05-app-overview',
      '07-config',
      '08-releases-compare',
      '11-logs',
    ],
  },
  // "## Backing services".
  {
    test: 'test/e2e/services-ui.test.ts',
    screens: ['services-provisioning', 'services-screen', 'services-attached'],
  },
  // "## Metrics and activity".
  {
    test: 'test/e2e/metrics-ui.test.ts',
    screens: [
      '40-metrics',
      '41-activity',
      '42-restart',
      '43-console',
      '45-overview-sparklines',
      '46-dashboard-activity',
      '47-console-shell',
    ],
  },
  // "### People", at the end of "## Metrics and activity".
  {
    test: 'test/e2e/people-ui.test.ts',
    screens: ['50-users', '51-collaborators', '52-ssh-keys', '53-notifications'],
  },
  // "## Targets" (needs the Kubernetes test cluster and its registry).
  {
    test: 'test/e2e/targets-ui.test.ts',
    screens: ['targets-screen', 'targets-add', 'targets-deploy-to', 'targets-promoted-release'],
  },
];
export const README_SCREENS = SOURCES.flatMap((s) => s.screens);

if (!process.argv.includes('--from-last-run')) {
  // Old screens must not pass for new ones if the run stops early.
  for (const name of README_SCREENS) fs.rmSync(path.join(shots, `${name}.png`), { force: true });
  for (const { test } of SOURCES) {
    const run = spawnSync('npx', ['vitest', 'run', test], { cwd: root, stdio: 'inherit' });
    if (run.status !== 0) {
      console.error(`screenshots: ${test} failed; docs/screenshots was left as it was.`);
      process.exit(run.status ?? 1);
    }
  }
}
const missing = README_SCREENS.filter((name) => !fs.existsSync(path.join(shots, `${name}.png`)));
if (missing.length) {
  console.error(
    `screenshots: ${missing.join(', ')} not in test-results/screenshots (a step was skipped?); docs/screenshots was left as it was.`,
  );
  process.exit(1);
}
fs.mkdirSync(docs, { recursive: true });
for (const name of README_SCREENS)
  fs.copyFileSync(path.join(shots, `${name}.png`), path.join(docs, `${name}.png`));
console.log(
  `screenshots: copied ${README_SCREENS.length} screens into docs/screenshots; review them with git diff.`,
);
