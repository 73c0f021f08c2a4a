/**
 * Host keys checked as OpenSSH checks them: against the user's `~/.ssh/known_hosts`, the system's
 * `/etc/ssh/ssh_known_hosts` and our own file in DEIS_HOME. Plain and hashed (`|1|salt|hash`) names,
 * `[host]:port`, `*`/`?` patterns and `!` negation are understood; `@revoked` keys are refused and
 * `@cert-authority` lines are skipped (we do not do host certificates). A key the user accepts is
 * appended to our own file only: the user's files are never written.
 */
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SSH_KNOWN_HOSTS_MAX_BYTES } from '../../main/contract/limits';
import { knownHostsName } from './address';
import { SshError, type PresentedHostKey } from './errors';

export type HostKeyVerdict =
  | { state: 'known'; file: string }
  | { state: 'unknown'; otherTypes: string[] }
  | { state: 'changed'; file: string; line: number; knownFingerprint: string }
  | { state: 'revoked'; file: string; line: number };

/** The type inside a key blob (its first SSH string). */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

/** `SHA256:<base64 without padding>`, as `ssh` prints it. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

export function presented(host: string, port: number, blob: Buffer): PresentedHostKey {
  return {
    name: knownHostsName(host, port),
    type: keyType(blob),
    fingerprint: fingerprint(blob),
    key: blob.toString('base64'),
  };
}

/** Our own known_hosts file in DEIS_HOME: the only one a key the user accepts is written to. */
export function ourKnownHosts(home: string): string {
  return path.join(home, 'ssh', 'known_hosts');
}

/** The user's and the system's files, and ours (which we may append to), in the order they are read. */
export function knownHostsFiles(home: string, ours?: string): string[] {
  return [path.join(home, '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts', ...(ours ? [ours] : [])];
}

/** A whole known_hosts file, bounded; empty when it does not exist. */
function readFile(file: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return '';
    throw new SshError(
      'bad_identity',
      `Cannot read the known hosts file ${file} (${code}); fix its permissions.`,
    );
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size > SSH_KNOWN_HOSTS_MAX_BYTES)
      throw new SshError(
        'bad_identity',
        `The known hosts file ${file} is ${size} bytes, more than the ${SSH_KNOWN_HOSTS_MAX_BYTES} such a file needs; check that it is the right file.`,
      );
    const buf = Buffer.alloc(size);
    const read = size ? fs.readSync(fd, buf, 0, size, 0) : 0;
    return buf.subarray(0, read).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

function wildcard(pattern: string, name: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
    'i',
  );
  return re.test(name);
}

/** Whether a line's host field names `name` (`host` or `[host]:port`). */
export function hostMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (!wildcard(pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** The verdict on `blob` presented by host:port, from every file in `files`. */
export function checkHostKey(files: string[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const type = keyType(blob);
  const key = blob.toString('base64');
  let changed: HostKeyVerdict | undefined;
  let known: HostKeyVerdict | undefined;
  const otherTypes = new Set<string>();
  for (const file of files) {
    const lines = readFile(file).split('\n');
    for (let i = 0; i < lines.length; i++) {
      const fields = lines[i]!.trim().split(/\s+/);
      if (!fields[0] || fields[0].startsWith('#')) continue;
      const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
      const [hosts, lineType, lineKey] = fields;
      if (!hosts || !lineType || !lineKey || marker === '@cert-authority') continue;
      if (!hostMatches(hosts, name)) continue;
      if (marker === '@revoked') {
        if (lineKey === key) return { state: 'revoked', file, line: i + 1 };
        continue;
      }
      if (lineType !== type) otherTypes.add(lineType);
      else if (lineKey === key) known ??= { state: 'known', file };
      else
        changed ??= {
          state: 'changed',
          file,
          line: i + 1,
          knownFingerprint: fingerprint(Buffer.from(lineKey, 'base64')),
        };
    }
  }
  // As OpenSSH: a matching line wins over a stale one of the same type elsewhere.
  return known ?? changed ?? { state: 'unknown', otherTypes: [...otherTypes] };
}

/** The key types known for host:port, so the connection asks the host for one of those first (as OpenSSH does). */
export function knownTypes(files: string[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = new Set<string>();
  for (const file of files)
    for (const line of readFile(file).split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (!fields[0] || fields[0].startsWith('#') || fields[0].startsWith('@')) continue;
      if (fields[1] && hostMatches(fields[0], name)) types.add(fields[1]);
    }
  return [...types];
}

/**
 * Records a key the user accepted in our own known_hosts (`ours`, made 0600 in a 0700 folder), after
 * checking it again against every file: only an unknown key can be accepted this way. A changed or
 * revoked one is refused, naming the line to look at; the user's own files are never written.
 */
export function trustHostKey(files: string[], ours: string, key: PresentedHostKey): void {
  if (!/^[a-z0-9@.-]+$/i.test(key.type) || !/^[A-Za-z0-9+/=]+$/.test(key.key) || /\s/.test(key.name))
    throw new SshError('bad_identity', 'That host key cannot be recorded: it is not a key ssh printed.');
  const m = /^\[(.+)\]:(\d+)$/.exec(key.name);
  const [host, port] = m ? [m[1]!, Number(m[2])] : [key.name, 22];
  const blob = Buffer.from(key.key, 'base64');
  if (keyType(blob) !== key.type)
    throw new SshError('bad_identity', `That host key is not a ${key.type} key: it cannot be recorded.`);
  const verdict = checkHostKey([...files, ours], host, port, blob);
  if (verdict.state === 'known') return;
  if (verdict.state !== 'unknown')
    throw new SshError(
      verdict.state === 'changed' ? 'host_key_changed' : 'host_key_revoked',
      `The host key of ${key.name} is not accepted: ${verdict.file} line ${verdict.line} ${verdict.state === 'changed' ? 'holds another key for it' : 'revokes it'}; if you know why it changed, edit that line yourself.`,
    );
  fs.mkdirSync(path.dirname(ours), { recursive: true, mode: 0o700 });
  fs.appendFileSync(ours, `${key.name} ${key.type} ${key.key}\n`, { mode: 0o600 });
}
