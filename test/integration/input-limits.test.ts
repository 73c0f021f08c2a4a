/**
 * Issue 8, classes 5 and 10 (controller inputs): every list a client can grow through the config,
 * settings and whitelist endpoints has a limit, checked before anything is stored, answered with a
 * 400 and a sentence, and the core stays responsive while the hostile request is handled. Nested
 * health checks are 400s, never 500s.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_APP_LABELS,
  MAX_CONFIG_BYTES,
  MAX_CONFIG_KEY_LENGTH,
  MAX_CONFIG_VALUE_BYTES,
  MAX_CONFIG_VALUES,
  MAX_PROBE_BYTES,
  MAX_PROCESS_TYPE_ENTRIES,
  MAX_REGISTRY_ENTRIES,
  MAX_TAGS,
  MAX_WHITELIST_ENTRIES,
} from '../../main/contract/limits';
import { Api, startTestCore, type Reply, type TestCore } from '../support/core';
import { PROBE_LIMIT_MS, whileProbing } from '../support/responsive';
import { snapshot } from '../support/snapshot';

let t: TestCore;
let owner: Api;

beforeAll(async () => {
  t = await startTestCore();
  const admin = await new Api(t.url).register('admin');
  owner = await new Api(t.url).register('olivia', 'pw', admin);
  for (const id of ['wl', 'cfg', 'hc', 'st'])
    expect((await owner.post('/v2/apps/', { id })).status).toBe(201);
});
afterAll(() => t?.stop());

const messageOf = (r: Reply) => Object.values(r.body as Record<string, string[] | string>).flat()[0];

/**
 * Sends a hostile request while probing /healthz: it is refused with `status`, nothing is stored,
 * and the core answered every probe within the limit. Returns the reply.
 */
async function refusedWhileProbing(
  send: () => Promise<Reply>,
  status: number | number[] = 400,
): Promise<Reply> {
  const before = snapshot(t.core.controller.store);
  const [r, report] = await whileProbing(t.url, send);
  expect([status].flat(), r.text.slice(0, 300)).toContain(r.status);
  expect(snapshot(t.core.controller.store)).toBe(before);
  expect(report.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
  return r;
}

async function refused(send: () => Promise<Reply>, message: string | RegExp, status = 400): Promise<void> {
  const before = snapshot(t.core.controller.store);
  const r = await send();
  expect(r.status, r.text.slice(0, 300)).toBe(status);
  if (typeof message === 'string') expect(messageOf(r)).toBe(message);
  else expect(messageOf(r)).toMatch(message);
  expect(snapshot(t.core.controller.store)).toBe(before);
}

const networks = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `10.${((from + i) >> 8) & 255}.${(from + i) & 255}.0/24`);

describe('the whitelist', () => {
  it('refuses 170,000 entries at once, without checking each, while /healthz keeps answering', async () => {
    // Distinct addresses (the quadratic checks were slow on these), short enough for the body to
    // stay under the API's size limit and reach the whitelist rule.
    const addresses = Array.from({ length: 170_000 }, (_, i) => `::${i.toString(16)}`);
    expect(JSON.stringify({ addresses }).length).toBeLessThan(2 * 1024 * 1024);
    // Bodies are serialized before probing starts: the test shares the core's event loop.
    const body = JSON.stringify({ addresses });
    const r = await refusedWhileProbing(() => owner.call('POST', '/v2/apps/wl/whitelist/', body));
    expect(messageOf(r)).toBe(
      `A whitelist can hold at most ${MAX_WHITELIST_ENTRIES} addresses; this would make 170000. Use networks such as 10.0.0.0/8 to cover many addresses.`,
    );
    // The same list through the settings endpoint.
    const settings = JSON.stringify({ whitelist: addresses });
    await refusedWhileProbing(() => owner.call('POST', '/v2/apps/wl/settings/', settings));
  });

  it('refuses 10,000 valid, distinct networks quickly', async () => {
    const r = await refusedWhileProbing(() =>
      owner.post('/v2/apps/wl/whitelist/', { addresses: networks(10_000) }),
    );
    expect(messageOf(r)).toMatch(/^A whitelist can hold at most \d+ addresses; this would make 10000\./);
  });

  it(`accepts ${MAX_WHITELIST_ENTRIES} distinct networks, and refuses a union that would exceed them`, async () => {
    const [r, report] = await whileProbing(t.url, () =>
      owner.post('/v2/apps/wl/whitelist/', { addresses: networks(MAX_WHITELIST_ENTRIES - 10) }),
    );
    expect(r.status).toBe(201);
    expect(report.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
    // 10 already listed and 10 new: exactly at the limit.
    const more = networks(20, MAX_WHITELIST_ENTRIES - 20);
    expect((await owner.post('/v2/apps/wl/whitelist/', { addresses: more })).status).toBe(201);
    await refused(
      () => owner.post('/v2/apps/wl/whitelist/', { addresses: networks(1, MAX_WHITELIST_ENTRIES) }),
      `A whitelist can hold at most ${MAX_WHITELIST_ENTRIES} addresses; this would make ${MAX_WHITELIST_ENTRIES + 1}. Use networks such as 10.0.0.0/8 to cover many addresses.`,
    );
    // Removing them all is one pass too.
    const all = (await owner.get('/v2/apps/wl/whitelist/')).body as { addresses: string[] };
    expect(all.addresses).toHaveLength(MAX_WHITELIST_ENTRIES);
    expect((await owner.delete('/v2/apps/wl/whitelist/', { addresses: all.addresses })).status).toBe(204);
  });
});

describe('health checks', () => {
  const post = (healthcheck: unknown) => () => owner.post('/v2/apps/hc/config/', { healthcheck });
  const nested = (depth: number, leaf: unknown = 1): unknown => {
    let v = leaf;
    for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
    return v;
  };

  it('answers probes nested 100,000 deep with a 400, in any field, while /healthz keeps answering', async () => {
    const deepArray = '['.repeat(100_000) + ']'.repeat(100_000);
    const deepObject = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    for (const [field, deep] of [
      ['x', deepArray],
      ['x', deepObject],
      ['tcpSocket', deepArray],
      ['httpGet', deepObject],
    ] as const) {
      const body = `{"healthcheck": {"web": {"livenessProbe": {"${field}": ${deep}}}}}`;
      const r = await refusedWhileProbing(() => owner.call('POST', '/v2/apps/hc/config/', body));
      expect(messageOf(r)).toBe(
        'The livenessProbe nests deeper than 8 levels; a probe is a flat Kubernetes object.',
      );
    }
    // The same as JSON text, and in the legacy form without a process type.
    const text = JSON.stringify({ healthcheck: `{"readinessProbe": {"exec": {"command": ${deepArray}}}}` });
    const r = await refusedWhileProbing(() => owner.call('POST', '/v2/apps/hc/config/', text));
    expect(messageOf(r)).toBe(
      'The readinessProbe nests deeper than 8 levels; a probe is a flat Kubernetes object.',
    );
  });

  it('accepts what a probe needs, and unknown fields as Deis did, up to the nesting limit', async () => {
    const probe = {
      httpGet: { path: '/healthz', port: 5000, httpHeaders: [{ name: 'X-A', value: 'b' }] },
      extra: nested(6),
    };
    expect(
      (await owner.post('/v2/apps/hc/config/', { healthcheck: { web: { livenessProbe: probe } } })).status,
    ).toBe(201);
    await refused(
      post({ web: { readinessProbe: { extra: nested(9) } } }),
      'The readinessProbe nests deeper than 8 levels; a probe is a flat Kubernetes object.',
    );
  });

  it('refuses large probes, unknown process types and too many of them', async () => {
    const command = Array.from({ length: 2000 }, () => 'argument');
    await refused(
      post({ web: { livenessProbe: { exec: { command } } } }),
      new RegExp(
        `^The livenessProbe is \\d+ bytes of JSON; a probe can be at most ${MAX_PROBE_BYTES / 1024} KiB\\.$`,
      ),
    );
    await refused(
      post({ 'Web Server': { livenessProbe: { tcpSocket: { port: 1 } } } }),
      'Process types can only contain lowercase alphanumeric characters',
    );
    await refused(
      post({ ['x'.repeat(300)]: { livenessProbe: { tcpSocket: { port: 1 } } } }),
      'Process types can only contain lowercase alphanumeric characters',
    );
    const many = Object.fromEntries(
      Array.from({ length: MAX_PROCESS_TYPE_ENTRIES + 1 }, (_, i) => [
        `t${i}`,
        { livenessProbe: { tcpSocket: { port: 1 } } },
      ]),
    );
    await refused(
      post(many),
      `An app can have at most ${MAX_PROCESS_TYPE_ENTRIES} health checks; this would make ${MAX_PROCESS_TYPE_ENTRIES + 1}.`,
    );
  });

  it('answers any malformed health check with a 4xx and stores nothing (property)', async () => {
    const keys = ['livenessProbe', 'readinessProbe', 'web', 'web/cmd', 'exec', 'command', 'httpGet', 'port'];
    const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null), fc.boolean());
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'large', maxDepth: 14 },
        leaf,
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom(...keys, 'httpHeaders', 'tcpSocket', 'x'), tie('v'), { maxKeys: 3 }),
      ),
    })).v;
    await fc.assert(
      fc.asyncProperty(value, async (healthcheck) => {
        const before = snapshot(t.core.controller.store);
        const r = await owner.post('/v2/apps/hc/config/', { healthcheck });
        expect(r.status, `${JSON.stringify(healthcheck)} → ${r.text}`).toBeLessThan(500);
        if (r.status >= 400) expect(snapshot(t.core.controller.store)).toBe(before);
      }),
      { numRuns: 300 },
    );
  });
});

describe('config values', () => {
  it('refuses a 7 MB value, storing nothing, while /healthz keeps answering', async () => {
    const body = JSON.stringify({ values: { BIG: 'x'.repeat(7 * 1024 * 1024) } });
    // The API's body limit (413) or the value limit (400): either way before anything is stored.
    await refusedWhileProbing(() => owner.call('POST', '/v2/apps/cfg/config/', body), [400, 413]);
  });

  it('refuses a value one byte over the limit, and counts bytes, not characters', async () => {
    const over = 'x'.repeat(MAX_CONFIG_VALUE_BYTES + 1);
    await refused(
      () => owner.post('/v2/apps/cfg/config/', { values: { BIG: over } }),
      `The value of BIG is ${MAX_CONFIG_VALUE_BYTES + 1} bytes; each of an app's config values can be at most 64 KiB.`,
    );
    // "é" is two bytes in UTF-8.
    const accents = 'é'.repeat(MAX_CONFIG_VALUE_BYTES / 2 + 1);
    await refused(
      () => owner.post('/v2/apps/cfg/config/', { values: { BIG: accents } }),
      /^The value of BIG is 65538 bytes;/,
    );
    expect(
      (await owner.post('/v2/apps/cfg/config/', { values: { BIG: 'x'.repeat(MAX_CONFIG_VALUE_BYTES) } }))
        .status,
    ).toBe(201);
  });

  it('refuses 50,000 keys at once, while /healthz keeps answering', async () => {
    const values = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`K${i}`, 'v']));
    const body = JSON.stringify({ values });
    const r = await refusedWhileProbing(() => owner.call('POST', '/v2/apps/cfg/config/', body));
    expect(messageOf(r)).toBe(
      `An app can have at most ${MAX_CONFIG_VALUES} config values; this would make 50000.`,
    );
  });

  it('counts the keys already set: a change that would pass the limit is refused', async () => {
    const batch = (from: number, n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`N${from + i}`, 'v']));
    // BIG is set already: MAX - 1 more fill the app exactly.
    expect(
      (await owner.post('/v2/apps/cfg/config/', { values: batch(0, MAX_CONFIG_VALUES - 1) })).status,
    ).toBe(201);
    await refused(
      () => owner.post('/v2/apps/cfg/config/', { values: { ONE_MORE: 'v' } }),
      `An app can have at most ${MAX_CONFIG_VALUES} config values; this would make ${MAX_CONFIG_VALUES + 1}.`,
    );
    // Replacing a value and removing one still work at the limit.
    expect((await owner.post('/v2/apps/cfg/config/', { values: { N0: 'w', N1: null } })).status).toBe(201);
  });

  it('refuses keys longer than a Kubernetes Secret allows', async () => {
    const key = `K${'x'.repeat(MAX_CONFIG_KEY_LENGTH)}`;
    await refused(
      () => owner.post('/v2/apps/cfg/config/', { values: { [key]: 'v' } }),
      `Keys of config values can be at most ${MAX_CONFIG_KEY_LENGTH} characters long; ${key.slice(0, 20)}... has ${key.length}.`,
    );
  });

  it('caps the whole config at 1 MiB, counting what is already set', async () => {
    expect((await owner.post('/v2/apps/', { id: 'cfg-total' })).status).toBe(201);
    const chunk = 'y'.repeat(60 * 1024);
    const values = (from: number, n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`V${from + i}`, chunk]));
    // 20 × 60 KiB in one request: under the body limit, over the config's.
    await refused(
      () => owner.post('/v2/apps/cfg-total/config/', { values: values(0, 20) }),
      /^This change would make the app's config \d+ bytes; an app's whole config can be at most 1 MiB\.$/,
    );
    // 16 × 60 KiB fit; two more do not.
    expect((await owner.post('/v2/apps/cfg-total/config/', { values: values(0, 16) })).status).toBe(201);
    await refused(
      () => owner.post('/v2/apps/cfg-total/config/', { values: values(16, 2) }),
      /^This change would make the app's config \d+ bytes; an app's whole config can be at most 1 MiB\.$/,
    );
    // So every release stores at most MAX_CONFIG_BYTES of config.
    const stored = t.core.controller.store.db
      .prepare(
        `SELECT MAX(length("values") + length(memory) + length(cpu) + length(tags) + length(registry) + length(healthcheck)) AS n
         FROM configs JOIN apps ON apps.uuid = configs.app_uuid WHERE apps.id = 'cfg-total'`,
      )
      .get() as { n: number };
    expect(stored.n).toBeLessThanOrEqual(MAX_CONFIG_BYTES);
  });

  it('refuses deeply nested JSON in values, also as JSON text, without a 500', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    await refusedWhileProbing(() => owner.call('POST', '/v2/apps/cfg/config/', `{"values": {"A": ${deep}}}`));
    await refusedWhileProbing(() =>
      owner.call('POST', '/v2/apps/cfg/config/', JSON.stringify({ values: `{"A": ${deep}}` })),
    );
  });

  it('keeps __proto__ and constructor as plain keys, in config values and labels', async () => {
    expect((await owner.post('/v2/apps/', { id: 'proto' })).status).toBe(201);
    const body = '{"values": {"__proto__": "p", "constructor": "c"}}';
    expect((await owner.call('POST', '/v2/apps/proto/config/', body)).status).toBe(201);
    const values = ((await owner.get('/v2/apps/proto/config/')).body as { values: Record<string, string> })
      .values;
    expect([Object.hasOwn(values, '__proto__'), values.constructor]).toEqual([true, 'c']);
    expect(Object.getOwnPropertyDescriptor(values, '__proto__')?.value).toBe('p');
    const unset = '{"values": {"__proto__": null, "constructor": null}}';
    expect((await owner.call('POST', '/v2/apps/proto/config/', unset)).status).toBe(201);
    const label = await owner.call('POST', '/v2/apps/proto/settings/', '{"label": {"__proto__": "x"}}');
    expect(label.text).toContain('"label":{"__proto__":"x"}');
  });

  it('caps limits, tags and registry entries, and their values', async () => {
    const perType = (n: number, value: string) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, value]));
    await refused(
      () => owner.post('/v2/apps/cfg/config/', { memory: perType(MAX_PROCESS_TYPE_ENTRIES + 1, '512M') }),
      `An app can have at most ${MAX_PROCESS_TYPE_ENTRIES} memory limits; this would make ${MAX_PROCESS_TYPE_ENTRIES + 1}.`,
    );
    await refused(
      () => owner.post('/v2/apps/cfg/config/', { cpu: { web: `${'9'.repeat(100)}m` } }),
      /^The value of web is 101 bytes; each of an app's CPU limits can be at most 32 bytes\.$/,
    );
    await refused(
      () => owner.post('/v2/apps/cfg/config/', { tags: perType(MAX_TAGS + 1, 'x') }),
      `An app can have at most ${MAX_TAGS} tags; this would make ${MAX_TAGS + 1}.`,
    );
    await refused(
      () =>
        owner.post('/v2/apps/cfg/config/', {
          registry: Object.fromEntries(
            Array.from({ length: MAX_REGISTRY_ENTRIES + 1 }, (_, i) => [`k${i}`, 'v']),
          ),
        }),
      `An app can have at most ${MAX_REGISTRY_ENTRIES} registry settings; this would make ${MAX_REGISTRY_ENTRIES + 1}.`,
    );
  });
});

describe('app settings', () => {
  it('caps labels, their names and values, counting those already set', async () => {
    const labels = (n: number, from = 0) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${from + i}`, 'v']));
    await refused(
      () => owner.post('/v2/apps/st/settings/', { label: labels(MAX_APP_LABELS + 1) }),
      `An app can have at most ${MAX_APP_LABELS} labels; this would make ${MAX_APP_LABELS + 1}.`,
    );
    expect((await owner.post('/v2/apps/st/settings/', { label: labels(MAX_APP_LABELS) })).status).toBe(201);
    await refused(
      () => owner.post('/v2/apps/st/settings/', { label: labels(1, MAX_APP_LABELS) }),
      `An app can have at most ${MAX_APP_LABELS} labels; this would make ${MAX_APP_LABELS + 1}.`,
    );
    await refused(
      () => owner.post('/v2/apps/st/settings/', { label: { ['n'.repeat(64)]: 'v' } }),
      'Label names must be 1 to 63 characters long.',
    );
    await refused(
      () => owner.post('/v2/apps/st/settings/', { label: { l0: 'v'.repeat(257) } }),
      'The value of label l0 can be at most 256 characters long.',
    );
  });

  it('answers deeply nested booleans with a 400, not a stack overflow in the message', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    for (const [path, field] of [
      ['settings', 'maintenance'],
      ['settings', 'routable'],
      ['tls', 'https_enforced'],
    ] as const) {
      const r = await refusedWhileProbing(() =>
        owner.call('POST', `/v2/apps/st/${path}/`, `{"${field}": ${deep}}`),
      );
      expect(r.body).toEqual({ [field]: ['"[...]" is not a valid boolean.'] });
    }
  });

  it('answers deeply nested autoscale values with a 400, and refuses unknown process types', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    await refusedWhileProbing(() =>
      owner.call(
        'POST',
        '/v2/apps/st/settings/',
        `{"autoscale": {"web": {"min": ${deep}, "max": 1, "cpu_percent": 1}}}`,
      ),
    );
    await refusedWhileProbing(() =>
      owner.call('POST', '/v2/apps/st/settings/', `{"autoscale": {"web": ${deep}}}`),
    );
    await refused(
      () =>
        owner.post('/v2/apps/st/settings/', {
          autoscale: { 'no such type!': { min: 1, max: 2, cpu_percent: 50 } },
        }),
      'Process types can only contain lowercase alphanumeric characters',
    );
  });
});
