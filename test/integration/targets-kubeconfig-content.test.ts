/**
 * A kubeconfig sent as its content (the UI in a browser can send a file's content, never its path):
 * through the API of a real core, an administrator lists its contexts for the chooser and adds a
 * target from it, validated exactly as the path form (an unknown context, YAML that is not a
 * kubeconfig, a file too large, a reference to a file by a relative path: one sentence, nothing
 * added); a user who is not an administrator is refused. With the real test cluster and its
 * registry, the added target's context is copied into DEIS_HOME with mode 0600 like a picked file's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBECONFIG_MAX_BYTES } from '../../main/contract/limits';
import { Api, startTestCore, type TestCore } from '../support/core';
import { clusterForTests } from '../support/k8s';

const cluster = await clusterForTests('targets-kubeconfig-content', { registry: true });

const TWO_CONTEXTS = `apiVersion: v1
kind: Config
current-context: dev
clusters:
- cluster:
    server: https://127.0.0.1:1
    insecure-skip-tls-verify: true
  name: dev
- cluster:
    server: https://prod.example.com:6443
    certificate-authority: ca.crt
  name: prod
contexts:
- context:
    cluster: dev
    user: dev
  name: dev
- context:
    cluster: prod
    user: dev
    namespace: web
  name: prod
users:
- name: dev
  user:
    token: not-a-real-token
`;

describe('a kubeconfig sent as its content', () => {
  let t: TestCore;
  let admin: Api;
  let user: Api;

  const names = async () =>
    ((await admin.get('/v2/desktop/targets/')).body as { results: { name: string }[] }).results.map(
      (x) => x.name,
    );
  const nothingAdded = async () => {
    expect(await names()).toEqual(['local']);
    const dir = path.join(t.home, 'targets');
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  };

  beforeAll(async () => {
    t = await startTestCore();
    admin = await new Api(t.url).register('admin');
    user = await new Api(t.url).register('someone', 'secret-pw', admin);
  });

  afterAll(async () => {
    await t?.stop();
    await cluster?.release();
  });

  it('lists its contexts for an administrator, and refuses anyone else', async () => {
    const listed = await admin.post('/v2/desktop/kubeconfig-contexts/', { kubeconfig_content: TWO_CONTEXTS });
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body).toEqual({
      current_context: 'dev',
      contexts: [
        expect.objectContaining({ name: 'dev', server: 'https://127.0.0.1:1', auth: 'token', current: true }),
        expect.objectContaining({ name: 'prod', server: 'https://prod.example.com:6443', namespace: 'web' }),
      ],
    });
    // No credential of the file is answered.
    expect(listed.text).not.toContain('not-a-real-token');
    const refused = await user.post('/v2/desktop/kubeconfig-contexts/', { kubeconfig_content: TWO_CONTEXTS });
    expect(refused.status).toBe(403);
    const addRefused = await user.post('/v2/desktop/targets/', {
      name: 'dev',
      kubeconfig_content: TWO_CONTEXTS,
      registry: '127.0.0.1:5000',
    });
    expect(addRefused.status).toBe(403);
    await nothingAdded();
  });

  it('validates sent content as a picked file, with one sentence, adding nothing', async () => {
    const add = (body: Record<string, unknown>) =>
      admin.post('/v2/desktop/targets/', { name: 'prod', registry: '127.0.0.1:5000', ...body });
    const unknown = await add({ kubeconfig_content: TWO_CONTEXTS, context: 'staging' });
    expect(unknown.status).toBe(400);
    expect((unknown.body as { detail: string }).detail).toBe(
      'The kubeconfig (the file you sent) has no context named "staging"; choose one of: dev, prod.',
    );
    const relative = await add({ kubeconfig_content: TWO_CONTEXTS, context: 'prod' });
    expect(relative.status).toBe(400);
    expect((relative.body as { detail: string }).detail).toMatch(
      /names its certificate authority file "ca.crt" by a relative path, which means nothing once sent; inline it/,
    );
    const notYaml = await admin.post('/v2/desktop/kubeconfig-contexts/', { kubeconfig_content: 'a: [b' });
    expect(notYaml.status).toBe(400);
    expect((notYaml.body as { detail: string }).detail).toMatch(
      /^The kubeconfig \(the file you sent\) is not valid YAML: .* at line \d+, column \d+; fix it or pick another file\.$/,
    );
    const both = await add({ kubeconfig: '/etc/hostname', kubeconfig_content: TWO_CONTEXTS });
    expect(both.status).toBe(400);
    expect(both.body).toEqual({
      kubeconfig_content: ['Give the kubeconfig as a path or as its content, not both.'],
    });
    const neither = await add({});
    expect(neither.status).toBe(400);
    expect(neither.body).toEqual({
      kubeconfig: [
        'Give the kubeconfig as a file path on this machine (kubeconfig) or as its content (kubeconfig_content).',
      ],
    });
    const blank = await add({ kubeconfig_content: '' });
    expect(blank.status).toBe(400);
    // Larger than a kubeconfig may be: refused on arrival.
    const huge = await add({ kubeconfig_content: `# ${'x'.repeat(KUBECONFIG_MAX_BYTES)}\n${TWO_CONTEXTS}` });
    expect(huge.status).toBe(413);
    await nothingAdded();
  });

  it.skipIf(!cluster?.registry)(
    'adds the test cluster from the content of its kubeconfig, copied into DEIS_HOME with mode 0600',
    async () => {
      const content = fs.readFileSync(cluster!.kubeconfig, 'utf8');
      const registry = cluster!.registry!;
      const listed = await admin.post('/v2/desktop/kubeconfig-contexts/', { kubeconfig_content: content });
      expect(listed.status, listed.text).toBe(200);
      const context = (listed.body as { current_context: string }).current_context;
      const added = await admin.post('/v2/desktop/targets/', {
        name: 'sent',
        kubeconfig_content: content,
        context,
        registry: registry.address,
        registry_username: registry.username,
        registry_password: registry.password,
      });
      expect(added.status, added.text).toBe(201);
      expect(added.text).not.toContain(registry.password);
      expect(added.body).toMatchObject({ name: 'sent', kind: 'kubernetes', context });
      const copy = path.join(t.home, 'targets', 'sent', 'kubeconfig');
      expect(fs.statSync(copy).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(copy, 'utf8')).toContain('# Copied by Deis Desktop from (the file you sent)');
      expect(await names()).toEqual(['local', 'sent']);
      expect((await admin.delete('/v2/desktop/targets/sent/')).status).toBe(204);
      await nothingAdded();
    },
    180_000,
  );
});
