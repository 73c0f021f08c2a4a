/**
 * The UI's side of the run stage's API (scale, pods, the log stream), in Chromium against a real core
 * whose run-stage answers are stood in for by the browser (page.route) in the shapes that API gives:
 * 204 for /scale/, Deis pod objects, server-sent `data:` lines. It checks what this UI sends and
 * shows; the real thing end to end is ui.test.ts once the run stage is in the core.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Api, startTestCore, type TestCore } from '../support/core';
import { buildUi, hasChromium, openBrowser, screenshot, type Browser } from './browser';

const APP = 'stub-run';
let t: TestCore;
let browser: Browser;
let page: Page;
const scaled: unknown[] = [];
/** What the stand-in pods endpoint answers from now on. */
let setPods: (next: ReturnType<typeof pod>[]) => void;

const pod = (type: string, n: number, state = 'up') => ({
  name: `${APP}-${type}-${n}`,
  state,
  type,
  release: 'v2',
  started: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
});

describe.skipIf(!hasChromium())('the UI against the run stage API', () => {
  beforeAll(async () => {
    buildUi();
    t = await startTestCore();
    const admin = await new Api(t.url).register('admin', 'stub-secret');
    expect((await admin.post('/v2/apps/', { id: APP })).status).toBe(201);
    // A build from an image (`deis pull`), so the app has process types without Docker.
    const build = await admin.post(`/v2/apps/${APP}/builds/`, {
      image: 'example/web:1',
      procfile: { web: 'node server.js', worker: 'node worker.js' },
    });
    expect(build.status, build.text).toBe(201);
    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(15_000);

    let pods = [pod('web', 1)];
    setPods = (next) => (pods = next);
    let structure: Record<string, number> = {};
    // The app as the core has it, with the formation the stand-in scale endpoint was given.
    await page.route(`**/v2/apps/${APP}/`, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), structure } });
    });
    await page.route(`**/v2/apps/${APP}/pods/`, (route) =>
      route.fulfill({ json: { count: pods.length, results: pods } }),
    );
    await page.route(`**/v2/apps/${APP}/scale/`, async (route) => {
      scaled.push(route.request().postDataJSON());
      structure = route.request().postDataJSON() as Record<string, number>;
      pods = [pod('web', 1), pod('web', 2), pod('worker', 1, 'starting')];
      await route.fulfill({ status: 204 });
    });
    await page.route(`**/v2/desktop/apps/${APP}/logs/**`, (route) =>
      route.fulfill({
        headers: { 'Content-Type': 'text/event-stream' },
        body: [
          `data: 2026-11-26T08:00:00+00:00 ${APP}[web.1]: listening on 5000`,
          `data: 2026-11-26T08:00:01+00:00 ${APP}[worker.1]: picked up job 7`,
          ': following',
          `data: 2026-11-26T08:00:02+00:00 ${APP}[web.2]: GET / 200`,
          '',
        ].join('\n\n'),
      }),
    );

    await page.goto(`${t.url}/#/apps/${APP}/overview`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('stub-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('scales process types with the steppers and shows the processes', async () => {
    await page.getByTestId('proc-web').waitFor();
    await page.getByRole('button', { name: 'more web' }).click();
    await page.getByRole('button', { name: 'more web' }).click();
    await page.getByRole('button', { name: 'more worker' }).click();
    await page.getByRole('button', { name: 'Apply scale' }).click();
    await page.getByText('Scaled web to 2, worker to 1.').waitFor();
    // The app had no formation: both types went from 0.
    expect(scaled).toEqual([{ web: 2, worker: 1 }]);
    await expect.poll(() => page.getByTestId('proc-web').textContent()).toContain('2 up of 2');
    expect(await page.getByTestId('proc-worker').textContent()).toContain('0 up of 1');
    await page.getByText(`${APP}-worker-1`).waitFor();
    expect(await page.getByText(`${APP}-web-2`).isVisible()).toBe(true);
    await screenshot(page, '30-stub-scale');
    // The worker comes up later, with nothing asked from this page: the list shows it, no reload.
    setPods([pod('web', 1), pod('web', 2), pod('worker', 1)]);
    await expect.poll(() => page.getByTestId('proc-worker').textContent()).toContain('1 up of 1');
  });

  it('follows the log stream, filters by process type and searches', async () => {
    await page.getByRole('tab', { name: 'Logs' }).click();
    await expect.poll(() => page.getByTestId('log-status').textContent()).toContain('live');
    await expect.poll(() => page.getByTestId('log').textContent()).toContain('GET / 200');
    await page.getByLabel('Process type').selectOption('worker');
    expect(await page.getByTestId('log').textContent()).toBe(
      `2026-11-26T08:00:01+00:00 ${APP}[worker.1]: picked up job 7`,
    );
    await page.getByLabel('Process type').selectOption('all');
    await page.getByLabel('Search the log').fill('listening');
    await expect.poll(() => page.getByTestId('log-status').textContent()).toMatch(/^1 of/);
    await screenshot(page, '31-stub-logs');
  });
});
