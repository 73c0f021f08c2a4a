/**
 * Issue 14's UI end to end, in Debian's Chromium against a real core with the real Docker engine and
 * an app pushed with git the way users write one (metrics-app: http.server, no signal handlers):
 * the Metrics tab draws from real data after a load; the activity feed shows a config change and a
 * rollback with the user's name as they happen; restarting a process from the UI replaces it with no
 * failed request under a steady load; the console runs a command inside the live process and shows
 * its output, and an interactive shell takes what is typed (over a WebSocket) and is killed when
 * closed; axe-core finds no serious or critical violation on any screen.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Api, type TestCore } from '../support/core';
import { repoFromFixture } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import {
  eventually,
  instanceName,
  Load,
  removeAppImages,
  removeInstance,
  startDockerCore,
  viaRouter,
} from '../support/run-stage';
import { buildUi, hasChromium, openBrowser, screenshot, type Browser } from './browser';

const hasDocker = await dockerAvailable();
const ready = hasDocker && hasChromium();
if (!ready)
  console.warn(
    `metrics UI end-to-end tests skipped: ${hasDocker ? 'no Chromium at /usr/bin/chromium' : 'no Docker engine answers'}.`,
  );

const INSTANCE = instanceName('e2emx');
const APP = 'mx-web';
const HOST = `${APP}.localhost`;
const USER = 'ada';
const PASSWORD = 'e2e-metrics-pw';
const AXE = path.resolve('node_modules/axe-core/axe.min.js');

let t: TestCore;
let browser: Browser;
let page: Page;
let api: Api;
let port: number;
const pageErrors: string[] = [];
/** Serious and critical accessibility violations, by screen. */
const violations: string[] = [];

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
}

/** Runs axe-core on the page as it is and keeps every serious or critical violation. */
async function checkA11y(screen: string): Promise<void> {
  if ((await page.evaluate('typeof window.axe')) === 'undefined')
    // Evaluated through the DevTools protocol: the UI's CSP (script-src 'self') refuses inline scripts.
    await page.evaluate(fs.readFileSync(AXE, 'utf8'));
  // Only the findings come back: axe's full answer holds every element it passed.
  const result = (await page.evaluate(
    'axe.run().then((r) => ({ violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })) }))',
  )) as AxeResult;
  for (const v of result.violations)
    if (v.impact === 'serious' || v.impact === 'critical')
      violations.push(
        `${screen}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      );
}

/** What the sparkline check reads of a canvas. */
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  };
}

const tab = (name: string) => page.getByRole('tab', { name, exact: true }).click();
const podsOf = async (type: string) => {
  const r = await api.get(`/v2/apps/${APP}/pods/`);
  return (r.body as { results: { name: string; type: string; state: string }[] }).results.filter(
    (p) => p.type === type,
  );
};

describe.skipIf(!ready)('metrics, activity, restart and console in a browser', () => {
  beforeAll(async () => {
    buildUi();
    await ensureStackImage();
    t = await startDockerCore(INSTANCE);
    port = t.core.target.routerPort;
    api = await new Api(t.url).register(USER, PASSWORD);
    expect((await api.post('/v2/apps/', { id: APP })).status).toBe(201);
    const config = { values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' } };
    expect((await api.post(`/v2/apps/${APP}/config/`, config)).status).toBe(201);
    // Pushed with git, as a user deploys it.
    const pusher = new Pusher(t.core.builderPort, 'e2emx');
    await pusher.addKeyTo(api);
    const { dir } = repoFromFixture('metrics-app');
    try {
      const pushed = await pusher.push(dir, APP);
      expect(pushed.code, pushed.output).toBe(0);
    } finally {
      pusher.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect((await api.post(`/v2/apps/${APP}/scale/`, { web: 1, worker: 1 })).status).toBe(204);
    await eventually(async () => (await viaRouter(port, HOST)).status === 200, 120_000);

    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
    });
    await page.goto(`${t.url}/#/`);
    await page.getByLabel('Username').waitFor();
    await checkA11y('sign in');
    await page.getByLabel('Username').fill(USER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await removeInstance(INSTANCE);
    await removeAppImages([APP]);
  });

  it('draws the Metrics tab from real data after a load', async () => {
    await page.goto(`${t.url}/#/apps/${APP}/metrics`);
    await page.getByRole('radio', { name: 'Last 10 minutes, live' }).waitFor();
    const load = new Load(port, HOST, 4);
    for (let i = 0; i < 10; i++) await viaRouter(port, HOST, '/missing');
    for (let i = 0; i < 3; i++) await viaRouter(port, HOST, '/broken');
    await new Promise((r) => setTimeout(r, 6_000));
    await load.stop();
    expect(load.failures).toEqual([]);
    // The tab refreshes by itself: the request chart appears with points, drawn on a canvas.
    const requests = page.getByTestId('chart-requests');
    await requests.waitFor({ timeout: 30_000 });
    await expect
      .poll(async () => Number(await requests.getAttribute('data-points')), { timeout: 20_000 })
      .toBeGreaterThan(1);
    expect(await requests.locator('canvas').count()).toBe(1);
    await page.getByTestId('chart-latency').locator('canvas').waitFor();
    await page.getByTestId('chart-cpu').locator('canvas').waitFor({ timeout: 30_000 });
    await page.getByTestId('chart-memory').locator('canvas').waitFor();
    // The figures behind the charts are the load's: 2xx, then the 404s and 500s sent.
    const current = page.getByTestId('metrics-current');
    await expect.poll(() => current.textContent()).toMatch(/4xx 1\d/);
    expect(await current.textContent()).toMatch(/5xx [3-9]/);
    expect(await current.textContent()).toMatch(/2xx [1-9]\d*/);
    // Both process types with their memory.
    const procs = page.getByTestId('metrics-processes');
    await expect.poll(() => procs.textContent(), { timeout: 30_000 }).toContain('worker');
    expect(await procs.textContent()).toMatch(/\d+\.\d MiB/);
    // The uPlot legend names the lines.
    expect(await requests.textContent()).toContain('2xx');
    expect(await requests.textContent()).toContain('5xx');
    await screenshot(page, '40-metrics');
    await checkA11y('app metrics');
    await page.getByRole('radio', { name: 'Last hour' }).click();
    await page.getByTestId('chart-requests').locator('canvas').waitFor();
    await checkA11y('app metrics, last hour');
  }, 180_000);

  it('draws CPU and memory sparklines per process type on the overview, with their values in text', async () => {
    // A little work for the web process, so its line is not flat.
    const load = new Load(port, HOST, 2);
    await page.goto(`${t.url}/#/apps/${APP}/overview`);
    await page.getByTestId('usage-sparklines').waitFor();
    for (const type of ['web', 'worker'])
      for (const what of ['cpu', 'memory']) {
        const spark = page.getByTestId(`spark-${what}-${type}`);
        await expect
          .poll(async () => Number(await spark.getAttribute('data-points')), { timeout: 30_000 })
          .toBeGreaterThan(1);
        // Drawn: uPlot's canvas has painted pixels.
        await expect
          .poll(() =>
            spark.locator('canvas').evaluate((el) => {
              // Typed by hand: the tests' TypeScript has no DOM types.
              const c = el as unknown as CanvasLike;
              const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
              return Array.from(data).some((v, i) => i % 4 === 3 && v > 0);
            }),
          )
          .toBe(true);
        // Its current value, for screen readers and in text beside it.
        const label = (await spark.getAttribute('aria-label')) ?? '';
        expect(label).toMatch(
          what === 'cpu'
            ? new RegExp(`^${type} CPU now: [0-9.]+ %$`)
            : new RegExp(`^${type} memory now: [0-9.]+ MiB$`),
        );
      }
    await load.stop();
    await screenshot(page, '45-overview-sparklines');
    await checkA11y('app overview with sparklines');
  }, 120_000);

  it("shows a config change and a rollback in the activity feed as they happen, with the user's name", async () => {
    await tab('Activity');
    await expect.poll(() => page.getByTestId('activity-status').textContent()).toContain('live');
    const feed = page.getByTestId('activity');
    // Made from the API while the page is open: the entries come through the live stream.
    expect((await api.post(`/v2/apps/${APP}/config/`, { values: { ROUND: '1' } })).status).toBe(201);
    await feed.getByText(`${USER} changed config: set ROUND`).waitFor();
    const rollback = await api.post(`/v2/apps/${APP}/releases/rollback/`, {});
    expect(rollback.status, rollback.text).toBe(201);
    await feed.getByText(new RegExp(`^${USER} rolled back to v\\d+`)).waitFor();
    expect(await feed.textContent()).toContain(`${USER} scaled`);
    await screenshot(page, '41-activity');
    await checkA11y('app activity');

    // Across apps: its own screen, each entry with its app.
    await page.getByRole('link', { name: 'Activity', exact: true }).click();
    await page.getByRole('heading', { name: 'Activity', exact: true }).waitFor();
    const all = page.getByTestId('activity');
    await all.getByText(`${USER} changed config: set ROUND`).waitFor();
    expect(await all.getByRole('link', { name: APP }).count()).toBeGreaterThan(1);
    await screenshot(page, '44-activity-all');
    await checkA11y('activity across apps');
  }, 180_000);

  it("shows the latest activity on the dashboard as it happens, with the user's name", async () => {
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByRole('heading', { name: 'Dashboard', exact: true }).waitFor();
    const feed = page.getByTestId('dashboard-activity');
    await expect.poll(() => feed.getByTestId('activity-status').textContent()).toContain('live');
    // A mark on this document: a reload would lose it.
    await page.evaluate('window.__sameDocument = true');
    expect((await api.post(`/v2/apps/${APP}/config/`, { values: { DASHBOARD_MARK: 'x' } })).status).toBe(201);
    await feed.getByText(`${USER} changed config: set DASHBOARD_MARK`).waitFor();
    expect(await feed.getByRole('link', { name: APP }).count()).toBeGreaterThan(0);
    expect(await page.evaluate('window.__sameDocument === true')).toBe(true);
    await screenshot(page, '46-dashboard-activity');
    await checkA11y('dashboard with activity');
  }, 60_000);

  it('restarts a process from the UI with no failed request under load', async () => {
    await page.goto(`${t.url}/#/apps/${APP}/overview`);
    await eventually(async () => (await podsOf('web')).every((p) => p.state === 'up'), 60_000);
    const [before] = await podsOf('web');
    const row = page.getByTestId(`pod-${before!.name}`);
    await row.waitFor();
    const load = new Load(port, HOST, 4);
    try {
      await row.getByRole('button', { name: `Restart ${before!.name}` }).click();
      await page.getByText(`Restarted ${before!.name}: web now runs`).waitFor({ timeout: 120_000 });
    } finally {
      await load.stop();
    }
    expect(load.ok).toBeGreaterThan(20);
    expect(load.failures).toEqual([]);
    const after = await podsOf('web');
    expect(after.map((p) => p.name)).not.toContain(before!.name);
    expect(after.length).toBe(1);
    // The list shows the new process, not the old one.
    await page.getByTestId(`pod-${after[0]!.name}`).waitFor();
    expect(await page.getByTestId(`pod-${before!.name}`).count()).toBe(0);
    await screenshot(page, '42-restart');
    await checkA11y('app overview');
  }, 240_000);

  it('runs a command in a live process from the console and shows its output', async () => {
    await tab('Console');
    const [web] = await podsOf('web');
    await page.getByLabel('Process').selectOption(web!.name);
    // A file only the live process's container has, and the app's own server among its processes.
    await page
      .getByLabel('Command')
      .fill('echo "port=$PORT"; ls /srv; for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => page.getByTestId('console-status').textContent()).toBe('Exited with code 0.');
    const shown = page.getByTestId('console-output').locator('.xterm-rows');
    await expect.poll(() => shown.textContent()).toContain('[exit code 0]');
    const text = (await shown.textContent()) ?? '';
    expect(text).toContain(`${web!.name} $ echo`);
    expect(text).toContain('port=5000');
    expect(text).toContain('app.py');
    // A failing command says its exit code.
    await page.getByLabel('Command').fill('ls /nowhere');
    await page.getByLabel('Command').press('Enter');
    await expect.poll(() => page.getByTestId('console-status').textContent()).toBe('Exited with code 2.');
    await expect.poll(() => shown.textContent()).toContain('No such file or directory');
    await screenshot(page, '43-console');
    await checkA11y('app console');
  }, 120_000);

  it('opens an interactive shell in a live process, takes what is typed, and closes it', async () => {
    await page.goto(`${t.url}/#/apps/${APP}/console`);
    const [web] = await podsOf('web');
    await page.getByLabel('Process').selectOption(web!.name);
    await page.getByRole('button', { name: 'Open a shell' }).click();
    await expect.poll(() => page.getByTestId('shell-status').textContent()).toContain('Shell open in');
    const shown = page.getByTestId('shell-output').locator('.xterm-rows');
    await expect.poll(() => shown.textContent()).toContain('#');
    // Typed as a person types: into the terminal, key by key (the shell answers over the WebSocket).
    await page.getByTestId('shell-output').click();
    await page.keyboard.type('echo $((6*7)) $PORT');
    await page.keyboard.press('Enter');
    await expect.poll(() => shown.textContent()).toContain('42 5000');
    await screenshot(page, '47-console-shell');
    await checkA11y('app console shell');
    // Closing it ends the shell in the container.
    await page.keyboard.type('echo "PID=$$"');
    await page.keyboard.press('Enter');
    await expect.poll(async () => /PID=(\d+)/.exec((await shown.textContent()) ?? '')?.[1]).toBeTruthy();
    const pid = /PID=(\d+)/.exec((await shown.textContent()) ?? '')![1]!;
    await page.getByRole('button', { name: 'Close shell' }).click();
    await page.getByLabel('Command').waitFor();
    await expect
      .poll(
        async () => {
          // Quoted apart, so the command line shown above its output holds neither word.
          await page
            .getByLabel('Command')
            .fill(`test -d /proc/${pid} && echo "shell-al""ive" || echo "shell-go""ne"`);
          await page.getByLabel('Command').press('Enter');
          await expect.poll(() => page.getByTestId('console-status').textContent()).toMatch(/^Exited/);
          const text = (await page.getByTestId('console-output').locator('.xterm-rows').textContent()) ?? '';
          return text.lastIndexOf('shell-gone') > text.lastIndexOf('shell-alive') ? 'gone' : 'alive';
        },
        { timeout: 20_000 },
      )
      .toBe('gone');
  }, 120_000);

  it('finds no serious or critical accessibility violation on any screen', async () => {
    const tabs = ['Overview', 'Releases', 'Config', 'Logs', 'Builds', 'Domains', 'Settings'];
    for (const name of tabs) {
      await tab(name);
      await page.getByRole('tab', { name, selected: true }).waitFor();
      await page.waitForTimeout(1_000);
      await checkA11y(`app ${name.toLowerCase()}`);
    }
    for (const [link, heading] of [
      ['Dashboard', 'Dashboard'],
      ['Apps', 'Apps'],
      ['Preferences', 'Preferences'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await checkA11y(link.toLowerCase());
    }
    expect(violations).toEqual([]);
  }, 180_000);

  it('ran without a script error or a CSP violation', () => {
    expect(pageErrors).toEqual([]);
  });
});
