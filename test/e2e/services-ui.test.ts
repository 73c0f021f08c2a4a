/**
 * Backing services in the UI, in Debian's Chromium against a real core on the real Docker engine: an
 * app that keeps a note in PostgreSQL is git-pushed and answers "no DATABASE_URL"; PostgreSQL is
 * dragged from the catalog onto it (a real mouse drag), provisions with its steps shown live, and is
 * attached; the app's config shows DATABASE_URL masked (the password is nowhere in the page until
 * revealed) and the app now answers from the database. Destroying it is refused while attached;
 * detaching and attaching again with the keyboard work; axe-core finds no serious or critical
 * violation on these screens.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Config } from '../../main/contract/objects';
import { Api, startTestCore, type TestCore } from '../support/core';
import { repoFromFixture } from '../support/git';
import { BASE_IMAGE, dockerAvailable, ensureBaseImage, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import { eventually, instanceName, removeAppImages, removeInstance, viaRouter } from '../support/run-stage';
import { buildUi, hasChromium, openBrowser, screenshot, type Browser } from './browser';

const hasDocker = await dockerAvailable();
const ready = hasDocker && hasChromium();
if (!ready)
  console.warn(
    `Services UI end-to-end test skipped: ${hasDocker ? 'no Chromium at /usr/bin/chromium' : 'no Docker engine answers'}.`,
  );

const APP = 'notes-ui';
const INSTANCE = instanceName('svc-ui');
const AXE = path.resolve('node_modules/axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Serious and critical accessibility violations on the page as it is now (within `selector`). */
async function axeProblems(page: Page, selector = 'body'): Promise<string[]> {
  // Evaluated rather than added with addScriptTag: the UI's CSP (script-src 'self') refuses the
  // inline script that makes, as it should.
  if (!(await page.evaluate("typeof window.axe === 'object'")))
    await page.evaluate(fs.readFileSync(AXE, 'utf8'));
  // The test's TypeScript has no DOM types: the page runs this as a string.
  const violations = (await page.evaluate(
    `axe.run(${JSON.stringify(selector)}).then((r) => r.violations)`,
  )) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Whether `secret` is anywhere in the page: its markup, its text, or a field's current value. */
async function pageHolds(page: Page, secret: string): Promise<boolean> {
  if ((await page.content()).includes(secret)) return true;
  const shown = (await page.evaluate(
    "[document.body.innerText, ...[...document.querySelectorAll('input, textarea')].map((el) => el.value)].join('\\n')",
  )) as string;
  return shown.includes(secret);
}

describe.skipIf(!ready)('backing services in the UI', () => {
  let t: TestCore;
  let api: Api;
  let browser: Browser;
  let page: Page;
  let pusher: Pusher;
  const pageErrors: string[] = [];

  let routerPort = 0;
  const answer = async (urlPath: string) => {
    const r = await viaRouter(routerPort, `${APP}.localhost`, urlPath, 30_000);
    return `${r.status} ${r.body.trim()}`;
  };
  /** Polls until the app answers `expected` (a release after a config change takes a moment to roll out). */
  const answers = async (urlPath: string, expected: string) => {
    let last = '';
    await eventually(async () => (last = await answer(urlPath)) === expected, 120_000).catch(() => {
      throw new Error(`${APP}${urlPath} answered ${JSON.stringify(last)}, not ${JSON.stringify(expected)}`);
    });
  };
  const config = async () => ((await api.get(`/v2/apps/${APP}/config/`)).body as Config).values;

  beforeAll(async () => {
    buildUi();
    await ensureStackImage();
    // Services are built on the same Debian base as the other test images (no registry here).
    process.env.DEIS_SERVICE_BASE = await ensureBaseImage();
    t = await startTestCore({ target: 'docker', instance: INSTANCE, routerBase: BASE_IMAGE });
    api = await new Api(t.url).register('admin', 'e2e-secret');
    routerPort = ((await api.get('/v2/desktop/info/')).body as { router_port: number }).router_port;

    // The app, as a user ships it: created, a key added, its folder pushed with git.
    expect((await api.post('/v2/apps/', { id: APP })).status).toBe(201);
    await api.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    });
    pusher = new Pusher(t.core.builderPort, 'svc-ui');
    await pusher.addKeyTo(api);
    const { dir } = repoFromFixture('service-app');
    const pushed = await pusher.push(dir, APP);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(pushed.code, pushed.output).toBe(0);
    await answers('/db', '503 no DATABASE_URL');

    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
    });
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await t?.core.stop().catch(() => undefined);
    await removeInstance(INSTANCE);
    await removeAppImages([APP]);
    pusher?.remove();
    if (t) fs.rmSync(t.home, { recursive: true, force: true });
    delete process.env.DEIS_SERVICE_BASE;
  });

  it('shows the catalog on the Services screen, with nothing provisioned yet', async () => {
    await page.goto(t.url + '/');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('e2e-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByRole('link', { name: 'Services', exact: true }).click();
    await page.getByRole('heading', { name: 'Services', exact: true }).waitFor();
    for (const kind of ['postgres', 'redis', 'mariadb', 'memcached'])
      await page.getByTestId(`catalog-${kind}`).waitFor();
    const postgres = page.getByTestId('catalog-postgres');
    expect(await postgres.textContent()).toContain('PostgreSQL');
    expect(await postgres.textContent()).toContain('DATABASE_URL');
    await page.getByText('No services yet.').waitFor();
    await page.getByTestId(`drop-app-${APP}`).waitFor();
    expect(await axeProblems(page)).toEqual([]);
  });

  it('drags PostgreSQL onto the app: it provisions with live steps, then DATABASE_URL is set', async () => {
    const job = page.getByTestId(`job-${APP}`);
    await page.getByTestId('drag-postgres').dragTo(page.getByTestId(`drop-app-${APP}`));
    // Provisioning is shown while it happens: the job, its task's steps, the service's state.
    await page.locator(`[data-testid="job-${APP}"][data-phase="provisioning"]`).waitFor();
    await expect.poll(() => job.locator('.steps li').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.getByTestId('services').getByText('provisioning').first().waitFor();
    await screenshot(page, 'services-provisioning');

    await page.locator(`[data-testid="job-${APP}"][data-phase="attached"]`).waitFor({ timeout: 600_000 });
    const attached = await job.textContent();
    expect(attached).toMatch(new RegExp(`postgres-[0-9a-f]{6} is attached to ${APP} as DATABASE_URL`));
    const name = /(postgres-[0-9a-f]{6})/.exec(attached!)![1]!;
    const row = page.getByTestId(`service-${name}`);
    await expect.poll(() => row.textContent()).toContain('ready');
    expect(await row.textContent()).toContain(`${APP} DATABASE_URL`);
    expect(await axeProblems(page)).toEqual([]);
    await screenshot(page, 'services-screen');

    // The release the attach cut is the app's, and the database works for it.
    const url = (await config()).DATABASE_URL!;
    expect(url).toMatch(/^postgres:\/\/deis:[0-9a-f]{48}@/);
    await answers('/db?set=written-through-the-ui', '200 written-through-the-ui');
    // The password is not in the page: not in a listing, a task step or the job.
    expect(await pageHolds(page, new URL(url).password)).toBe(false);
  }, 900_000);

  it("shows DATABASE_URL in the app's config masked, and the whole URL only once revealed", async () => {
    const url = (await config()).DATABASE_URL!;
    const password = new URL(url).password;
    await page.getByRole('link', { name: APP, exact: true }).first().click();
    await page.getByRole('tab', { name: 'Config' }).click();
    const attachment = page.getByTestId('attachment-DATABASE_URL');
    await attachment.waitFor();
    await expect
      .poll(() => page.getByTestId('attached-value-DATABASE_URL').textContent())
      .toBe(url.replace(password, '••••••••'));
    // The environment table shows it masked too, and neither puts the password in the page.
    expect(await page.getByTestId('masked-DATABASE_URL').textContent()).toBe(
      url.replace(password, '••••••••'),
    );
    expect(await pageHolds(page, password)).toBe(false);
    // The tab's content is this feature's (the crumbs and tabs above are the shell's).
    expect(await axeProblems(page, '.tab-body')).toEqual([]);
    await screenshot(page, 'services-attached');

    await page.getByRole('button', { name: 'Reveal DATABASE_URL' }).first().click();
    await expect.poll(() => page.getByTestId('attached-value-DATABASE_URL').textContent()).toBe(url);
    await page.getByRole('button', { name: 'Hide DATABASE_URL' }).click();
    expect(await pageHolds(page, password)).toBe(false);
  });

  it('refuses to destroy an attached service and says where to detach it', async () => {
    await page.getByRole('link', { name: 'Services', exact: true }).click();
    // The row (`tr`): its size-and-clients line, once loaded, has a test id starting the same way.
    const row = page.locator('tr[data-testid^="service-postgres-"]');
    await row.getByRole('button', { name: 'Destroy…' }).click();
    await row.getByText(`is attached to ${APP}; detach it first`).waitFor();
    expect(await row.getByRole('textbox').count()).toBe(0);
    expect((await config()).DATABASE_URL).toBeDefined();
  });

  it('downloads a backup and restores it from the Services screen', async () => {
    const row = page.locator('tr[data-testid^="service-postgres-"]');
    const name = (await row.getAttribute('data-testid'))!.slice('service-'.length);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: 'Download backup' }).click(),
    ]);
    const file = path.join(pusher.keyFile, '..', 'notes.dump');
    await download.saveAs(file);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${name}.*\\.dump$`));
    expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe('PGDMP');

    await answers('/db?set=changed-after-the-backup', '200 changed-after-the-backup');
    await row.getByRole('button', { name: 'Restore…' }).click();
    await row.getByLabel('Backup file').setInputFiles(file);
    const restore = row.getByRole('button', { name: `Restore ${name}` });
    expect(await restore.isDisabled()).toBe(true);
    await row.getByLabel(/type its name to confirm/).fill(name);
    await restore.click();
    await row.getByText(`${name} was restored from notes.dump.`).waitFor({ timeout: 60_000 });
    await answers('/db', '200 written-through-the-ui');
  }, 180_000);

  it('detaches from the app page, and attaches again from the keyboard', async () => {
    await page.goto(`${t.url}/#/apps/${APP}/config`);
    const name = (await page.locator('[data-testid="attachment-DATABASE_URL"] a').textContent())!;
    await page.getByRole('button', { name: `Detach ${name}` }).click();
    await page.getByText(`Detached ${name}: DATABASE_URL is no longer set`).waitFor();
    expect((await config()).DATABASE_URL).toBeUndefined();
    expect(await page.getByTestId('masked-DATABASE_URL').count()).toBe(0);
    await answers('/db', '503 no DATABASE_URL');

    // "Attach service…" from the keyboard: the choice gets the focus, Enter attaches.
    await page.getByRole('button', { name: 'Attach service…' }).focus();
    await page.keyboard.press('Enter');
    const choice = page.getByLabel('Service to attach');
    await expect.poll(() => page.evaluate('document.activeElement?.tagName')).toBe('SELECT');
    expect(await choice.inputValue()).toBe(name);
    expect(await axeProblems(page, '.tab-body')).toEqual([]);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Attach');
    await page.keyboard.press('Enter');
    await page
      .locator(`[data-testid="job-${APP}"][data-phase="attached"]`)
      .last()
      .waitFor({ timeout: 60_000 });
    await page.getByTestId('attachment-DATABASE_URL').waitFor();
    // The data was kept while detached.
    await answers('/db', '200 written-through-the-ui');
    expect(pageErrors).toEqual([]);
  }, 300_000);
});
