/**
 * Issue 14, item 3 on the real engine: every change to an app shows in its activity feed with who
 * did it and when — config changes by their keys (the values never appear), a rollback, a build,
 * scaling, a restart, a domain, a failed deploy with its reason — per app, across apps and live;
 * `deis activity` prints it; a user the app is not shared with gets nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityEntry } from '../../main/contract/activity';
import { CliUser } from '../support/cli';
import { Api, type TestCore } from '../support/core';
import { dockerAvailable } from '../support/images';
import {
  buildFixture,
  instanceName,
  pushBuild,
  removeImage,
  removeInstance,
  startDockerCore,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('activity tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('activity');
const APP = 'activityapp';
const SECRETS = ['hunter2-first-secret', 'second-secret-value-77', 'broken-secret-value-99'];

/** Reads a server-sent event stream until `done` holds for what came, or the deadline passes. */
async function readStream(
  api: Api,
  path: string,
  done: (text: string) => boolean,
  timeoutMs: number,
  started: (ready: () => void) => void = (ready) => ready(),
): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let text = '';
  try {
    const res = await fetch(api.url + path, {
      headers: { Authorization: `token ${api.token}` },
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let signalled = false;
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      text += decoder.decode(value, { stream: true });
      if (!signalled && text.includes(': connected')) {
        signalled = true;
        started(() => undefined);
      }
      if (done(text)) break;
    }
  } catch {
    /* the deadline: return what came */
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return text;
}

describe.skipIf(!hasDocker)('the activity feed of an app', () => {
  let t: TestCore;
  let owner: Api;
  let carol: Api;
  let eve: Api;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  const cli = new CliUser();

  const feed = async (api: Api = owner) => {
    const r = await api.get(`/v2/apps/${APP}/activity/`);
    expect(r.status, r.text).toBe(200);
    return { entries: (r.body as { results: ActivityEntry[] }).results, text: r.text };
  };

  beforeAll(async () => {
    built = await buildFixture(APP, 'metrics-app');
    t = await startDockerCore(instance);
    owner = await new Api(t.url).register('owner');
    carol = await new Api(t.url).register('carol', 'pw', owner);
    eve = await new Api(t.url).register('eve', 'pw', owner);
    expect((await owner.post('/v2/apps/', { id: APP })).status).toBe(201);
    expect((await owner.post(`/v2/apps/${APP}/perms/`, { username: 'carol' })).status).toBe(201);
    const config = {
      values: { SECRET_TOKEN: SECRETS[0], KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    };
    expect((await owner.post(`/v2/apps/${APP}/config/`, config)).status).toBe(201);
    const r = await pushBuild(owner, APP, built);
    expect(r.status, r.text).toBe(201);
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    cli.remove();
  });

  it("records config changes by key with the user's name, never a value", async () => {
    const set = await carol.post(`/v2/apps/${APP}/config/`, {
      values: { SECRET_TOKEN: SECRETS[1], OTHER: 'x' },
    });
    expect(set.status, set.text).toBe(201);
    const unset = await carol.post(`/v2/apps/${APP}/config/`, { values: { OTHER: null } });
    expect(unset.status, unset.text).toBe(201);
    const { entries, text } = await feed();
    const byCarol = entries.filter((e) => e.user === 'carol' && e.action === 'config');
    expect(byCarol.map((e) => e.summary)).toEqual([
      expect.stringMatching(/^changed config: unset OTHER, now v\d+$/),
      expect.stringMatching(/^changed config: set SECRET_TOKEN, OTHER, now v\d+$/),
    ]);
    expect(entries.find((e) => e.user === 'owner' && e.action === 'config')?.summary).toContain(
      'SECRET_TOKEN',
    );
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(entries.every((e) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(e.created))).toBe(true);
  });

  it('records the build, a rollback, scaling and a restart with who did them', async () => {
    const rollback = await owner.post(`/v2/apps/${APP}/releases/rollback/`, {});
    expect(rollback.status, rollback.text).toBe(201);
    const version = (rollback.body as { version: number }).version;
    expect((await carol.post(`/v2/apps/${APP}/scale/`, { web: 2 })).status).toBe(204);
    expect((await owner.post(`/v2/apps/${APP}/pods/web/restart/`, {})).status).toBe(200);
    const { entries } = await feed();
    const rb = entries.find((e) => e.action === 'rollback');
    expect(rb).toMatchObject({ user: 'owner', ok: true });
    expect(rb!.summary).toMatch(new RegExp(`^rolled back to v\\d+, now v${version}$`));
    expect(entries.find((e) => e.action === 'build')).toMatchObject({ user: 'owner', ok: true });
    expect(entries.find((e) => e.action === 'scale')).toMatchObject({
      user: 'carol',
      summary: 'scaled web=2',
    });
    expect(entries.find((e) => e.action === 'restart')).toMatchObject({
      user: 'owner',
      summary: 'restarted the web processes',
    });
    // Newest first.
    expect(entries[0]!.action).toBe('restart');
  });

  it('records a failed deploy with its reason, and the value that broke it stays out', async () => {
    const r = await owner.post(`/v2/apps/${APP}/config/`, {
      values: { CRASH_ON_BOOT: '1', SECRET_TOKEN: SECRETS[2] },
    });
    expect(r.status).toBe(400);
    const { entries, text } = await feed();
    const failed = entries.find((e) => !e.ok);
    expect(failed).toMatchObject({ user: 'owner', action: 'config' });
    expect(failed!.summary).toBe('changed config: set CRASH_ON_BOOT, SECRET_TOKEN');
    expect(failed!.reason.length).toBeGreaterThan(10);
    // The reason is the sentence, not the app's output (which could print anything).
    expect(failed!.reason).not.toContain('cannot start');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });

  it('shows changes live on the event stream, only to those who may read the app', async () => {
    let eveText = '';
    const eveStream = readStream(eve, '/v2/desktop/activity/events/', () => false, 15_000).then(
      (x) => (eveText = x),
    );
    const ownerText = await readStream(
      owner,
      '/v2/desktop/activity/events/',
      (text) => text.includes('added domain live.example.com'),
      15_000,
      () => void owner.post(`/v2/apps/${APP}/domains/`, { domain: 'live.example.com' }),
    );
    expect(ownerText).toMatch(/event: activity\ndata: .*"user":"owner".*added domain live\.example\.com/);
    await eveStream;
    expect(eveText).toContain(': connected');
    expect(eveText).not.toContain(APP);
  });

  it('shows the feed across apps to those who may read them, and nothing to a stranger', async () => {
    const mine = await carol.get('/v2/desktop/activity/');
    expect(mine.status).toBe(200);
    expect((mine.body as { results: ActivityEntry[] }).results.some((e) => e.app === APP)).toBe(true);
    const theirs = await eve.get('/v2/desktop/activity/');
    expect(theirs.status).toBe(200);
    expect(theirs.body).toMatchObject({ count: 0, results: [] });
    const direct = await eve.get(`/v2/apps/${APP}/activity/`);
    expect(direct.status).toBe(403);
    expect(direct.text).not.toContain('SECRET_TOKEN');
    expect((await owner.get(`/v2/apps/${APP}/activity/?limit=0`)).status).toBe(400);
    expect((await owner.get(`/v2/apps/${APP}/activity/?limit=100000`)).status).toBe(400);
  });

  it('prints the feed with deis activity', async () => {
    const login = await cli.run(['login', t.url, '--username=carol', '--password=pw']);
    expect(login.code, login.stderr).toBe(0);
    const r = await cli.run(['activity', '-a', APP]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`=== ${APP} Activity`);
    expect(r.stdout).toMatch(/carol\s*\|\s*config\s*\|\s*changed config: set SECRET_TOKEN, OTHER/);
    expect(r.stdout).toMatch(/owner\s*\|\s*rollback\s*\|\s*rolled back to v\d+/);
    expect(r.stdout).toMatch(/owner\s*\|\s*config\s*\|\s*FAILED: changed config: set CRASH_ON_BOOT/);
    for (const secret of SECRETS) expect(r.stdout).not.toContain(secret);
    const all = await cli.run(['activity', '--all']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`carol\\s*\\|\\s*${APP}\\s*\\|\\s*scale`));
  });
});
