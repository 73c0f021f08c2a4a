/**
 * People in the UI, in Debian's Chromium against a real core on the real Docker engine: an
 * administrator creates a user from the keyboard (the API's sentences next to the fields), makes
 * them admin and back, gives them a new token (shown once), is told why a user who owns an app stays,
 * and shares an app with them; that user signs in with the new credentials, sees the app and no Users
 * screen, and adds SSH keys by pasting and from a file; a git push the administrator started
 * notifies them (the Web Notifications API, recorded by wrapping window.Notification), and a click
 * on the notification opens the app. axe-core finds no serious or critical violation on these screens.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { MAX_PUBLIC_KEY_CHARS } from '../../main/contract/limits';
import { quickEd25519Key } from '../support/certs';
import { Api, type TestCore } from '../support/core';
import { git, repoFromFixture } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import { instanceName, removeAppImages, removeInstance, startDockerCore } from '../support/run-stage';
import { buildUi, hasChromium, openBrowser, screenshot, type Browser } from './browser';

const hasDocker = await dockerAvailable();
const ready = hasDocker && hasChromium();
if (!ready)
  console.warn(
    `People UI end-to-end test skipped: ${hasDocker ? 'no Chromium at /usr/bin/chromium' : 'no Docker engine answers'}.`,
  );

const INSTANCE = instanceName('e2eppl');
const APP = 'ppl-web';
const ADMIN = 'grace';
const ADMIN_PW = 'e2e-people-admin';
const USER = 'bob';
const USER_PW = 'e2e-people-bob';
const AXE = path.resolve('node_modules/axe-core/axe.min.js');

/**
 * Records every notification the page constructs (the real one is still made and returned: the
 * app's click handler is set on it), so the test can see what the user would have been shown.
 */
const RECORD_NOTIFICATIONS = `(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__notifications = [];
  function Recording(title, options) {
    const made = new Real(title, options);
    window.__notifications.push({ title, body: options && options.body });
    window.__lastNotification = made;
    return made;
  }
  Object.defineProperty(Recording, 'permission', { get: () => Real.permission });
  Recording.requestPermission = (...args) => Real.requestPermission(...args);
  Recording.prototype = Real.prototype;
  window.Notification = Recording;
})();`;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Serious and critical accessibility violations on the page as it is now. */
async function axeProblems(page: Page): Promise<string[]> {
  // Evaluated: the UI's CSP (script-src 'self') refuses addScriptTag's inline script, as it should.
  if (!(await page.evaluate("typeof window.axe === 'object'")))
    await page.evaluate(fs.readFileSync(AXE, 'utf8'));
  const violations = (await page.evaluate(
    'axe.run().then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))',
  )) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/#/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}

describe.skipIf(!ready)('people in the UI', () => {
  let t: TestCore;
  let api: Api;
  let admin: Browser;
  let page: Page;
  let other: Browser | undefined;
  let pusher: Pusher;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-e2e-people-'));
  const pageErrors: string[] = [];

  beforeAll(async () => {
    buildUi();
    await ensureStackImage();
    t = await startDockerCore(INSTANCE);
    api = await new Api(t.url).register(ADMIN, ADMIN_PW);
    expect((await api.post('/v2/apps/', { id: APP })).status).toBe(201);
    pusher = new Pusher(t.core.builderPort, 'e2eppl');
    await pusher.addKeyTo(api);

    admin = await openBrowser();
    page = admin.page;
    page.setDefaultTimeout(20_000);
    await admin.context.grantPermissions(['notifications'], { origin: t.url });
    await admin.context.addInitScript(RECORD_NOTIFICATIONS);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
    });
    await signIn(page, t.url, ADMIN, ADMIN_PW);
  }, 600_000);

  afterAll(async () => {
    await other?.close();
    await admin?.close();
    await t?.stop();
    await removeInstance(INSTANCE);
    await removeAppImages([APP]);
    pusher?.remove();
    fs.rmSync(scratch, { recursive: true, force: true });
  }, 120_000);

  it('creates a user from the keyboard, with the API sentences next to the fields', async () => {
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    await page.getByTestId(`user-${ADMIN}`).waitFor();
    expect(await axeProblems(page)).toEqual([]);

    // Wrong on every field, typed and sent without the mouse.
    await page.locator('#new-user-username').focus();
    await page.keyboard.type('bob smith');
    await page.keyboard.press('Tab');
    await page.keyboard.type('not-an-email');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('#new-user-username-error').waitFor();
    expect(await page.locator('#new-user-username-error').textContent()).toBe(
      'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
    );
    expect(await page.locator('#new-user-email-error').textContent()).toBe('Enter a valid email address.');
    expect(await page.locator('#new-user-password-error').textContent()).toBe('This field may not be blank.');
    expect(await page.locator('#new-user-username').getAttribute('aria-invalid')).toBe('true');
    expect(await axeProblems(page)).toEqual([]);

    // Corrected, still from the keyboard.
    await page.locator('#new-user-username').focus();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(USER);
    await page.keyboard.press('Tab');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('bob@example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type(USER_PW);
    await page.keyboard.press('Enter');
    const row = page.getByTestId(`user-${USER}`);
    await row.waitFor();
    expect(await row.textContent()).toContain('bob@example.com');
    expect(await row.textContent()).toContain('user');
    await page.getByText(`${USER} can sign in now`).waitFor();
    expect(await page.locator('#new-user-password').inputValue()).toBe('');
  }, 120_000);

  it('makes the user an administrator and back, and gives them a new token shown once', async () => {
    const row = page.getByTestId(`user-${USER}`);
    await row.getByRole('button', { name: 'Make admin', exact: true }).click();
    await row.getByText('administrator').waitFor();
    expect(
      (
        (await api.get('/v2/users/')).body as { results: { username: string; is_superuser: boolean }[] }
      ).results.find((u) => u.username === USER)?.is_superuser,
    ).toBe(true);
    await row.getByRole('button', { name: 'Unmake admin' }).click();
    await row.getByRole('button', { name: 'Make admin', exact: true }).waitFor();
    expect(await row.textContent()).not.toContain('administrator');

    // The last administrator stays one, with the API's sentence.
    const me = page.getByTestId(`user-${ADMIN}`);
    await me.getByRole('button', { name: 'Unmake admin' }).click();
    await me
      .getByText(`${ADMIN} is the only administrator; make another user an administrator first.`)
      .waitFor();

    await row.getByRole('button', { name: 'New token' }).click();
    const shown = page.getByTestId('token-value');
    await shown.waitFor();
    const token = (await shown.textContent())!.trim();
    expect(token).toMatch(/^[0-9a-f]{40}$/);
    const whoami = await api.as(token).get('/v2/auth/whoami/');
    expect(whoami.status).toBe(200);
    expect((whoami.body as { username: string }).username).toBe(USER);
    expect(await axeProblems(page)).toEqual([]);
    await screenshot(page, '50-users');
    await page.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(token);
  }, 120_000);

  it('keeps a user who still owns an app, saying what to do, and removes them once it is gone', async () => {
    const carol = await new Api(t.url).register('carol', 'carol-pw-123', api);
    expect((await carol.post('/v2/apps/', { id: 'carols-app' })).status).toBe(201);
    await page.reload();
    const row = page.getByTestId('user-carol');
    await row.getByRole('button', { name: 'Remove…' }).click();
    const remove = row.getByRole('button', { name: 'Remove carol' });
    expect(await remove.isDisabled()).toBe(true);
    await row.getByLabel(/type the name to confirm/).fill('carol');
    await remove.click();
    await row.getByText('carol still has applications assigned. Delete or transfer ownership').waitFor();
    expect((await carol.get('/v2/apps/carols-app/')).status).toBe(200);
    expect(await axeProblems(page)).toEqual([]);
    // Once the app is gone, the same confirmation removes her.
    expect((await carol.delete('/v2/apps/carols-app/')).status).toBe(204);
    await remove.click();
    await row.waitFor({ state: 'detached' });
    expect((await carol.get('/v2/auth/whoami/')).status).toBe(401);
  }, 120_000);

  it("shares the app with the user on the app's Collaborators tab", async () => {
    await page.goto(`${t.url}/#/apps/${APP}/collaborators`);
    await page.getByRole('heading', { name: 'Collaborators' }).waitFor();
    await page.getByText(`Nobody else works on ${APP}.`).waitFor();
    const field = page.getByLabel('Username of the collaborator');
    await field.fill('nobody-here');
    await page.getByRole('button', { name: 'Add collaborator' }).click();
    await page.getByText('No User matches the given query.').waitFor();
    await field.fill(USER);
    await page.getByRole('button', { name: 'Add collaborator' }).click();
    await page.getByTestId(`collaborator-${USER}`).waitFor();
    expect((await api.get(`/v2/apps/${APP}/perms/`)).body).toEqual({ users: [USER] });
    expect(await axeProblems(page)).toEqual([]);
    await screenshot(page, '51-collaborators');
  }, 120_000);

  it('lets the user sign in with the new credentials: the app, no Users screen, no sharing controls', async () => {
    other = await openBrowser();
    const p = other.page;
    p.setDefaultTimeout(20_000);
    await signIn(p, t.url, USER, USER_PW);
    // The sidebar's app list (the dashboard's activity links to the app too).
    await p.locator('.sidebar').getByRole('link', { name: APP, exact: true }).waitFor();
    expect(await p.getByRole('link', { name: 'Users', exact: true }).count()).toBe(0);
    await p.goto(`${t.url}/#/users`);
    await p.getByText('Only administrators manage users.').waitFor();
    expect(await p.getByTestId('users').count()).toBe(0);
    await p.goto(`${t.url}/#/apps/${APP}/collaborators`);
    await p.getByTestId(`collaborator-${USER}`).waitFor();
    expect(await p.getByRole('button', { name: 'Add collaborator' }).count()).toBe(0);
    expect(await p.getByRole('button', { name: `Remove ${USER}` }).count()).toBe(0);
  }, 120_000);

  it('adds SSH keys by pasting (from the keyboard) and from a file, and removes one', async () => {
    const p = other!.page;
    await p.getByRole('link', { name: 'SSH keys', exact: true }).click();
    await p.getByText('No keys yet').waitFor();
    expect(await axeProblems(p)).toEqual([]);

    // A bad key gets the API's sentence next to the field.
    await p.locator('#key-public').focus();
    await p.keyboard.insertText('ssh-ed25519 not*base64 bob@laptop');
    await p.keyboard.press('Tab');
    await p.keyboard.press('Tab');
    await p.keyboard.press('Enter');
    await p.locator('#key-public-error').waitFor();
    expect(await p.locator('#key-public-error').textContent()).toBe('Key contains invalid base64 chars');

    // Pasted: the name comes from the key's comment; sent with Enter from the name field.
    const pasted = quickEd25519Key('bob@laptop');
    await p.locator('#key-public').focus();
    await p.keyboard.press('ControlOrMeta+A');
    await p.keyboard.insertText(pasted);
    await p.keyboard.press('Tab');
    await p.keyboard.press('Tab');
    expect(await p.locator('#key-id').inputValue()).toBe('bob@laptop');
    await p.keyboard.press('Enter');
    const row = p.getByTestId('key-bob@laptop');
    await row.waitFor();
    // Listed by name and fingerprint, never the whole key.
    const blob = pasted.split(' ')[1]!;
    expect(await p.content()).not.toContain(blob);
    expect(await row.textContent()).toMatch(/([0-9a-f]{2}:){15}[0-9a-f]{2}/);

    // A file far bigger than a key is refused before it is read.
    const big = path.join(scratch, 'id_rsa');
    fs.writeFileSync(big, 'x'.repeat(MAX_PUBLIC_KEY_CHARS + 1));
    await p.locator('#key-file').setInputFiles(big);
    await p.getByText('id_rsa is 17 KB; a public key is at most 16 KB.', { exact: false }).waitFor();

    // From a file: read in the page, named from its comment.
    const fromFile = quickEd25519Key('bob@desktop');
    const pub = path.join(scratch, 'id_ed25519.pub');
    fs.writeFileSync(pub, `${fromFile}\n`);
    await p.locator('#key-file').setInputFiles(pub);
    await expect.poll(() => p.locator('#key-public').inputValue()).toBe(fromFile);
    await p.getByRole('button', { name: 'Add key' }).click();
    await p.getByTestId('key-bob@desktop').waitFor();
    expect(await axeProblems(p)).toEqual([]);
    await screenshot(p, '52-ssh-keys');

    // Removal asks first.
    await row.getByRole('button', { name: 'Remove…' }).click();
    await row.getByRole('button', { name: 'Remove bob@laptop' }).click();
    await row.waitFor({ state: 'detached' });
    await p.getByTestId('key-bob@desktop').waitFor();
  }, 120_000);

  it('notifies the administrator when their git push is deployed, and the click opens the app', async () => {
    await page.goto(`${t.url}/#/preferences`);
    const toggle = page.getByRole('switch', { name: 'Tell me when a build or deploy I started ends' });
    expect(await toggle.isChecked()).toBe(false);
    await toggle.press('Space');
    await expect.poll(() => toggle.isChecked()).toBe(true);
    expect(await axeProblems(page)).toEqual([]);
    await screenshot(page, '53-notifications');
    await page.goto(`${t.url}/#/apps/${APP}/overview`);
    await page.getByRole('link', { name: 'Dashboard' }).click();

    const { dir } = repoFromFixture('python-http');
    const bobPusher = new Pusher(t.core.builderPort, 'e2eppl-bob');
    try {
      const pushed = await pusher.push(dir, APP);
      expect(pushed.code, pushed.output).toBe(0);
      await expect
        .poll(() => page.evaluate('window.__notifications'), { timeout: 30_000 })
        .toEqual([{ title: `${APP} v2 is deployed`, body: expect.stringContaining(`Build of ${APP} at `) }]);
      await page.evaluate("window.__lastNotification.dispatchEvent(new Event('click'))");
      await expect.poll(() => page.evaluate('location.hash')).toBe(`#/apps/${APP}/overview`);

      // A collaborator's push is theirs: the administrator's window sees the task, but says nothing.
      const bob = await new Api(t.url)
        .as(undefined)
        .post('/v2/auth/login/', { username: USER, password: USER_PW });
      await bobPusher.addKeyTo(api.as((bob.body as { token: string }).token), 'bob-pusher');
      fs.appendFileSync(path.join(dir, 'app.py'), '\n# changed by bob\n');
      git(dir, 'commit', '-qam', 'bob was here');
      const bobs = await bobPusher.push(dir, APP);
      expect(bobs.code, bobs.output).toBe(0);

      // A build of the administrator's that fails says so, with the reason.
      fs.appendFileSync(path.join(dir, 'Dockerfile'), 'RUN exit 3\n');
      git(dir, 'commit', '-qam', 'a broken build');
      const failed = await pusher.push(dir, APP);
      expect(failed.code).not.toBe(0);
      await expect.poll(() => page.evaluate('window.__notifications.length'), { timeout: 30_000 }).toBe(2);
      const notes = (await page.evaluate('window.__notifications')) as { title: string; body: string }[];
      expect(notes[1]!.title).toBe(`Build of ${APP} at ${git(dir, 'rev-parse', '--short=7', 'HEAD')} failed`);
      expect(notes[1]!.body).not.toBe('');
    } finally {
      bobPusher.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(pageErrors).toEqual([]);
  }, 600_000);
});
