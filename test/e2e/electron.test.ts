/**
 * The desktop app launched for real: one window that shows the UI served by the core it started.
 * Needs an Electron binary and a display; where either is missing it skips itself and says why.
 * (It never imports electron: the binary's path is asked of a child process.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { _electron as electron } from 'playwright-core';
import { screenshot } from './browser';

function electronBinary(): string | undefined {
  const r = spawnSync(
    process.execPath,
    ['-e', "try { process.stdout.write(String(require('electron'))) } catch {}"],
    {
      encoding: 'utf8',
    },
  );
  const bin = r.stdout.trim();
  return bin && fs.existsSync(bin) ? bin : undefined;
}

const bin = electronBinary();
const hasDisplay =
  process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const why = !bin
  ? 'no Electron binary is installed (npm ci skipped its download)'
  : !hasDisplay
    ? 'no display (DISPLAY/WAYLAND_DISPLAY unset)'
    : '';
if (why) console.warn(`Electron launch test skipped: ${why}.`);

describe.skipIf(!!why)('the desktop app', () => {
  it('opens one window and shows the UI of the core it started', async () => {
    const build = spawnSync('npx', ['electron-vite', 'build'], { encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-electron-'));
    const app = await electron.launch({
      executablePath: bin!,
      args: ['.', '--no-sandbox'],
      env: { ...process.env, DEIS_HOME: home, DEIS_BUILDER_PORT: '0', DEIS_ROUTER_PORT: '0' },
    });
    try {
      const page = await app.firstWindow();
      await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\//, { timeout: 60_000 });
      // The desktop user is signed in by the shell: no login screen.
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor({ timeout: 30_000 });
      expect(await page.evaluate('typeof window.deisDesktop')).toBe('object');
      expect(await page.evaluate('typeof window.require')).toBe('undefined');
      await screenshot(page, '20-electron');
      expect(fs.statSync(path.join(home, 'desktop-token')).mode & 0o777).toBe(0o600);
    } finally {
      await app.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 180_000);
});
