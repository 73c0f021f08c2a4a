/**
 * Web pages in a real browser (Debian's Chromium) against a real core on a fresh store: a page from
 * another site tries to make itself administrator through first-run registration (a no-cors fetch, a
 * text/plain form, a beacon) and a DNS-rebinding page tries the same from the core's own port under
 * its own name. Each request reaches the core and is refused; registration stays open. Then the core's
 * own UI, from its own origin, creates the administrator and follows the live event stream, which now
 * carries the token in a header, not the URL.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Api, startTestCore, type TestCore } from '../support/core';
import { buildUi, CHROMIUM, hasChromium } from './browser';

const ready = hasChromium();
if (!ready) console.warn('Web page end-to-end tests skipped: no Chromium at /usr/bin/chromium.');

let t: TestCore;
let evil: http.Server;
let evilPort: number;
let browser: Browser;
let page: Page;
/** Every request the browser sent to the core, with what the core answered. */
const toCore: { url: string; method: string; status: number }[] = [];
/** URLs of requests the browser made, with the header a token could hide in. */
const sentUrls: string[] = [];

/** The attacker's page: every way a page can POST to another origin without the browser asking it. */
function evilPage(core: string): string {
  const body = JSON.stringify({ username: 'mallory', password: 'pw-mallory', email: 'm@example.com' });
  return `<!doctype html><html><body>
<iframe name="sink" style="display:none"></iframe>
<form id="f" method="POST" action="${core}/v2/auth/register/" enctype="text/plain" target="sink">
<input name='${body.slice(0, -1)}, "x": "' value='"}'>
</form>
<script>
const target = ${JSON.stringify(core)} + '/v2/auth/register/';
const body = ${JSON.stringify(body)};
window.attempts = Promise.allSettled([
  fetch(target, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body }),
  fetch(target, { method: 'POST', mode: 'no-cors', body: new Blob([body]) }),
  fetch(target, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }),
  Promise.resolve(navigator.sendBeacon(target, body)),
]).then((r) => r.map((x) => x.status));
document.getElementById('f').submit();
</script></body></html>`;
}

const firstRun = async () =>
  ((await new Api(t.url).get('/v2/desktop/info/')).body as { first_run: boolean }).first_run;

describe.skipIf(!ready)('web pages in a browser', () => {
  beforeAll(async () => {
    buildUi();
    t = await startTestCore();
    evil = http.createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(evilPage(t.url));
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilPort = (evil.address() as AddressInfo).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        // Names an attacker would own, pointing at this machine (what DNS rebinding arranges).
        '--host-resolver-rules=MAP evil.test 127.0.0.1, MAP rebind.test 127.0.0.1',
      ],
    });
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    page.on('request', (r) => sentUrls.push(r.url()));
    page.on('response', (r) => {
      if (r.url().startsWith(t.url) || r.url().includes(`rebind.test:${t.core.apiPort}`))
        toCore.push({ url: r.url(), method: r.request().method(), status: r.status() });
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => evil?.close(r));
    await t?.stop();
  });

  it("cannot make itself administrator from another site's page", async () => {
    toCore.length = 0;
    await page.goto(`http://evil.test:${evilPort}/`);
    await page.waitForFunction('window.attempts !== undefined');
    await page.evaluate('window.attempts');
    // The form posts into the hidden frame; give it a moment to land.
    await expect.poll(() => toCore.filter((r) => r.method === 'POST').length).toBeGreaterThanOrEqual(3);
    const posts = toCore.filter((r) => r.method === 'POST');
    // Each reached the core and was refused (403: not our page; the JSON fetch was stopped by CORS).
    for (const r of posts) expect(r.status, r.url).toBe(403);
    expect(t.core.controller.users.count()).toBe(0);
    expect(await firstRun()).toBe(true);
  });

  it('cannot reach the core under its own name after rebinding it to 127.0.0.1', async () => {
    toCore.length = 0;
    const rebound = `http://rebind.test:${t.core.apiPort}`;
    const landing = await page.goto(`${rebound}/`);
    expect(landing?.status()).toBe(400);
    expect(await page.textContent('body')).toContain('The Host header does not name this Deis Desktop core');
    // The attacker's script now runs same-origin with the core's port and tries again.
    const status = await page.evaluate(async () => {
      const r = await fetch('/v2/auth/register/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'mallory', password: 'pw-mallory', email: '' }),
      });
      return r.status;
    });
    expect(status).toBe(400);
    expect(t.core.controller.users.count()).toBe(0);
    expect(await firstRun()).toBe(true);
  });

  it("works from the core's own origin: first-run admin, then live events with the token in a header", async () => {
    await page.goto(`${t.url}/`);
    await page.getByRole('heading', { name: 'Create the administrator account' }).waitFor();
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('admin-secret');
    await page.getByRole('button', { name: 'Create account and sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByText('connected', { exact: true }).waitFor();

    // A task started in the core shows up through the event stream, without a reload.
    const task = t.core.controller.tasks.start('build', 'Edge test build');
    task.succeed();
    await page.getByText('Edge test build').waitFor();

    expect(t.core.controller.users.list().map((u) => u.username)).toEqual(['admin']);
    expect(sentUrls.filter((u) => /[?&]token=/.test(u))).toEqual([]);
    const events = toCore.filter((r) => r.url.includes('/v2/desktop/events'));
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((r) => r.status === 200)).toBe(true);
  });
});
