/**
 * Secrets at rest: tokens are stored hashed (a copy of the store lets nobody in), an old store with
 * plain-text tokens is migrated without logging anyone out, every data file is readable by its owner
 * only whatever DEIS_HOME's mode and the umask, and a damaged store or host key stops the core with a
 * message naming the file, changing nothing — a zero-byte store is never taken for a fresh install.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { TOKENS_PER_USER } from '../../main/contract/limits';
import { ensureDesktopUser } from '../../main/desktop-user';
import { MIGRATIONS } from '../../main/store/migrations';
import { openStore } from '../../main/store/db';
import { Api, startTestCore, type TestCore } from '../support/core';
import { serve } from '../support/serve';

let t: TestCore | undefined;
const homes: string[] = [];
afterEach(async () => {
  await t?.stop();
  t = undefined;
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

function newHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-secrets-'));
  homes.push(home);
  return home;
}

/** The store's bytes on disk: the database and its journal files. */
function storeBytes(home: string): Buffer {
  const file = path.join(home, 'deis.db');
  return Buffer.concat(
    [file, `${file}-wal`, `${file}-shm`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)),
  );
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const status = async (api: Api) => (await api.get('/v2/auth/whoami/')).status;

describe('tokens', () => {
  it('are stored as hashes only: the store file does not contain them', async () => {
    t = await startTestCore({ home: newHome() });
    const alice = await new Api(t.url).register('alice', 'alice-pw');
    const again = await new Api(t.url).post('/v2/auth/login/', { username: 'alice', password: 'alice-pw' });
    const token2 = (again.body as { token: string }).token;
    expect(token2).not.toBe(alice.token);
    // Both sessions work side by side.
    expect(await status(alice)).toBe(200);
    expect(await status(alice.as(token2))).toBe(200);

    const bytes = storeBytes(t.home);
    for (const token of [alice.token!, token2]) {
      expect(bytes.includes(Buffer.from(token)), 'token in the store file').toBe(false);
      const row = t.core.controller.store.db
        .prepare('SELECT user_id FROM tokens WHERE hash = ?')
        .get(sha256(token));
      expect(row).toBeDefined();
    }
    const columns = t.core.controller.store.db.prepare('PRAGMA table_info(users)').all() as {
      name: string;
    }[];
    expect(columns.map((c) => c.name)).not.toContain('token');
  });

  it(`are kept ${TOKENS_PER_USER} per user: the oldest session is signed out by the next login`, async () => {
    t = await startTestCore({ home: newHome() });
    const first = await new Api(t.url).register('alice', 'alice-pw');
    const tokens = [first.token!];
    for (let i = 0; i < TOKENS_PER_USER; i++) {
      const r = await new Api(t.url).post('/v2/auth/login/', { username: 'alice', password: 'alice-pw' });
      tokens.push((r.body as { token: string }).token);
    }
    expect(await status(first)).toBe(401);
    for (const token of tokens.slice(1)) expect(await status(first.as(token))).toBe(200);
  });

  it('are revoked by auth:regenerate (one user, or everyone with --all) and by cancelling the account', async () => {
    t = await startTestCore({ home: newHome() });
    const admin = await new Api(t.url).register('admin', 'admin-pw');
    const bob = await new Api(t.url).register('bob', 'bob-pw', admin);
    const bob2 = bob.as(
      (
        (await new Api(t.url).post('/v2/auth/login/', { username: 'bob', password: 'bob-pw' })).body as {
          token: string;
        }
      ).token,
    );
    const regen = await bob.post('/v2/auth/tokens/', {});
    expect(regen.status).toBe(200);
    const fresh = bob.as((regen.body as { token: string }).token);
    expect([await status(bob), await status(bob2), await status(fresh)]).toEqual([401, 401, 200]);

    const all = await admin.post('/v2/auth/tokens/', { all: true });
    expect(all.body).toEqual({ token: '' });
    expect([await status(admin), await status(fresh)]).toEqual([401, 401]);

    const admin2 = new Api(t.url).as(
      (
        (await new Api(t.url).post('/v2/auth/login/', { username: 'admin', password: 'admin-pw' })).body as {
          token: string;
        }
      ).token,
    );
    const bob3 = await new Api(t.url).post('/v2/auth/login/', { username: 'bob', password: 'bob-pw' });
    expect(bob3.status).toBe(200);
    expect((await admin2.delete('/v2/auth/cancel/', { username: 'bob' })).status).toBe(204);
    const left = t.core.controller.store.db.prepare('SELECT COUNT(*) AS n FROM tokens').get() as {
      n: number;
    };
    expect(left.n).toBe(1); // admin2's
  });

  it('of an old store (plain text) are migrated: clients stay logged in, the plain text is gone from the file', async () => {
    const home = newHome();
    const file = path.join(home, 'deis.db');
    const old = openStore(
      file,
      MIGRATIONS.filter((m) => m.version <= 4),
    );
    const token = randomBytes(20).toString('hex');
    const insert = old.db.prepare(
      "INSERT INTO users (username, password_hash, is_superuser, date_joined, token) VALUES (?, 'x', ?, 't', ?)",
    );
    insert.run('olivia', 1, token);
    insert.run('gone', 0, randomBytes(20).toString('hex'));
    insert.run('other', 0, randomBytes(20).toString('hex'));
    old.db.prepare("DELETE FROM users WHERE username = 'gone'").run();
    old.db
      .prepare(
        "INSERT INTO apps (uuid, id, owner_id, created, updated) VALUES ('u-1', 'kept-app', 1, 't', 't')",
      )
      .run();
    old.db
      .prepare("INSERT INTO keys VALUES ('k-1', 1, 'laptop', 'ssh-ed25519 AAAA o', 'aa:bb', 't', 't')")
      .run();
    old.close();
    expect(fs.readFileSync(file).includes(Buffer.from(token))).toBe(true);

    t = await startTestCore({ home });
    // The hand-made app has no settings or TLS rows (apps made through the API always do): it gets
    // a new app's, so it does not keep the target from starting, and its settings can be read.
    expect(t.core.scheduler.readiness.ready).toBe(true);
    const olivia = new Api(t.url, token);
    expect((await olivia.get('/v2/apps/kept-app/settings/')).body).toMatchObject({
      owner: 'olivia',
      routable: true,
      whitelist: [],
    });
    expect((await olivia.get('/v2/apps/kept-app/tls/')).body).toMatchObject({ https_enforced: null });
    expect((await olivia.get('/v2/auth/whoami/')).body).toMatchObject({
      username: 'olivia',
      is_superuser: true,
    });
    expect(
      ((await olivia.get('/v2/apps/')).body as { results: { id: string }[] }).results.map((a) => a.id),
    ).toEqual(['kept-app']);
    expect(
      ((await olivia.get('/v2/keys/')).body as { results: { id: string }[] }).results.map((k) => k.id),
    ).toEqual(['laptop']);
    // A deleted user's id is never given out again.
    const made = await olivia.post('/v2/auth/register/', { username: 'newbie', password: 'pw', email: '' });
    expect(made.status).toBe(201);
    const ids = t.core.controller.store.db.prepare('SELECT id, username FROM users ORDER BY id').all();
    expect(ids).toEqual([
      { id: 1, username: 'olivia' },
      { id: 3, username: 'other' },
      { id: 4, username: 'newbie' },
    ]);
    await t.core.stop();
    t = undefined;
    expect(storeBytes(home).includes(Buffer.from(token)), 'old token left in the store file').toBe(false);
  });
});

describe('file modes', () => {
  it('are owner-only for DEIS_HOME and every secret in it, with a 0755 home and umask 022', async () => {
    const home = newHome();
    fs.chmodSync(home, 0o755);
    const umask = process.umask(0o022);
    try {
      const mode = (p: string) => (fs.statSync(path.join(home, p)).mode & 0o777).toString(8);
      t = await startTestCore({ home });
      await new Api(t.url).register('alice');
      await ensureDesktopUser(t.core.controller, home, t.url);
      const secrets = [
        'deis.db',
        'deis.db-wal',
        'deis.db-shm',
        'builder/ssh_host_key',
        'desktop-token',
        'deis-profile.json',
      ];
      expect(mode('.')).toBe('700');
      for (const f of secrets) expect(`${f} ${mode(f)}`).toBe(`${f} 600`);

      // Files an older version left readable are made private on the next start.
      await t.core.stop();
      t = undefined;
      fs.chmodSync(home, 0o755);
      for (const f of ['deis.db', 'builder/ssh_host_key']) fs.chmodSync(path.join(home, f), 0o644);
      t = await startTestCore({ home });
      expect(mode('.')).toBe('700');
      for (const f of ['deis.db', 'deis.db-wal', 'deis.db-shm', 'builder/ssh_host_key'])
        expect(`${f} ${mode(f)}`).toBe(`${f} 600`);
      // A build context still gets the modes the umask gives (the core does not change it).
      expect(process.umask()).toBe(0o022);
    } finally {
      process.umask(umask);
    }
  });
});

describe('a damaged store or host key', () => {
  /** Starts `npm run serve` on `home` and expects it to refuse, naming `file`, with `file` untouched. */
  async function expectRefusal(home: string, file: string, why: RegExp): Promise<string> {
    const before = fs.readFileSync(file);
    const mtime = fs.statSync(file).mtimeMs;
    const outcome = await serve(home);
    await outcome.core?.stop();
    expect(outcome.core, 'the core started').toBeUndefined();
    expect(outcome.exitCode).toBe(1);
    expect(outcome.output).toContain(file);
    expect(outcome.output).toMatch(why);
    expect(fs.readFileSync(file).equals(before), `${file} changed`).toBe(true);
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
    return outcome.output;
  }

  it('a zero-byte store stops the core: not a fresh install with open registration', async () => {
    const home = newHome();
    const file = path.join(home, 'deis.db');
    fs.writeFileSync(file, '');
    const out = await expectRefusal(
      home,
      file,
      /is damaged \(it is empty \(0 bytes\)\); the core stopped without changing it/,
    );
    expect(out).toMatch(/Restore it from a backup, or move it away to start with an empty store\./);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    expect(fs.existsSync(`${file}-shm`)).toBe(false);
  });

  it('a file that is not SQLite stops the core', async () => {
    const home = newHome();
    const file = path.join(home, 'deis.db');
    fs.writeFileSync(file, randomBytes(8192));
    await expectRefusal(home, file, /is damaged \(file is not a database\)/);
  });

  it('a store failing its integrity check stops the core', async () => {
    const home = newHome();
    t = await startTestCore({ home });
    const admin = await new Api(t.url).register('admin');
    for (let i = 0; i < 40; i++) await admin.post('/v2/apps/', { id: `app-${i}` });
    await t.core.stop();
    t = undefined;
    const file = path.join(home, 'deis.db');
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const db = new Database(file, { fileMustExist: true });
    const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'apps'").get() as {
      rootpage: number;
    };
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    // Scribble over the rows at the end of the apps table's root page.
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(300, 0xff), 0, 300, rootpage * pageSize - 300);
    fs.closeSync(fd);
    await expectRefusal(home, file, /is damaged \(its integrity check failed: /);
  });

  it("another program's database stops the core", async () => {
    const home = newHome();
    const file = path.join(home, 'deis.db');
    const other = new Database(file);
    other.exec("CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('https://example.com')");
    other.close();
    await expectRefusal(home, file, /is damaged \(it is not a Deis Desktop store\)/);
  });

  it.each([
    ['garbage', 'not a key at all\n'],
    ['an empty file', ''],
    ['a public key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh2ZyuKVq8tLgnmPb3P3F3Lz6NZ8Uz9eGnUQZp9R6bW x\n'],
  ])('a host key that is %s stops the core before the store is touched', async (_, text) => {
    const home = newHome();
    const key = path.join(home, 'builder', 'ssh_host_key');
    fs.mkdirSync(path.dirname(key));
    fs.writeFileSync(key, text, { mode: 0o600 });
    const out = await expectRefusal(home, key, /The builder's SSH host key .* is damaged/);
    expect(out).toMatch(/move it away to have a new key made/);
    expect(fs.existsSync(path.join(home, 'deis.db'))).toBe(false);
  });
});
