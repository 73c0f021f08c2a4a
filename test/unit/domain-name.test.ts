import { describe, expect, it } from 'vitest';
import { checkDomain, domainLookupKey } from '../../main/controller/domain-name';

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
