/**
 * Targets in the store, through the API of a real core (real SQLite, a fresh DEIS_HOME): `local` is
 * listed to every signed-in user as the default and cannot be removed; only an administrator may
 * add, test or remove targets; bad input to an add (no such file, a folder, an unknown context, a
 * server that does not answer) gives one sentence and changes nothing (no row, no copy in
 * DEIS_HOME); an app asked for on an unknown target is refused and not created; the original
 * Deis CLI's app creation (no target) still works and lands on `local`.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startTestCore, type TestCore } from '../support/core';

interface TargetJson {
  name: string;
  kind: string;
  default: boolean;
  state: string;
  apps: number;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function kubeconfig(dir: string, server: string): string {
  const file = path.join(dir, 'config');
  fs.writeFileSync(
    file,
    `apiVersion: v1
kind: Config
current-context: dev
clusters:
- cluster:
    server: ${server}
    insecure-skip-tls-verify: true
  name: dev
contexts:
- context:
    cluster: dev
    user: dev
  name: dev
users:
- name: dev
  user:
    token: not-a-real-token
`,
  );
  return file;
}

describe('targets in the store', () => {
  let t: TestCore;
  let admin: Api;
  let user: Api;
  let work: string;
  let unreachable: string;

  const targets = async (as: Api = admin) =>
    ((await as.get('/v2/desktop/targets/')).body as { results: TargetJson[] }).results;
  /** Nothing of an add is left: no target but local, nothing under DEIS_HOME/targets. */
  const nothingAdded = async () => {
    expect((await targets()).map((x) => x.name)).toEqual(['local']);
    const dir = path.join(t.home, 'targets');
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  };

  beforeAll(async () => {
    t = await startTestCore();
    admin = await new Api(t.url).register('admin');
    user = await new Api(t.url).register('someone', 'secret-pw', admin);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-targets-api-'));
    unreachable = kubeconfig(work, `https://127.0.0.1:${await closedPort()}`);
  });

  afterAll(async () => {
    await t?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('lists local as the default target to any signed-in user, and not to anyone else', async () => {
    const list = await targets(user);
    expect(list).toEqual([expect.objectContaining({ name: 'local', default: true, apps: 0 })]);
    expect((await new Api(t.url).get('/v2/desktop/targets/')).status).toBe(401);
  });

  it('lets only an administrator add, test or remove a target, refused before anything is read', async () => {
    const add = await user.post('/v2/desktop/targets/', {
      name: 'prod',
      kubeconfig: unreachable,
      registry: '127.0.0.1:5000',
    });
    expect(add.status).toBe(403);
    expect(add.text).toContain('Only an administrator may add targets');
    expect((await user.post('/v2/desktop/targets/local/test/')).status).toBe(403);
    expect((await user.delete('/v2/desktop/targets/local/')).status).toBe(403);
    await nothingAdded();
  });

  it('refuses a kubeconfig that cannot be read, with a sentence, and changes nothing', async () => {
    const missing = await admin.post('/v2/desktop/targets/', {
      name: 'prod',
      kubeconfig: path.join(work, 'no-such-file'),
      registry: '127.0.0.1:5000',
    });
    expect(missing.status).toBe(400);
    expect((missing.body as { detail: string }).detail).toMatch(/does not exist; pick the file again/);
    const folder = await admin.post('/v2/desktop/targets/', {
      name: 'prod',
      kubeconfig: work,
      registry: '127.0.0.1:5000',
    });
    expect(folder.status).toBe(400);
    expect((folder.body as { detail: string }).detail).toMatch(/not a regular file|is a folder|directory/i);
    await nothingAdded();
  });

  it('refuses a context the kubeconfig does not have, naming the ones it has', async () => {
    const r = await admin.post('/v2/desktop/targets/', {
      name: 'prod',
      kubeconfig: unreachable,
      context: 'staging',
      registry: '127.0.0.1:5000',
    });
    expect(r.status).toBe(400);
    expect((r.body as { detail: string }).detail).toMatch(
      /has no context named "staging"; choose one of: dev/,
    );
    await nothingAdded();
  });

  it('refuses a server that does not answer, saying which, and keeps no copy of the kubeconfig', async () => {
    const r = await admin.post('/v2/desktop/targets/', {
      name: 'prod',
      kubeconfig: unreachable,
      registry: '127.0.0.1:5000',
    });
    expect(r.status).toBe(400);
    const detail = (r.body as { detail: string }).detail;
    expect(detail).toMatch(
      /^The target prod was not added: The Kubernetes API server at https:\/\/127\.0\.0\.1:\d+ \(context dev\) does not answer/,
    );
    await nothingAdded();
    // The task records the check as a named step.
    const tasks = (await admin.get('/v2/desktop/tasks/?kind=target')).body as {
      results: { title: string; state: string; steps: { name: string }[] }[];
    };
    expect(tasks.results[0]).toMatchObject({
      title: 'Adding the target prod',
      state: 'failed',
      steps: [expect.objectContaining({ name: 'Reaching the API server' })],
    });
  });

  it('checks the rest of the request: names, local, registry and its login', async () => {
    const bad = async (body: Record<string, unknown>) => {
      const r = await admin.post('/v2/desktop/targets/', { kubeconfig: unreachable, ...body });
      expect(r.status).toBe(400);
      return r.body as Record<string, string[]>;
    };
    expect((await bad({ name: 'Prod!', registry: 'r:5000' })).name![0]).toMatch(/lower-case letters/);
    expect((await bad({ name: 'local', registry: 'r:5000' })).name![0]).toMatch(/local is the name/);
    expect((await bad({ name: 'prod', registry: 'https://r:5000' })).registry![0]).toMatch(/no scheme/);
    expect(
      (await bad({ name: 'prod', registry: 'r:5000', registry_username: 'u' })).registry_password![0],
    ).toMatch(/both the registry username and password/);
    expect((await bad({ name: 'prod' })).registry![0]).toMatch(/needs the registry/);
    await nothingAdded();
  });

  it('refuses an app on an unknown target and creates nothing; without a target an app lands on local', async () => {
    const r = await user.post('/v2/apps/', { id: 'elsewhere', target: 'nowhere' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      target: ['There is no target named nowhere; see deis targets for the ones there are.'],
    });
    expect((await user.get('/v2/apps/elsewhere/')).status).toBe(404);
    // The original CLI sends only an id.
    const ok = await user.post('/v2/apps/', { id: 'here' });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ id: 'here', target: 'local' });
    expect((await targets(user))[0]).toMatchObject({ name: 'local', apps: 1 });
  });

  it('keeps working on local while a target is away: its apps are refused with the reason, and it cannot be removed', async () => {
    // A target as a core that added it while its cluster answered would have it; the cluster is gone now.
    const folder = path.join(t.home, 'targets', 'away');
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    fs.copyFileSync(unreachable, path.join(folder, 'kubeconfig'));
    t.core.controller.store.db
      .prepare(
        `INSERT INTO targets (name, kind, kubeconfig, context, server, registry, created, updated)
         VALUES ('away', 'kubernetes', ?, 'dev', 'https://127.0.0.1', '127.0.0.1:5000', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
      )
      .run(path.join(folder, 'kubeconfig'));
    expect((await user.post('/v2/apps/', { id: 'faraway', target: 'away' })).status).toBe(201);
    const far = await user.post('/v2/apps/faraway/builds/', { image: 'example/web:1' });
    expect(far.status).toBe(503);
    expect((far.body as { detail: string }).detail).toMatch(
      /^The Kubernetes API server at https:\/\/127\.0\.0\.1:\d+ \(context dev\) does not answer/,
    );
    // The release that could not run is marked failed; nothing else changed.
    const releases = (await user.get('/v2/apps/faraway/releases/')).body as {
      results: { failed: boolean }[];
    };
    expect(releases.results[0]!.failed).toBe(true);
    // local is not held up by it.
    const near = await user.post('/v2/apps/here/builds/', { image: 'example/web:1' });
    expect(near.status).toBe(201);
    const away = (await targets(user)).find((x) => x.name === 'away')!;
    expect(away).toMatchObject({ state: 'unavailable', apps: 1 });
    expect((away as unknown as { message: string }).message).toMatch(/does not answer/);
    const removal = await admin.delete('/v2/desktop/targets/away/');
    expect(removal.status).toBe(409);
    expect((removal.body as { detail: string }).detail).toBe(
      'The target away still runs 1 app (faraway); destroy it first.',
    );
    // Destroying the app works with its cluster away; then the target goes, and its folder with it.
    expect((await user.delete('/v2/apps/faraway/')).status).toBe(204);
    expect((await admin.delete('/v2/desktop/targets/away/')).status).toBe(204);
    expect(fs.existsSync(folder)).toBe(false);
  });

  it('never removes local, and says so; an unknown target is a 404', async () => {
    const local = await admin.delete('/v2/desktop/targets/local/');
    expect(local.status).toBe(400);
    expect((local.body as { detail: string }).detail).toBe(
      'local is the engine the core runs on: it is always there and cannot be removed.',
    );
    expect((await admin.delete('/v2/desktop/targets/nowhere/')).status).toBe(404);
    expect((await targets()).map((x) => x.name)).toEqual(['local']);
  });
});
