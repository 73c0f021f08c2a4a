import { describe, expect, it } from 'vitest';
import {
  checkDomain,
  coveringWildcards,
  domainLookupKey,
  hostName,
  isTopLevelWildcard,
  platformDomainKey,
  platformPlace,
  storedForms,
} from '../../main/controller/domain-name';

const ok = (raw: string) => {
  const r = checkDomain(raw);
  if (!r.ok) throw new Error(`${raw}: ${r.message}`);
  return r.domain;
};
const message = (raw: string) => {
  const r = checkDomain(raw);
  if (r.ok) throw new Error(`${raw} was accepted as ${r.domain}`);
  return r.message;
};

describe('domain names', () => {
  it('accepts ordinary hostnames, bare names and a leading wildcard', () => {
    expect(ok('www.example.com')).toBe('www.example.com');
    expect(ok('myapp')).toBe('myapp');
    expect(ok('*.example.com')).toBe('*.example.com');
    expect(ok('a-b.c-d.io')).toBe('a-b.c-d.io');
  });

  it('strips exactly one trailing dot', () => {
    expect(ok('example.com.')).toBe('example.com');
    expect(message('example.com..')).toContain('Empty Label');
  });

  it('lower-cases ASCII hostnames so one name cannot be registered twice', () => {
    expect(ok('WWW.Example.COM')).toBe('www.example.com');
  });

  it('converts Unicode labels to their IDNA A-labels', () => {
    expect(ok('bücher.example')).toBe('xn--bcher-kva.example');
    expect(ok('xn--bcher-kva.example')).toBe('xn--bcher-kva.example');
    // IDNA2008 has no upper-case letters outside ASCII.
    expect(message('Bücher.example')).toContain('Codepoint U+0042 at position 1');
  });

  it('refuses a wildcard alone, or anywhere but the first label', () => {
    expect(message('*')).toBe("Hostname can't only be a wildcard");
    expect(message('foo.*.com')).toMatch(/could not convert to ACE foo\.\*\.com: Codepoint U\+002A/);
    expect(message('*.')).toBe("Hostname can't only be a wildcard");
    expect(message('*..')).toContain('Empty Label');
  });

  it('refuses characters and hyphens IDNA does not allow', () => {
    expect(message('foo_bar.com')).toBe(
      "Hostname does not look valid, could not convert to ACE foo_bar.com: Codepoint U+005F at position 4 of 'foo_bar' not allowed",
    );
    expect(message('-foo.com')).toContain('Label must not start or end with a hyphen');
    expect(message('ab--cd.com')).toContain('disallowed hyphens in 3rd and 4th position');
    expect(message('a..b')).toContain('Empty Label');
    expect(message(`${'a'.repeat(64)}.com`)).toContain('Label too long');
  });

  it('refuses a TLD made only of digits, such as an IP address', () => {
    expect(message('1.2.3.4')).toBe('Hostname does not look valid.');
    expect(message('example.123')).toBe('Hostname does not look valid.');
    expect(ok('example.a1')).toBe('example.a1');
  });

  it('refuses names longer than 253 characters', () => {
    const long = Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.');
    expect(long.length).toBe(304);
    expect(message(long)).toBe('Hostname must be 253 characters or less.');
    const max = [...Array.from({ length: 3 }, () => 'a'.repeat(63)), 'a'.repeat(61)].join('.');
    expect(max.length).toBe(253);
    expect(ok(max)).toBe(max);
  });

  it('looks domains up by their stored form, and keeps invalid input as it is', () => {
    expect(domainLookupKey('Bücher.Example.')).toBe('xn--bcher-kva.example');
    expect(domainLookupKey('not valid_')).toBe('not valid_');
  });
});

describe('who a host name belongs to', () => {
  it('serves bare names under the platform domain, and knows both stored spellings of them', () => {
    expect(hostName('shop', 'localhost')).toBe('shop.localhost');
    expect(hostName('shop.example.com', 'localhost')).toBe('shop.example.com');
    expect(storedForms('shop.localhost', 'localhost')).toEqual(['shop.localhost', 'shop']);
    expect(storedForms('a.shop.localhost', 'localhost')).toEqual(['a.shop.localhost']);
    expect(storedForms('shop.apps.example.com', 'apps.example.com')).toEqual([
      'shop.apps.example.com',
      'shop',
    ]);
    expect(storedForms('shop.example.com', 'localhost')).toEqual(['shop.example.com']);
  });

  it('normalizes the platform domain as domains are stored', () => {
    expect(platformDomainKey('LocalHost.')).toBe('localhost');
    expect(platformDomainKey('Apps.Example.COM')).toBe('apps.example.com');
  });

  it('lists the wildcards the router would try for a name, nearest first', () => {
    expect(coveringWildcards('a.b.example.com')).toEqual(['*.b.example.com', '*.example.com', '*.com']);
    expect(coveringWildcards('*.b.example.com')).toEqual(['*.example.com', '*.com']);
    expect(coveringWildcards('localhost')).toEqual([]);
  });

  it('gives names under the platform domain to the app named just left of it', () => {
    expect(platformPlace('shop.localhost', 'localhost')).toEqual({ kind: 'app', app: 'shop' });
    expect(platformPlace('a.b.shop.localhost', 'localhost')).toEqual({ kind: 'app', app: 'shop' });
    expect(platformPlace('*.shop.localhost', 'localhost')).toEqual({ kind: 'app', app: 'shop' });
    expect(platformPlace('shop.apps.example.com', 'apps.example.com')).toEqual({ kind: 'app', app: 'shop' });
    expect(platformPlace('shop.example.com', 'localhost')).toEqual({ kind: 'outside' });
    // A name that merely ends like the platform domain is not under it.
    expect(platformPlace('shoplocalhost', 'localhost')).toEqual({ kind: 'outside' });
  });

  it('keeps the platform domain and wildcards over it for administrators', () => {
    expect(platformPlace('*.localhost', 'localhost')).toEqual({ kind: 'platform' });
    expect(platformPlace('apps.example.com', 'apps.example.com')).toEqual({ kind: 'platform' });
    expect(platformPlace('*.apps.example.com', 'apps.example.com')).toEqual({ kind: 'platform' });
    expect(platformPlace('*.example.com', 'apps.example.com')).toEqual({ kind: 'platform' });
    expect(platformPlace('*.com', 'apps.example.com')).toEqual({ kind: 'platform' });
    expect(platformPlace('*.other.com', 'apps.example.com')).toEqual({ kind: 'outside' });
  });

  it('tells wildcards over a whole top-level domain', () => {
    expect(isTopLevelWildcard('*.com')).toBe(true);
    expect(isTopLevelWildcard('*.example.com')).toBe(false);
    expect(isTopLevelWildcard('example.com')).toBe(false);
  });

  it('refuses over-long input before converting it', () => {
    expect(message('ü'.repeat(100_000))).toBe('Hostname must be 253 characters or less.');
  });
});
