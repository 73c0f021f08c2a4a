/** An `ssh://user@host[:port]` address as the docker CLI and our targets take it, parsed and checked. */
import { SSH_URL_MAX_CHARS } from '../../main/contract/limits';
import { SshError } from './errors';

export interface SshAddress {
  user: string;
  host: string;
  port: number;
}

/** A DNS name or an IPv4/IPv6 literal: nothing that could be read as an option or a path. */
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))*\.?|\[[0-9a-f:.]+\])$/i;
const USER = /^[a-z_][a-z0-9._-]{0,31}$/i;

/** Parses `ssh://user@host[:port]`; throws SshError `bad_address` with the one thing to fix. */
export function parseSshUrl(raw: string, what = 'The SSH address'): SshAddress {
  const text = raw.trim();
  // Never repeat a password someone put in the address.
  const shown = text.slice(0, 80).replace(/^(ssh:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
  const refuse = (why: string) =>
    new SshError('bad_address', `${what} "${shown}" ${why}; write it as ssh://user@host[:port].`);
  if (text.length > SSH_URL_MAX_CHARS) throw refuse(`is longer than ${SSH_URL_MAX_CHARS} characters`);
  if (!text.startsWith('ssh://')) throw refuse('is not an ssh:// address');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse('cannot be read');
  }
  if (url.password) throw refuse('holds a password (use a key or the SSH agent)');
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash)
    throw refuse('has a path or query after the host');
  const user = decodeURIComponent(url.username);
  if (!user) throw refuse('names no user');
  if (!USER.test(user)) throw refuse('names a user that is not a login name');
  if (!HOST.test(url.hostname)) throw refuse('names no valid host');
  const port = url.port ? Number(url.port) : 22;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw refuse('has no valid port');
  return { user, host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/** `user@host:port` (the port only when it is not 22), for messages. */
export function showAddress(a: SshAddress): string {
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${a.user}@${host}${a.port === 22 ? '' : `:${a.port}`}`;
}

/** How known_hosts names the host: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}
