/**
 * Targets in the UI, in Debian's Chromium against a real core on the real Docker engine and the real
 * test cluster with its registry (basic auth): the administrator adds the cluster as a target from
 * its kubeconfig file (the page sends the file's content; its context is chosen from the file's),
 * from the keyboard, and watches the checks pass as a task with named steps; the password is never
 * shown back. An app created on `local` and pushed with git is sent with "Deploy to…" (from the
 * keyboard) to the cluster: the answer names the copy and its release, the copy's Releases tab says
 * where it came from with the image digest the cluster runs, and the copy answers through the
 * cluster's router. Removing the target is refused while the copy runs there, with the core's
 * sentence. axe-core finds no serious or critical violation on the Targets screen and the dialogs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { addedTargetInstance } from '../../cluster';
import { Api, startTestCore, type TestCore } from '../support/core';
import { repoFromFolder } from '../support/git';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests } from '../support/k8s';
import { appFolder } from '../support/k8s/app';
import { kubectlFor } from '../support/k8s/kubectl';
import { Pusher } from '../support/push';
import { eventually, instanceName, removeInstance, viaRouter } from '../support/run-stage';
import { buildUi, hasChromium, openBrowser, screenshot, type Browser } from './browser';

const cluster = hasChromium()
  ? await clusterForTests('targets-ui', { registry: true, hostRouted: true, kubectl: true })
  : undefined;
if (!hasChromium()) console.warn('Targets UI end-to-end test skipped: no Chromium at /usr/bin/chromium.');

const TARGET = 'cluster';
const APP = `tui-${process.pid}`;
const COPY = `${APP}-${TARGET}`;
const INSTANCE = instanceName('tgt-ui');
const AXE = path.resolve('node_modules/axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Serious and critical accessibility violations within `selector` (see services-ui.test.ts). */
async function axeProblems(page: Page, selector = 'body'): Promise<string[]> {
  if (!(await page.evaluate("typeof window.axe === 'object'")))
    await page.evaluate(fs.readFileSync(AXE, 'utf8'));
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

const focused = (page: Page) =>
  page.evaluate("document.activeElement?.getAttribute('aria-label') || document.activeElement?.textContent");

describe.skipIf(!cluster)('targets in the UI', () => {
  let t: TestCore;
  let api: Api;
  let browser: Browser;
  let page: Page;
  let pusher: Pusher;
  let work: string;
  const pageErrors: string[] = [];
  const registry = () => cluster!.registry!;

  beforeAll(async () => {
    buildUi();
    await ensureBaseImage();
    t = await startTestCore({ target: 'docker', instance: INSTANCE, routerBase: BASE_IMAGE });
    api = await new Api(t.url).register('admin', 'e2e-secret');
    pusher = new Pusher(t.core.builderPort, 'tgt-ui');
    await pusher.addKeyTo(api);
    work = repoFromFolder(appFolder()).dir;
    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    if (api) {
      for (const app of [COPY, APP]) await api.delete(`/v2/apps/${app}/`).catch(() => undefined);
      await api.delete(`/v2/desktop/targets/${TARGET}/`).catch(() => undefined);
    }
    await t?.stop();
    pusher?.remove();
    if (cluster) {
      const kubectl = kubectlFor(cluster.kubeconfig);
      const label = `deis-desktop/instance=${addedTargetInstance(INSTANCE, TARGET)}`;
      await kubectl(['delete', 'namespace', '-l', label, '--wait=false']).catch(() => '');
      await kubectl(['delete', 'namespace', COPY, '--wait=false', '--ignore-not-found']).catch(() => '');
    }
    await removeInstance(INSTANCE);
    if (work) fs.rmSync(work, { recursive: true, force: true });
    await cluster?.release();
    // Destroying the copy waits until its namespace is gone (10-27 s idle, up to 120 s under load).
  }, 300_000);

  it('shows the targets with their state in words; local is ready', async () => {
    await page.goto(t.url + '/');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('e2e-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByRole('link', { name: 'Targets', exact: true }).click();
    await page.getByRole('heading', { name: 'Targets', exact: true }).waitFor();
    const local = page.getByTestId('target-row-local');
    await local.waitFor();
    expect(await local.getByTestId('target-state').textContent()).toContain('Ready');
    expect(await local.textContent()).toContain('Docker engine');
    expect(await axeProblems(page)).toEqual([]);
  });

  it('adds the test cluster from its kubeconfig, from the keyboard, its checks passing step by step', async () => {
    const password = registry().password;
    await page.getByRole('button', { name: 'Add a Kubernetes target' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('add-target-dialog');
    await dialog.getByRole('heading', { name: 'Add a Kubernetes target' }).waitFor();
    // The name field has the focus.
    await expect.poll(() => page.evaluate('document.activeElement?.tagName')).toBe('INPUT');
    await page.keyboard.type(TARGET);
    // A file chooser cannot be driven by keys in a headless browser: the file is given to the input.
    await dialog.getByLabel('Kubeconfig file').setInputFiles(cluster!.kubeconfig);
    const context = dialog.getByLabel('Context');
    await context.waitFor();
    expect(await context.inputValue()).toBe('deis-test');
    expect(await context.locator('option').first().textContent()).toMatch(
      /deis-test — https:\/\/127\.0\.0\.1:\d+ \(current\)/,
    );
    await context.focus();
    await page.keyboard.press('Tab');
    await page.keyboard.type(registry().address);
    await page.keyboard.press('Tab');
    await page.keyboard.type(registry().username);
    await page.keyboard.press('Tab');
    // A wrong password first: the check's sentence, and nothing added.
    await page.keyboard.type('not-the-password');
    expect(await axeProblems(page, '[data-testid="add-target-dialog"]')).toEqual([]);
    await page.keyboard.press('Enter');
    const refused = dialog.getByTestId('add-target-result');
    await refused.waitFor({ timeout: 120_000 });
    expect(await refused.textContent()).toContain(
      `The target ${TARGET} was not added: The registry ${registry().address} refused the login of ${registry().username}: check the username and password.`,
    );
    await expect.poll(() => dialog.getByTestId('task').getAttribute('data-state')).toBe('failed');
    expect(fs.existsSync(path.join(t.home, 'targets', TARGET))).toBe(false);
    // Then the right one, typed over it in the same field.
    await dialog.getByLabel('Registry password').focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    await expect.poll(() => refused.count()).toBe(0);

    // The checks run as a task whose named steps appear while it runs.
    const task = dialog.getByTestId('task');
    await task.waitFor({ timeout: 60_000 });
    expect(await task.textContent()).toContain(`Adding the target ${TARGET}`);
    await expect.poll(() => task.locator('.steps li').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await dialog.getByTestId('add-target-result').waitFor({ timeout: 180_000 });
    expect(await dialog.getByTestId('add-target-result').textContent()).toMatch(
      new RegExp(`Added ${TARGET} \\(Kubernetes v\\d+\\.\\d+\\.\\d+\\)\\.`),
    );
    await expect.poll(() => task.getAttribute('data-state')).toBe('succeeded');
    const steps = await task.locator('.steps .step-name').allTextContents();
    expect(steps.length).toBeGreaterThanOrEqual(4);
    const checks = await dialog.getByTestId('target-checks').locator('li').allTextContents();
    expect(checks.length).toBeGreaterThanOrEqual(4);
    expect(checks.every((c) => c.startsWith('ok '))).toBe(true);
    expect(checks).toContain(
      `ok The registry ${registry().address} accepts the login of ${registry().username}.`,
    );
    // The password was sent, and is nowhere in the page now.
    expect(await pageHolds(page, password)).toBe(false);
    expect(await axeProblems(page, '[data-testid="add-target-dialog"]')).toEqual([]);
    await screenshot(page, 'targets-add');

    await dialog.getByRole('button', { name: 'Done' }).click();
    const row = page.getByTestId(`target-row-${TARGET}`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Kubernetes');
    expect(await row.getByTestId('target-state').textContent()).toContain('Idle');
    expect(await row.textContent()).toContain(registry().address);
    expect(await pageHolds(page, password)).toBe(false);
    // The copy of the context is the core's, mode 0600.
    expect(fs.statSync(path.join(t.home, 'targets', TARGET, 'kubeconfig')).mode & 0o777).toBe(0o600);
  }, 300_000);

  it('shows someone who is not an administrator the list only', async () => {
    await new Api(t.url).register('viewer', 'viewer-secret', api);
    const other = await openBrowser();
    try {
      const p = other.page;
      p.setDefaultTimeout(20_000);
      await p.goto(t.url + '/');
      await p.getByLabel('Username').fill('viewer');
      await p.getByLabel('Password').fill('viewer-secret');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
      await p.getByRole('link', { name: 'Targets', exact: true }).click();
      await p.getByTestId(`target-row-${TARGET}`).waitFor();
      await p.getByText('Only an administrator may add, test or remove targets.').waitFor();
      expect(await p.getByRole('button', { name: 'Add a Kubernetes target' }).count()).toBe(0);
      expect(await p.getByRole('button', { name: 'Test' }).count()).toBe(0);
      expect(await p.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
      expect(await axeProblems(p)).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('creates an app on local in the UI and deploys it with git', async () => {
    await page.getByRole('link', { name: 'Apps', exact: true }).click();
    await page.getByLabel('App name').fill(APP);
    const choice = page.getByLabel('Target');
    expect(await choice.locator('option').allTextContents()).toEqual(['on local', `on ${TARGET}`]);
    expect(await choice.inputValue()).toBe('local');
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByTestId('created-app').waitFor();
    expect((await api.get(`/v2/apps/${APP}/`)).body).toMatchObject({ target: 'local' });
    const pushed = await pusher.push(work, APP);
    expect(pushed.code, pushed.output).toBe(0);
    const routerPort = ((await api.get('/v2/desktop/info/')).body as { router_port: number }).router_port;
    expect(await viaRouter(routerPort, `${APP}.localhost`)).toEqual({ status: 200, body: 'v2 hello\n' });
    await page.reload();
    await expect
      .poll(() => page.getByTestId(`app-row-${APP}`).getByTestId('app-target').textContent())
      .toBe('local');
  }, 300_000);

  it('deploys the app to the cluster with Deploy to…, from the keyboard, and the copy answers there', async () => {
    await page.goto(`${t.url}/#/apps/${APP}/overview`);
    const bar = page.getByTestId('app-target');
    await expect.poll(() => bar.textContent()).toContain('Runs on local');
    const button = page.getByRole('button', { name: 'Deploy to…' });
    await expect.poll(() => button.isEnabled()).toBe(true);
    await button.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('deploy-to-dialog');
    await dialog.waitFor();
    // The target choice has the focus, with the cluster chosen (local is where the app runs).
    await expect.poll(() => page.evaluate('document.activeElement?.tagName')).toBe('SELECT');
    expect(await dialog.getByLabel('Target').inputValue()).toBe(TARGET);
    expect(await dialog.getByLabel('Target').locator('option').count()).toBe(1);
    expect(await axeProblems(page, '[data-testid="deploy-to-dialog"]')).toEqual([]);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe(`Deploy to ${TARGET}`);
    await page.keyboard.press('Enter');
    await dialog.getByTestId('promote-progress').waitFor();
    expect(await dialog.getByTestId('promote-progress').textContent()).toContain(
      `Promoting ${APP} to ${TARGET}`,
    );
    await screenshot(page, 'targets-deploy-progress');
    const result = dialog.getByTestId('promote-result');
    await result.waitFor({ timeout: 600_000 });
    const text = (await result.textContent())!;
    const version = Number(new RegExp(`${COPY} runs v(\\d+) on ${TARGET}`).exec(text)?.[1]);
    expect(version, text).toBeGreaterThan(0);
    expect(text).toContain('admin promoted v2 from local');
    expect(await axeProblems(page, '[data-testid="deploy-to-dialog"]')).toEqual([]);
    await screenshot(page, 'targets-deploy-to');

    // The copy answers through the cluster's router, and the link points there.
    const routerUrl = ((await api.get(`/v2/desktop/targets/${TARGET}/`)).body as { router_url: string })
      .router_url;
    const router = new URL(routerUrl);
    await eventually(async () => {
      const r = await viaRouter(Number(router.port), `${COPY}.localhost`);
      return r.status === 200 && r.body === `v${version} hello\n`;
    }, 120_000);
    expect(
      await result.getByRole('link', { name: new RegExp(`${COPY}\\.localhost:${router.port}`) }).count(),
    ).toBe(1);

    // The copy's Releases tab: where it came from, and the digest the cluster runs.
    await result.getByRole('link', { name: `Open ${COPY}` }).click();
    await page.getByRole('heading', { name: COPY }).waitFor();
    await expect.poll(() => page.getByTestId('app-target').textContent()).toContain(`Runs on ${TARGET}`);
    const release = page.getByTestId(`release-v${version}`);
    await release.waitFor();
    const origin = release.getByTestId('release-origin');
    await expect.poll(() => origin.textContent()).toContain('Promoted from v2 on local');
    const builds = (await api.get(`/v2/apps/${COPY}/builds/`)).body as { results: { image: string }[] };
    const image = builds.results[0]!.image;
    const digest = /sha256:[0-9a-f]{64}$/.exec(image)![0];
    const shown = origin.getByTestId('digest');
    expect(await shown.textContent()).toBe(digest.slice(0, 19));
    await shown.focus();
    expect(await shown.textContent()).toBe(image);
    expect(await shown.getAttribute('title')).toBe(image);
    const runs = await kubectlFor(cluster!.kubeconfig)([
      '-n',
      COPY,
      'get',
      'deployment',
      `${COPY}-cmd`,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ]);
    expect(runs).toBe(image);
    expect(await axeProblems(page, '.tab-body')).toEqual([]);
    await screenshot(page, 'targets-promoted-release');
  }, 900_000);

  it('refuses to remove the target while the copy runs there, with the core sentence', async () => {
    await page.getByRole('link', { name: 'Targets', exact: true }).click();
    const row = page.getByTestId(`target-row-${TARGET}`);
    await expect.poll(() => row.getByTestId('target-apps').textContent()).toBe('1');
    await expect.poll(() => row.getByTestId('target-state').textContent()).toContain('Ready');
    expect(await axeProblems(page)).toEqual([]);
    await screenshot(page, 'targets-screen');

    // Test again: the checks run as a task, and each answer is a sentence.
    await row.getByRole('button', { name: 'Test' }).click();
    const tested = page.getByTestId('test-target-dialog');
    await tested.getByTestId('test-target-result').waitFor({ timeout: 120_000 });
    expect(await tested.getByTestId('test-target-result').textContent()).toContain(
      `${TARGET} passed every check.`,
    );
    await expect.poll(() => tested.getByTestId('task').getAttribute('data-state')).toBe('succeeded');
    expect(await tested.getByTestId('task').textContent()).toContain(`Testing the target ${TARGET}`);
    expect(await axeProblems(page, '[data-testid="test-target-dialog"]')).toEqual([]);
    await page.keyboard.press('Escape');
    await tested.waitFor({ state: 'detached' });
    await row.getByRole('button', { name: `Remove ${TARGET}` }).click();
    const dialog = page.getByTestId('remove-target-dialog');
    const confirm = dialog.getByRole('button', { name: `Remove ${TARGET}` });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(`Type ${TARGET} to confirm`).fill(TARGET);
    expect(await axeProblems(page, '[data-testid="remove-target-dialog"]')).toEqual([]);
    await confirm.click();
    await dialog
      .getByText(`The target ${TARGET} still runs 1 app (${COPY}); destroy it first.`, { exact: true })
      .waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    expect(
      ((await api.get('/v2/desktop/targets/')).body as { results: { name: string }[] }).results.map(
        (x) => x.name,
      ),
    ).toEqual(['local', TARGET]);
    expect(pageErrors).toEqual([]);
  });
});
