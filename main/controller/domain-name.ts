/**
 * Hostname rules for app domains, as Deis's DomainSerializer applies them: one trailing dot stripped,
 * `*` alone refused, a leading `*.` wildcard allowed, every label converted to its IDNA A-label, a TLD
 * that is not all digits, at most 253 characters. We also lower-case ASCII labels, because hostnames
 * are case-insensitive and `Foo.com` next to `foo.com` could only confuse the router.
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { MAX_DOMAIN_INPUT_LENGTH } from '../contract/limits';

export type DomainCheck = { ok: true; domain: string } | { ok: false; message: string };

class LabelError extends Error {}

const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

function checkHyphens(label: string): void {
  if (label.slice(2, 4) === '--')
    throw new LabelError('Label has disallowed hyphens in 3rd and 4th position');
  if (label.startsWith('-') || label.endsWith('-'))
    throw new LabelError('Label must not start or end with a hyphen');
}

/**
 * IDNA2008 allows lower-case letters, digits, combining marks and hyphens (roughly its PVALID set);
 * this approximates it with Unicode categories, which is what matters for hostnames people type.
 */
const VALID_CODEPOINT = /^[\p{Ll}\p{Lo}\p{Lm}\p{Mn}\p{Mc}\p{Nd}-]$/u;

function checkCodepoints(label: string): void {
  if (label.normalize('NFC') !== label) throw new LabelError(`Label must be in Normalization Form C`);
  if (/^\p{M}/u.test(label)) throw new LabelError('Label begins with an illegal combining character');
  let pos = 0;
  for (const ch of label) {
    pos++;
    const asciiOk = /^[a-z0-9-]$/.test(ch);
    const ok = ch.charCodeAt(0) < 0x80 ? asciiOk : VALID_CODEPOINT.test(ch) && ch.toLowerCase() === ch;
    if (!ok)
      throw new LabelError(
        `Codepoint ${hex(ch.codePointAt(0)!)} at position ${pos} of '${label}' not allowed`,
      );
  }
}

/** One label → its A-label (ASCII, `xn--` for Unicode), or a LabelError saying why not. */
function toALabel(label: string): string {
  if (label.length === 0) throw new LabelError('Empty Label');
  if (!/[^\x00-\x7f]/.test(label)) {
    const lower = label.toLowerCase();
    if (lower.length > 63) throw new LabelError('Label too long');
    if (lower.startsWith('xn--')) {
      if (lower.length === 4) throw new LabelError('Malformed A-label, no Punycode eligible content found');
      if (lower.endsWith('-')) throw new LabelError('A-label must not end with a hyphen');
      const unicode = domainToUnicode(lower);
      if (!unicode || unicode === lower) throw new LabelError('Invalid A-label');
      checkHyphens(unicode);
      checkCodepoints(unicode);
      return lower;
    }
    checkHyphens(lower);
    checkCodepoints(lower);
    return lower;
  }
  checkHyphens(label);
  checkCodepoints(label);
  const ace = domainToASCII(label);
  if (!ace.startsWith('xn--')) throw new LabelError('Invalid label');
  if (ace.length > 63) throw new LabelError('Label too long');
  return ace;
}

/** Checks a requested domain and returns the form to store (ASCII, lower-case). */
export function checkDomain(raw: string): DomainCheck {
  // Checked first, so IDNA never sees a long input (an A-label is never shorter than its U-label).
  if (raw.length > MAX_DOMAIN_INPUT_LENGTH)
    return { ok: false, message: 'Hostname must be 253 characters or less.' };
  const value = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (value === '*') return { ok: false, message: "Hostname can't only be a wildcard" };
  const labels = value.split('.');
  const wildcard = labels[0] === '*';
  if (wildcard) labels.shift();
  let ace: string[];
  try {
    ace = labels.map(toALabel);
  } catch (err) {
    if (!(err instanceof LabelError)) throw err;
    return {
      ok: false,
      message: `Hostname does not look valid, could not convert to ACE ${value}: ${err.message}`,
    };
  }
  if (/^\d+$/.test(ace[ace.length - 1]!)) return { ok: false, message: 'Hostname does not look valid.' };
  const domain = (wildcard ? ['*', ...ace] : ace).join('.');
  if (domain.length > 253) return { ok: false, message: 'Hostname must be 253 characters or less.' };
  return { ok: true, domain };
}

/** The stored form to look a domain up by (URLs may carry Unicode or upper case); raw if invalid. */
export function domainLookupKey(raw: string): string {
  const checked = checkDomain(raw.toLowerCase());
  return checked.ok ? checked.domain : raw;
}

/** The platform domain (DEIS_PLATFORM_DOMAIN) in the form domains are stored in. */
export function platformDomainKey(raw: string): string {
  const checked = checkDomain(raw.toLowerCase());
  return checked.ok ? checked.domain : raw.toLowerCase().replace(/\.$/, '');
}

/**
 * The host name the router serves a stored domain at: a bare name (the app id, or any name
 * without a dot) is `<name>.<platform domain>`, anything else is served as stored.
 */
export const hostName = (stored: string, platformDomain: string): string =>
  stored.includes('.') ? stored : `${stored}.${platformDomain}`;

/** The stored spellings of a host name: itself and, for `<name>.<platform domain>`, the bare name. */
export function storedForms(host: string, platformDomain: string): string[] {
  const suffix = `.${platformDomain}`;
  if (!host.endsWith(suffix)) return [host];
  const rest = host.slice(0, -suffix.length);
  return rest.includes('.') ? [host] : [host, rest];
}

/**
 * The wildcards that would catch `name` in the router (for a wildcard name, those that contain
 * it), nearest first: `a.b.example.com` → `*.b.example.com`, `*.example.com`, `*.com`.
 */
export function coveringWildcards(name: string): string[] {
  const labels = name.split('.');
  const out: string[] = [];
  for (let i = 1; i < labels.length; i++) {
    const wildcard = `*.${labels.slice(i).join('.')}`;
    if (wildcard !== name) out.push(wildcard);
  }
  return out;
}

/**
 * Where a host name stands relative to the platform domain, which decides who may claim it:
 * - `platform`: the platform domain itself, or a wildcard covering all of it (`*.localhost`, or
 *   `*.example.com` for `apps.example.com`): only administrators;
 * - `app`: a name at or under `<app>.<platform domain>`: it belongs to the app of that name,
 *   whether or not that app exists yet;
 * - `outside`: any other name.
 */
export type PlatformPlace = { kind: 'platform' } | { kind: 'app'; app: string } | { kind: 'outside' };

export function platformPlace(host: string, platformDomain: string): PlatformPlace {
  if (host === platformDomain) return { kind: 'platform' };
  if (host.startsWith('*.')) {
    const covered = host.slice(2);
    if (covered === platformDomain || platformDomain.endsWith(`.${covered}`)) return { kind: 'platform' };
  }
  const suffix = `.${platformDomain}`;
  if (!host.endsWith(suffix)) return { kind: 'outside' };
  const labels = host.slice(0, -suffix.length).split('.');
  return { kind: 'app', app: labels[labels.length - 1]! };
}

/** A wildcard for a whole top-level domain (`*.com`, `*.test`), which covers everyone's names. */
export const isTopLevelWildcard = (name: string): boolean =>
  name.startsWith('*.') && !name.slice(2).includes('.');
