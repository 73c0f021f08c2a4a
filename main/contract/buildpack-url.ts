/**
 * BUILDPACK_URL, `<git url>[#<ref>]`: which values may be set, and how to show one without its
 * credentials. The buildpack is fetched inside the build container (never on the host), so whatever
 * a URL resolves to it cannot reach the host's files, loopback or keys; these rules refuse up front,
 * with a sentence, what could only be a mistake or an attempt: local paths, `file://`, `ext::` and other
 * transports, loopback and unspecified hosts, and refs that git could read as options.
 */
import { BUILDPACK_URL_MAX } from './limits';

export type BuildpackTransport = 'https' | 'http' | 'git' | 'ssh';

export interface BuildpackSource {
  /** The git URL to clone, as given (credentials included). */
  repo: string;
  /** The branch, tag or commit after `#`, if any. */
  ref: string | undefined;
  transport: BuildpackTransport;
  /** The whole value with any credentials replaced by `***`: the only form to log or show. */
  masked: string;
  /** Strings to replace by `***` in any output (a URL's credentials, raw and decoded). */
  secrets: string[];
}

export const BUILDPACK_URL_EXAMPLE = 'https://github.com/heroku/heroku-buildpack-python.git#v250';

const SHAPE_MESSAGE = `BUILDPACK_URL must be a git URL starting with https://, http://, git:// or ssh:// (or git@host:path), optionally followed by #<branch, tag or commit>, such as ${BUILDPACK_URL_EXAMPLE}`;

/** Host names that name this machine (or, in Docker Desktop, the host from a container). */
const LOCAL_NAMES =
  /^(localhost|localhost\.localdomain|ip6-localhost|ip6-loopback)$|\.localhost$|(^|\.)docker\.internal$/;

function ipv4(host: string): number[] | undefined {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p))) return undefined;
  const n = parts.map(Number);
  return n.every((x) => x <= 255) ? n : undefined;
}

/** The 8 groups of an IPv6 address (an embedded IPv4 tail included), or undefined. */
function ipv6(text: string): number[] | undefined {
  let s = text.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipv4(tail);
    if (!v4) return undefined;
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
    s = `${s.slice(0, lastColon + 1)}${hex(v4[0]!, v4[1]!)}:${hex(v4[2]!, v4[3]!)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [
    ...head.map((g) => parseInt(g, 16)),
    ...Array<number>(missing).fill(0),
    ...rest.map((g) => parseInt(g, 16)),
  ];
}

const isLocalV4 = (a: number[]) => a[0] === 127 || a[0] === 0;

function isLocalV6(g: number[]): boolean {
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(8)) return true; // ::
  if (zeros(7) && g[7] === 1) return true; // ::1
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) forms of a local IPv4 address.
  const v4 = [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255];
  if (zeros(5) && (g[5] === 0xffff || g[5] === 0) && isLocalV4(v4)) return true;
  return false;
}

/** What is wrong with a host of a BUILDPACK_URL, or undefined. */
function hostProblem(raw: string): string | undefined {
  if (raw.startsWith('[') && raw.endsWith(']')) {
    const groups = ipv6(raw.slice(1, -1));
    if (!groups) return `BUILDPACK_URL has an invalid IPv6 address ${raw}.`;
    if (isLocalV6(groups))
      return `BUILDPACK_URL may not point at this machine (${raw}); give the address of the git server that holds the buildpack.`;
    return undefined;
  }
  const host = raw.toLowerCase().replace(/\.$/, '');
  const v4 = ipv4(host);
  if (v4) {
    if (isLocalV4(v4))
      return `BUILDPACK_URL may not point at this machine (${raw}); give the address of the git server that holds the buildpack.`;
    return undefined;
  }
  const labels = host.split('.');
  if (host.length > 253 || !labels.every((l) => /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/.test(l)))
    return `BUILDPACK_URL has an invalid host name "${raw}".`;
  // A last label that starts with a digit is a number some resolvers read as an address (127.1, 2130706433).
  if (!/^[a-z]/.test(labels[labels.length - 1]!))
    return `BUILDPACK_URL has a host "${raw}" that is neither a host name nor a dotted IPv4 address.`;
  if (LOCAL_NAMES.test(host))
    return `BUILDPACK_URL may not point at this machine (${raw}); give the address of the git server that holds the buildpack.`;
  return undefined;
}

/** What is wrong with a ref after `#`, or undefined. Refs are plain names: never an option, never a path trick. */
function refProblem(ref: string): string | undefined {
  const bad = `The ref after # in BUILDPACK_URL must be a branch, tag or commit name (letters, digits, ".", "_", "-" and "/"), not "${ref}".`;
  if (ref === '' || ref.length > 255) return bad;
  if (!/^[A-Za-z0-9._/-]+$/.test(ref)) return bad;
  if (/^[-./]|\/$|\.$|\.\.|\/\/|\/\.|\.lock$|\.lock\//.test(ref)) return bad;
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Parses a BUILDPACK_URL value; a string is the problem, one sentence to show the user. */
export function parseBuildpackUrl(value: string): BuildpackSource | string {
  if (value.length > BUILDPACK_URL_MAX)
    return `BUILDPACK_URL may have at most ${BUILDPACK_URL_MAX} characters.`;

  if (/[\s\x00-\x1f\x7f\\]/.test(value)) return SHAPE_MESSAGE;
  const hash = value.indexOf('#');
  const repo = hash < 0 ? value : value.slice(0, hash);
  const ref = hash < 0 ? undefined : value.slice(hash + 1);
  if (ref !== undefined) {
    const problem = refProblem(ref);
    if (problem) return problem;
  }

  let transport: BuildpackTransport;
  let userinfo = '';
  let host: string;
  let pathPart: string;
  const url = /^([a-z][a-z0-9+.-]*):\/\/([^/?]*)(.*)$/i.exec(repo);
  const scp = /^([A-Za-z0-9._-]+)@([^:/[\]@]+|\[[0-9A-Fa-f:.%]+\]):(.*)$/.exec(repo);
  if (url) {
    const scheme = url[1]!.toLowerCase();
    if (scheme !== 'https' && scheme !== 'http' && scheme !== 'git' && scheme !== 'ssh') return SHAPE_MESSAGE;
    transport = scheme;
    let authority = url[2]!;
    pathPart = url[3]!;
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      userinfo = authority.slice(0, at);
      authority = authority.slice(at + 1);
    }
    const port = /^(.*?)(?::(\d*))?$/.exec(authority)!;
    host = authority.startsWith('[')
      ? authority.slice(0, authority.indexOf(']') + 1)
      : (port[1] ?? authority);
    const portText = authority.slice(host.length);
    if (portText !== '') {
      const m = /^:(\d{1,5})$/.exec(portText);
      if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535)
        return `BUILDPACK_URL has an invalid port in "${authority}".`;
    }
    if (!pathPart.startsWith('/') || pathPart === '/') return SHAPE_MESSAGE;
  } else if (scp) {
    // git@host:path, as GitHub shows SSH URLs: fetched over SSH.
    transport = 'ssh';
    userinfo = scp[1]!;
    host = scp[2]!;
    pathPart = scp[3]!;
    if (pathPart === '' || pathPart.startsWith('-')) return SHAPE_MESSAGE;
  } else {
    return SHAPE_MESSAGE;
  }
  if (host === '' || host.startsWith('-')) return SHAPE_MESSAGE;
  const problem = hostProblem(host);
  if (problem) return problem;

  // Credentials: all of http(s)/git userinfo (a token may be the "user"); for ssh only a password.
  const secrets: string[] = [];
  let shownUser = userinfo;
  if (userinfo) {
    const colon = userinfo.indexOf(':');
    const secret = transport === 'ssh' ? (colon >= 0 ? userinfo.slice(colon + 1) : '') : userinfo;
    if (secret) {
      shownUser = transport === 'ssh' ? `${userinfo.slice(0, colon)}:***` : '***';
      const parts = [secret, ...secret.split(':')];
      for (const s of parts) for (const v of [s, safeDecode(s)]) if (v.length >= 3) secrets.push(v);
    }
  }
  const shownRepo = userinfo ? repo.replace(`${userinfo}@`, `${shownUser}@`) : repo;
  const masked = ref === undefined ? shownRepo : `${shownRepo}#${ref}`;
  // Longest first, so a whole secret is replaced before any part of it.
  secrets.sort((a, b) => b.length - a.length);
  return { repo, ref, transport, masked, secrets: [...new Set(secrets)] };
}

/** The problem with a BUILDPACK_URL value, or undefined when it may be set. */
export function buildpackUrlProblem(value: string): string | undefined {
  const parsed = parseBuildpackUrl(value);
  return typeof parsed === 'string' ? parsed : undefined;
}

/** Replaces every secret in `text` by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}
