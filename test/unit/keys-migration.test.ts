import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../main/store/migrations';
import { openStore } from '../../main/store/db';

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('migrations 3 and 6 (keys)', () => {
  it('keep existing keys, scope key ids and key material to their owner', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-mig-'));
    const file = path.join(dir, 'deis.db');
    const v1 = openStore(
      file,
      MIGRATIONS.filter((m) => m.version === 1),
    );
    const user = (name: string) =>
      v1.db
        .prepare("INSERT INTO users (username, password_hash, date_joined, token) VALUES (?, 'x', 'now', ?)")
        .run(name, name).lastInsertRowid;
    const a = user('a');
    const b = user('b');
    v1.db
      .prepare("INSERT INTO keys VALUES ('u1', ?, 'laptop', 'ssh-ed25519 AAAA a', 'aa:bb', 't', 't')")
      .run(a);
    v1.close();

    const store = openStore(file);
    expect(store.db.prepare('SELECT uuid, id, fingerprint FROM keys').all()).toEqual([
      { uuid: 'u1', id: 'laptop', fingerprint: 'aa:bb' },
    ]);
    const insert = store.db.prepare("INSERT INTO keys VALUES (?, ?, 'laptop', ?, ?, 't', 't')");
    insert.run('u2', b, 'ssh-ed25519 BBBB b', 'cc:dd');
    expect(() => insert.run('u3', a, 'ssh-ed25519 CCCC a', 'ee:ff')).toThrow(/UNIQUE/);
    // A public key is public: another user may register the same material (issue 8), its owner twice not.
    store.db
      .prepare("INSERT INTO keys VALUES ('u4', ?, 'desk', 'ssh-ed25519 AAAA a', 'aa:bb', 't', 't')")
      .run(b);
    expect(() =>
      store.db
        .prepare("INSERT INTO keys VALUES ('u5', ?, 'desk', 'ssh-ed25519 AAAA a', 'aa:bb', 't', 't')")
        .run(a),
    ).toThrow(/UNIQUE/);
    store.close();
  });
});
