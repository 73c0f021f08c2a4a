/**
 * The UI end to end, in Debian's Chromium against a real core serving the built renderer, with the
 * real Docker engine: first-run admin, create an app, deploy a folder, v2 and its build log, config
 * → v3, rollback → v4, destroy. Scaling, the app's URL and live logs need the run stage; those steps
 * run when the core has the endpoints and skip, saying so, when it does not.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Api, type TestCore } from '../support/core';
import { docker, instanceName, removeInstance, startDockerCore } from '../support/run-stage';
import { LABEL_INSTANCE } from '../../cluster/docker/labels';
import { git, repoFromFixture } from '../support/git';
import { Pusher } from '../support/push';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { buildUi, hasChromium, openBrowser, screenshot, type Browser } from './browser';

const hasDocker = await dockerAvailable();
const ready = hasDocker && hasChromium();
if (!ready)
  console.warn(
    `UI end-to-end tests skipped: ${hasDocker ? 'no Chromium at /usr/bin/chromium' : 'no Docker engine answers'}.`,
  );

const APP = 'e2e-web';
const FOLDER = path.resolve('test/fixtures/apps/dockerfile-app');

/** What git sees changed under docs/ (the README's screenshots): the run must not change it. */
const trackedDocs = () =>
  execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', 'docs/'], {
    encoding: 'utf8',
  });
const docsBefore = trackedDocs();

/** This run's own Docker network and router, removed afterwards. */
const INSTANCE = instanceName('e2e');

let t: TestCore;
let browser: Browser;
let page: Page;
let api: Api;
/** Whether the core has the run stage's endpoints (scale, logs). */
let canScale = false;
let hasLogs = false;
/** Uncaught errors and console errors of the page, CSP violations included. */
const pageErrors: string[] = [];

/** A GET through the local router with the app's host name (fetch may not set Host). */
function viaRouter(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

const tab = async (name: string) => {
  await page.getByRole('tab', { name }).click();
};

describe.skipIf(!ready)('the UI in a browser', () => {
  beforeAll(async () => {
    buildUi();
    await ensureStackImage();
    t = await startDockerCore(INSTANCE);
    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => {
      // Refused requests (a wrong password, a missing endpoint) are expected; scripts failing are not.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await removeInstance(INSTANCE);
  });

  it('creates the administrator on first run and shows the dashboard', async () => {
    await page.goto(t.url + '/');
    await expect
      .poll(() => page.getByRole('heading', { name: 'Create the administrator account' }).isVisible())
      .toBe(true);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('e2e-secret');
    await screenshot(page, '01-first-run');
    await page.getByRole('button', { name: 'Create account and sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await expect.poll(() => page.getByText('healthy').isVisible()).toBe(true);
    await expect.poll(() => page.getByText(`ssh on 127.0.0.1:${t.core.builderPort}`).isVisible()).toBe(true);
    await expect.poll(() => page.getByText(/^running · /).isVisible()).toBe(true);
    // Every target with its health, and where its router answers, plain and HTTPS.
    const local = page.getByTestId('dashboard-target-local');
    await local.getByText('Ready').waitFor();
    await local.getByText(`http://127.0.0.1:${t.core.target.routerPort}`).waitFor();
    await local.getByText(`https://127.0.0.1:${t.core.target.routerTlsPort}`).waitFor();
    await screenshot(page, '02-dashboard');

    const login = await new Api(t.url).post('/v2/auth/login/', { username: 'admin', password: 'e2e-secret' });
    api = new Api(t.url, (login.body as { token: string }).token);
    // A route that exists answers 405 to GET; one that does not, 404.
    canScale = (await api.call('GET', '/v2/apps/x/scale/')).status === 405;
  });

  it('keeps the session over a reload, and says why a sign-in fails', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByRole('link', { name: 'Preferences' }).click();
    await page.getByText(`deis login ${t.url}`).waitFor();
    // HTTPS: the local authority's fingerprint and how to trust it (nothing is installed from here).
    const ca = new X509Certificate(fs.readFileSync(path.join(t.home, 'tls', 'ca.crt')));
    await page.getByText(ca.fingerprint256).waitFor();
    await page.getByRole('button', { name: 'How to trust it…' }).click();
    await page.getByRole('button', { name: 'Linux' }).click();
    await page.getByText('update-ca-certificates').waitFor();
    await screenshot(page, '02a-preferences');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Unable to log in with provided credentials.').waitFor();
    await screenshot(page, '02b-sign-in-error');
    await page.getByLabel('Password').fill('e2e-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where the user was.
    await page.getByRole('heading', { name: 'Preferences' }).waitFor();
  });

  it('rejects a bad app name as it is typed, then creates the app with push instructions', async () => {
    await page.getByRole('link', { name: 'Apps', exact: true }).click();
    const name = page.getByLabel('App name');
    await name.fill('Bad_Name');
    await page.getByText('App name must start with an alphabetic character').waitFor();
    expect(await page.getByRole('button', { name: 'Create app' }).isDisabled()).toBe(true);
    await name.fill(APP);
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByTestId('created-app').waitFor();
    expect(await page.getByTestId('git-remote').textContent()).toBe(
      `ssh://git@127.0.0.1:${t.core.builderPort}/${APP}.git`,
    );
    await screenshot(page, '03-app-created');
  });

  it('deploys a folder with live build output and cuts v2', async () => {
    const created = page.getByTestId('created-app');
    await created.getByLabel('Folder to deploy').fill('relative/path');
    await created.getByRole('button', { name: 'Deploy folder' }).click();
    await created.getByText('Give the folder as an absolute path').waitFor();

    await created.getByLabel('Folder to deploy').fill(FOLDER);
    await created.getByRole('button', { name: 'Deploy folder' }).click();
    const task = created.getByTestId('task');
    await task.waitFor();
    await page.waitForSelector('[data-testid="task"][data-state="succeeded"]', { timeout: 240_000 });
    const log = await task.getByTestId('log').textContent();
    expect(log).toContain('Build complete.');
    expect(log).toContain(`Done, ${APP}:v2 deployed`);
    await screenshot(page, '04-deploy-folder');

    // The user's folder got no .git of ours.
    expect(fs.existsSync(path.join(FOLDER, '.git'))).toBe(false);
    await page.getByTestId(`app-row-${APP}`).getByRole('link', { name: APP, exact: true }).click();
    await expect.poll(() => page.getByTestId('current-release').textContent()).toContain('v2');
    await screenshot(page, '05-app-overview');
  }, 300_000);

  it('shows the build and its full log', async () => {
    await tab('Builds');
    await page.getByTestId('builds').waitFor();
    await expect.poll(() => page.getByTestId('log').textContent()).toContain('Build complete.');
    expect(await page.getByTestId('builds').textContent()).toContain('Dockerfile');
    await screenshot(page, '06-builds');
  });

  it('sets a config value, which cuts v3', async () => {
    await tab('Config');
    await page.getByRole('button', { name: 'Add a value' }).click();
    await page.getByLabel('Key', { exact: true }).last().fill('GREETING');
    await page.getByLabel('Value of GREETING').fill('Howdy');
    await page.getByRole('button', { name: /^Save 1 change/ }).click();
    await page.getByText('Saved: the app now runs release v3.').waitFor();
    await screenshot(page, '07-config');

    // A pasted .env adds its values to the table; lines that are not KEY=value are named.
    await page.getByRole('button', { name: 'Paste a .env' }).click();
    await page
      .getByLabel('Paste a .env file')
      .fill("# from .env\nDATABASE_URL=postgres://db/app\nexport MODE='demo'\nnot a pair");
    await page.getByRole('button', { name: 'Add to the table' }).click();
    await page.getByText('Line 4 is not KEY=value; it was left out.').waitFor();
    expect(await page.getByLabel('Value of DATABASE_URL').inputValue()).toBe('postgres://db/app');
    expect(await page.getByLabel('Value of MODE').inputValue()).toBe('demo');
    await page.getByRole('button', { name: /^Save 2 changes/ }).waitFor();
    await page.getByRole('button', { name: 'Discard' }).click();
    await page.getByLabel('Value of MODE').waitFor({ state: 'detached' });
    const config = await api.get(`/v2/apps/${APP}/config/`);
    expect((config.body as { values: Record<string, string> }).values.GREETING).toBe('Howdy');
  });

  it('compares two releases and rolls back to v2, which cuts v4', async () => {
    await tab('Releases');
    await page.getByTestId('release-v3').waitFor();
    await page.getByLabel('from release').selectOption('2');
    await page.getByLabel('to release').selectOption('3');
    await page.getByRole('button', { name: 'Compare' }).click();
    const diff = page.getByTestId('config-diff');
    await diff.waitFor();
    expect(await diff.textContent()).toContain('GREETING');
    expect(await diff.textContent()).toContain('Howdy');
    await screenshot(page, '08-releases-compare');

    await page.getByTestId('release-v2').getByRole('button', { name: 'Roll back to v2' }).click();
    await page.getByText('Rolled back to v2: the app now runs v4.').waitFor();
    await page.getByTestId('release-v4').waitFor();
    expect(await page.getByTestId('release-v4').textContent()).toContain('rolled back to v2');
    await screenshot(page, '09-rollback');
  });

  it('shows a git push from a terminal on the app page as it builds, then its release', async () => {
    await tab('Overview');
    const pusher = new Pusher(t.core.builderPort, 'e2e');
    await pusher.addKeyTo(api);
    const { dir } = repoFromFixture('dockerfile-app');
    try {
      // A step Docker cannot take from its cache, so the build is still running when the page looks.
      fs.appendFileSync(path.join(dir, 'Dockerfile'), `RUN sleep 3 && echo ${Date.now()}\n`);
      git(dir, 'add', '-A');
      git(dir, '-c', 'user.name=E2E', '-c', 'user.email=e2e@example.com', 'commit', '-q', '-m', 'slow build');
      const pushed = pusher.push(dir, APP);
      const building = page.getByRole('heading', { name: 'Building now' });
      await building.waitFor({ timeout: 30_000 });
      // The first build step (BuildKit's `#2 [1/4] FROM …`) may take a moment to print on a busy
      // machine (the default poll is 1 s).
      await expect
        .poll(() => page.getByTestId('task').getByTestId('log').textContent(), { timeout: 20_000 })
        .toMatch(/#\d+ \[\d+\/\d+\] /);
      await screenshot(page, '09b-git-push-live');
      const result = await pushed;
      expect(result.code, result.output).toBe(0);
      await building.waitFor({ state: 'hidden', timeout: 30_000 });
      await expect.poll(() => page.getByTestId('current-release').textContent()).toContain('v5');
    } finally {
      pusher.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('scales web to 2 and the app answers at its URL', async (ctx) => {
    if (!canScale) ctx.skip(true, 'the core has no scale endpoint yet (the run stage lands separately)');
    await tab('Overview');
    const type = (await page
      .getByTestId(/^proc-/)
      .first()
      .getAttribute('data-testid'))!.slice('proc-'.length);
    await page.getByRole('button', { name: `more ${type}` }).click();
    await page.getByRole('button', { name: 'Apply scale' }).click();
    await page.getByText(`Scaled ${type} to 2.`).waitFor({ timeout: 120_000 });
    await expect
      .poll(() => page.getByTestId(`proc-${type}`).textContent(), { timeout: 120_000 })
      .toContain('2 up of 2');
    await screenshot(page, '10-scaled');

    // The app answers through the router at <app>.localhost, as its URL on the overview says.
    const info = (await api.get('/v2/desktop/info/')).body as { router_port: number };
    const answer = await viaRouter(info.router_port, `${APP}.localhost`);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Hello from a Dockerfile app');
  }, 300_000);

  it('tails the app log, or shows the build output until the core collects logs', async () => {
    await tab('Logs');
    hasLogs = [200, 204].includes((await api.get(`/v2/apps/${APP}/logs`)).status);
    if (hasLogs) {
      // The app's own lines, as the run stage collects them: "listening on <port>" from its process.
      await expect
        .poll(() => page.getByTestId('log-status').textContent(), { timeout: 60_000 })
        .toContain('live');
      await expect
        .poll(() => page.getByTestId('log').textContent(), { timeout: 60_000 })
        .toContain('listening on');
      await screenshot(page, '11-logs');
      // The process-type filter reads the lines the core really streams (`<time> <app>[<type>.vN.id]:`
      // and `<time> deis[controller]:`): it offers the app's process type and the controller's
      // lines, never the app's name, and filters by them.
      const pods = (await api.get(`/v2/apps/${APP}/pods/`)).body as { results: { type: string }[] };
      const type = pods.results[0]!.type;
      const filter = page.getByLabel('Process type');
      await expect
        .poll(async () => (await filter.locator('option').allTextContents()).sort())
        .toEqual(['all processes', 'controller', type].sort());
      await filter.selectOption(type);
      await expect.poll(() => page.getByTestId('log').textContent()).toContain('listening on');
      const shown = (await page.getByTestId('log').textContent()) ?? '';
      expect(shown).toContain(`${APP}[${type}.v`);
      expect(shown).not.toContain('deis[controller]');
      await filter.selectOption('controller');
      await expect.poll(() => page.getByTestId('log').textContent()).toContain('deis[controller]: INFO');
      expect(await page.getByTestId('log').textContent()).not.toContain('listening on');
      await filter.selectOption('all');
      await page.getByLabel('Search the log').fill('listening');
      await expect.poll(() => page.getByTestId('log-status').textContent()).toMatch(/^[1-9]\d* of/);
    } else {
      await page.getByText("This core does not collect the app's own logs yet").waitFor();
      await expect.poll(() => page.getByTestId('log').textContent()).toContain('Build complete.');
      await screenshot(page, '11-logs');
      await page.getByLabel('Search the log').fill('Build complete');
      await expect.poll(() => page.getByTestId('log').textContent()).not.toMatch(/#\d+ \[\d+\/\d+\] /);
    }
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByTestId('log-status').textContent()).toContain('paused');
    await screenshot(page, '11-logs-paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByLabel('Search the log').fill('');
  });

  it('adds a domain and shows the settings', async () => {
    await tab('Domains');
    await page.getByLabel('Domain').fill('e2e.example.com');
    await page.getByRole('button', { name: 'Add domain' }).click();
    await page.getByText('e2e.example.com', { exact: true }).waitFor();
    await screenshot(page, '12-domains');

    await tab('Settings');
    await page.getByLabel('Maintenance mode').check();
    await page.getByText('Maintenance mode on.').waitFor();
    expect(((await api.get(`/v2/apps/${APP}/settings/`)).body as { maintenance: boolean }).maintenance).toBe(
      true,
    );
    // A memory limit for the app's process type, saved through the config (a new release).
    const type = (await page
      .getByLabel(/^memory of /)
      .first()
      .getAttribute('aria-label'))!.slice('memory of '.length);
    await page.getByLabel(`memory of ${type}`).fill('256M');
    await page
      .getByLabel(`memory of ${type}`)
      .locator('xpath=ancestor::tr')
      .getByRole('button', { name: 'Save' })
      .click();
    await page.getByText(`Saved the limits and checks of ${type}`).waitFor();
    const limits = (await api.get(`/v2/apps/${APP}/config/`)).body as { memory: Record<string, string> };
    expect(limits.memory[type]).toBe('256M');
    await screenshot(page, '13-settings');
  });

  it('destroys the app', async () => {
    await page.getByLabel('Type the app name to confirm').fill(APP);
    await page.getByRole('button', { name: `Destroy ${APP}` }).click();
    await page.getByRole('heading', { name: 'Apps', exact: true }).waitFor();
    await page.getByText('No apps yet.').waitFor();
    expect((await api.get(`/v2/apps/${APP}/`)).status).toBe(404);

    await page.getByRole('link', { name: 'Dashboard' }).click();
    const recent = page.getByTestId('recent-tasks');
    await recent.waitFor();
    // Its builds stay in the history, marked as a destroyed app's, with no link to a page that is gone.
    await expect.poll(() => recent.getByText('app destroyed').count()).toBeGreaterThan(0);
    expect(await recent.getByRole('link').count()).toBe(0);
    await screenshot(page, '14-dashboard-after');
  });

  it("gives a new app of the destroyed app's name none of its builds", async () => {
    expect((await api.post('/v2/apps/', { id: APP })).status).toBe(201);
    try {
      await page.reload();
      const recent = page.getByTestId('recent-tasks');
      await recent.waitFor();
      await expect.poll(() => recent.getByText('app destroyed').count()).toBeGreaterThan(0);
      expect(await recent.getByRole('link').count()).toBe(0);
      await page.goto(`${t.url}/#/apps/${APP}/builds`);
      await page.getByText('No builds yet.').waitFor();
    } finally {
      await api.delete(`/v2/apps/${APP}/`);
    }
  });

  it('stops, starts and removes everything from Preferences', async () => {
    const ours = async () =>
      docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${INSTANCE}`] } });
    await page.getByRole('link', { name: 'Preferences' }).click();
    const state = page.getByTestId('instance-state');
    await expect.poll(() => state.textContent()).toContain('running');
    await page.getByRole('button', { name: 'Stop everything' }).click();
    await page.getByText('Stopped the router and every app.').waitFor({ timeout: 60_000 });
    expect(await state.textContent()).toContain('stopped');
    expect((await ours()).filter((c) => c.State === 'running')).toEqual([]);
    await page.getByRole('button', { name: 'Start everything' }).click();
    await page.getByText('Started the router and every app.').waitFor({ timeout: 120_000 });
    expect((await ours()).filter((c) => c.State === 'running').length).toBeGreaterThan(0);
    // Removing needs the instance's name typed.
    const remove = page.getByRole('button', { name: 'Remove everything' });
    expect(await remove.isDisabled()).toBe(true);
    await page.getByLabel('Type the instance name to confirm').fill(INSTANCE);
    await remove.click();
    await page.getByText(/^Removed \d+ containers/).waitFor({ timeout: 60_000 });
    expect(await state.textContent()).toContain('stopped');
    expect(await ours()).toEqual([]);
    await screenshot(page, '15-preferences-removed');
  }, 300_000);

  it('ran without a script error or a CSP violation', () => {
    expect(pageErrors).toEqual([]);
  });

  it('writes nothing git tracks: screenshots stay under test-results/ (npm run screenshots updates the README screens)', () => {
    expect(trackedDocs()).toBe(docsBefore);
  });
});
