/**
 * Whitelist entries, accepted as Python's ipaddress accepts them in Deis: an address (`1.2.3.4`,
 * `::1`), a network (`10.0.0.0/8`) or an interface (`10.1.2.3/8`, host bits set). IPv4 prefixes may
 * also be written as a netmask (`/255.0.0.0`) or a hostmask (`/0.255.255.255`).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { invalid } from '../contract/errors';

const isAddress = (s: string) => isIPv4(s) || (isIPv6(s) && !s.includes('%'));

function ipv4ToInt(s: string): number {
  return s.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** True if `mask` is contiguous ones then zeros (a netmask) or zeros then ones (a hostmask). */
function isIPv4Mask(mask: string): boolean {
  if (!isIPv4(mask)) return false;
  const n = ipv4ToInt(mask);
  const inverted = 0xffffffff - n;
  const contiguous = (m: number) => ((m + 1) & m) === 0 || m === 0xffffffff;
  return contiguous(inverted) || contiguous(n);
}

export function isWhitelistAddress(entry: string): boolean {
  const slash = entry.indexOf('/');
  if (slash < 0) return isAddress(entry);
  const addr = entry.slice(0, slash);
  const prefix = entry.slice(slash + 1);
  if (isIPv4(addr)) {
    if (/^\d+$/.test(prefix)) return Number(prefix) <= 32;
    return isIPv4Mask(prefix);
  }
  if (isIPv6(addr) && !addr.includes('%')) return /^\d+$/.test(prefix) && Number(prefix) <= 128;
  return false;
}

/** Throws Deis's 400 for the first entry that is not an address, network or interface. */
export function checkAddresses(field: string, entries: readonly string[]): void {
  const bad = entries.find((e) => !isWhitelistAddress(e));
  if (bad !== undefined) throw invalid(field, `The address ${bad} is not valid`);
}
