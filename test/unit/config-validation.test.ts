import { describe, expect, it } from 'vitest';
import { SetConfigRequest } from '../../main/contract/config';
import { parseBody } from '../../main/api/validate';
import { DeisError } from '../../main/contract/errors';
import { jsonForMessage, nestedDeeperThan, utf8Length } from '../../main/contract/fields';
import { MAX_CONFIG_KEY_LENGTH, MAX_CONFIG_VALUES } from '../../main/contract/limits';

/** The DRF field errors a config POST body gets, or the parsed change. */
function errors(body: unknown): Record<string, string[]> {
  try {
    parseBody(SetConfigRequest, body);
  } catch (err) {
    if (err instanceof DeisError && err.code === 'validation') return err.fields ?? {};
    throw err;
  }
  return {};
}
const parse = (body: unknown) => parseBody(SetConfigRequest, body);

const KEY_MESSAGE = 'Config keys must start with a letter or underscore and only contain [A-z0-9_]';

describe('config values', () => {
  it('accepts keys that start with a letter or underscore, in any case', () => {
    expect(parse({ values: { FOO: 'bar', _x1: 'y', lower_Case9: 'z' } }).values).toEqual({
      FOO: 'bar',
      _x1: 'y',
      lower_Case9: 'z',
    });
  });

  it.each(['1FOO', 'FOO-BAR', 'FOO.BAR', '', 'FOO BAR'])('rejects the key %j', (key) => {
    expect(errors({ values: { [key]: 'x' } })).toEqual({ values: [KEY_MESSAGE] });
  });

  it('stringifies numbers and booleans the way Python does, and keeps null as a removal', () => {
    expect(parse({ values: { A: 5, B: true, C: false, D: 1.5, E: null } }).values).toEqual({
      A: '5',
      B: 'True',
      C: 'False',
      D: '1.5',
      E: null,
    });
  });

  it('rejects lists and dictionaries as values', () => {
    expect(errors({ values: { A: [1] } }).values).toHaveLength(1);
    expect(errors({ values: { A: { b: 1 } } }).values).toHaveLength(1);
  });

  it('checks PORT is a number between 1 and 65535', () => {
    expect(parse({ values: { PORT: '5000' } }).values).toEqual({ PORT: '5000' });
    expect(parse({ values: { PORT: 65535 } }).values).toEqual({ PORT: '65535' });
    expect(errors({ values: { PORT: 'http' } })).toEqual({ values: ['PORT can only be a numeric value'] });
    expect(errors({ values: { PORT: '-1' } })).toEqual({ values: ['PORT can only be a numeric value'] });
    expect(errors({ values: { PORT: '0' } })).toEqual({ values: ['PORT needs to be between 1 and 65535'] });
    expect(errors({ values: { PORT: 65536 } })).toEqual({ values: ['PORT needs to be between 1 and 65535'] });
  });

  it('allows only a path in HEALTHCHECK_URL', () => {
    expect(parse({ values: { HEALTHCHECK_URL: '/healthz' } }).values).toEqual({
      HEALTHCHECK_URL: '/healthz',
    });
    const noPath =
      'HEALTHCHECK_URL is missing a URI path (such as /healthz). Without it no health check can be done';
    const onlyPath =
      'HEALTHCHECK_URL can only be a URI path (such as /healthz) that does not contain other things such as query params';
    expect(errors({ values: { HEALTHCHECK_URL: 'http://example.com' } })).toEqual({ values: [noPath] });
    expect(errors({ values: { HEALTHCHECK_URL: '?a=1' } })).toEqual({ values: [noPath] });
    expect(errors({ values: { HEALTHCHECK_URL: '/health?verbose=1' } })).toEqual({ values: [onlyPath] });
    expect(errors({ values: { HEALTHCHECK_URL: '/health#top' } })).toEqual({ values: [onlyPath] });
    expect(errors({ values: { HEALTHCHECK_URL: '//host/health' } })).toEqual({ values: [onlyPath] });
  });

  it('requires the other HEALTHCHECK_* values to be numeric', () => {
    expect(parse({ values: { HEALTHCHECK_TIMEOUT: 10 } }).values).toEqual({ HEALTHCHECK_TIMEOUT: '10' });
    expect(errors({ values: { HEALTHCHECK_TIMEOUT: '10s' } })).toEqual({
      values: ['HEALTHCHECK_TIMEOUT can only be a numeric value'],
    });
  });

  it('does not check a key that is being removed', () => {
    expect(parse({ values: { PORT: null } }).values).toEqual({ PORT: null });
  });

  it('accepts values as JSON text, like Deis, and answers DRF messages for other shapes', () => {
    expect(parse({ values: '{"A":"1"}' }).values).toEqual({ A: '1' });
    expect(errors({ values: 'nope' })).toEqual({ values: ['Value must be valid JSON.'] });
    expect(errors({ values: null })).toEqual({ values: ['This field may not be null.'] });
    expect(errors({ values: ['A'] })).toEqual({
      values: ['Expected a dictionary of items but got type "list".'],
    });
  });

  it('reports every bad field at once, one message each', () => {
    expect(errors({ values: { '1A': 'x' }, memory: { web: 'lots' }, cpu: { web: 'many' } })).toEqual({
      values: [KEY_MESSAGE],
      memory: [
        'Memory limit format: <number><unit> or <number><unit>/<number><unit>, where unit = B, K, M or G',
      ],
      cpu: ['CPU limit format: <value> or <value>/<value>, where value must be a numeric'],
    });
  });
});

describe('memory and cpu limits', () => {
  it.each(['512M', '1G', '1g', '256MB', '2KB', '0', '512M/1G', '100B'])('accepts memory %s', (v) => {
    expect(parse({ memory: { web: v } }).memory).toEqual({ web: v });
  });
  it.each(['512', '1T', '1.5G', '512M/', '/1G', 'M', '0/0'])('rejects memory %s', (v) => {
    expect(errors({ memory: { web: v } }).memory).toHaveLength(1);
  });
  it.each(['500m', '1', '0.5', '2/4', '250m/1', '+1', '.5'])('accepts cpu %s', (v) => {
    expect(parse({ cpu: { web: v } }).cpu).toEqual({ web: v });
  });
  it.each(['1M', 'abc', '1/', '500mm', '1.'])('rejects cpu %s', (v) => {
    expect(errors({ cpu: { web: v } }).cpu).toEqual([
      'CPU limit format: <value> or <value>/<value>, where value must be a numeric',
    ]);
  });
  it('takes a cpu number and stringifies it', () => {
    expect(parse({ cpu: { web: 2 } }).cpu).toEqual({ web: '2' });
  });
  it('requires process types to be lowercase alphanumeric words', () => {
    expect(parse({ memory: { 'worker-2': '1G' } }).memory).toEqual({ 'worker-2': '1G' });
    for (const type of ['Web', 'web_1', '-web', 'web-', 'web/cmd'])
      expect(errors({ memory: { [type]: '1G' } })).toEqual({
        memory: ['Process types can only contain lowercase alphanumeric characters'],
      });
  });
});

describe('tags', () => {
  it('accepts label-shaped keys and values, an optional DNS prefix and an empty value', () => {
    expect(parse({ tags: { disk: 'ssd', 'example.com/zone': 'us-1', gpu: '' } }).tags).toEqual({
      disk: 'ssd',
      'example.com/zone': 'us-1',
      gpu: '',
    });
  });
  it('rejects bad names, prefixes and values with Deis messages', () => {
    expect(errors({ tags: { '-disk': 'ssd' } })).toEqual({
      tags: ['Tag keys must be alphanumeric or "-_.", and 1-63 characters.'],
    });
    expect(errors({ tags: { ['a'.repeat(64)]: 'x' } }).tags).toHaveLength(1);
    expect(errors({ tags: { '_bad/zone': 'x' } })).toEqual({
      tags: ['Tag key prefixes must be DNS subdomains.'],
    });
    expect(errors({ tags: { disk: 'ss d' } })).toEqual({
      tags: ['Tag values must be alphanumeric or "-_.", and 1-63 characters.'],
    });
  });
});

describe('registry', () => {
  it('lower-cases keys and checks them like config keys', () => {
    expect(parse({ registry: { Username: 'u', PASSWORD: 'p' } }).registry).toEqual({
      username: 'u',
      password: 'p',
    });
    expect(errors({ registry: { 'user-name': 'u' } })).toEqual({ registry: [KEY_MESSAGE] });
  });
});

describe('config limits', () => {
  it('counts entries before looking at any of them', () => {
    const values = Object.fromEntries(
      Array.from({ length: MAX_CONFIG_VALUES + 1 }, (_, i) => [`${i}bad key`, 'x']),
    );
    expect(errors({ values })).toEqual({
      values: [
        `An app can have at most ${MAX_CONFIG_VALUES} config values; this would make ${MAX_CONFIG_VALUES + 1}.`,
      ],
    });
  });

  it('bounds keys and values before their own rules, so no rule sees a huge input', () => {
    const key = `A${'x'.repeat(MAX_CONFIG_KEY_LENGTH)}`;
    expect(errors({ values: { [key]: null } }).values?.[0]).toMatch(
      /^Keys of config values can be at most 253/,
    );
    expect(errors({ registry: { password: 'p'.repeat(8 * 1024 + 1) } })).toEqual({
      registry: [
        "The value of password is 8193 bytes; each of an app's registry settings can be at most 8 KiB.",
      ],
    });
  });
});

describe('the helpers the limits use', () => {
  it('measures UTF-8 bytes without encoding', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a😀é€', '\ud800'])
      expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'));
  });

  it('measures nesting without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(nestedDeeperThan(deep, 8)).toBe(true);
    expect(nestedDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: [{ b: {} }] }, 3)).toBe(true);
    expect(nestedDeeperThan('text', 0)).toBe(false);
    expect(jsonForMessage(deep)).toBe('[...]');
    expect(jsonForMessage('x'.repeat(500))).toHaveLength(203);
  });
});
