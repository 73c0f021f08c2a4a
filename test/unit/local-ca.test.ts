/**
 * The local certificate authority: its root and leaves are real X.509 that OpenSSL and Node's TLS
 * accept for the app's name and refuse for any other; it is kept 0600 and reused, and a damaged one
 * stops with its file's name.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalAuthority } from '../../main/tls/authority';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-ca-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function openssl(args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync('openssl', args, { stdio: 'pipe' }).toString() };
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    return { ok: false, out: `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}` };
  }
}

/** A TLS handshake with a server that serves `leaf`, checked against `ca` for `servername`. */
async function handshake(leaf: { certificate: string; key: string }, ca: string, servername: string) {
  const server = tls.createServer({ cert: leaf.certificate, key: leaf.key }, (s) => s.end('hello'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  try {
    return await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername, ca }, () => {
        let body = '';
        socket.on('data', (c: Buffer) => (body += c.toString()));
        socket.on('end', () => resolve(body));
      });
      socket.on('error', reject);
    });
  } finally {
    server.close();
  }
}

describe('the local certificate authority', () => {
  it('issues leaves that OpenSSL and Node verify for their name only', async () => {
    const dir = tempDir();
    const ca = LocalAuthority.open(dir, 'localhost');
    const leaf = ca.leaf('myapp.localhost');
    fs.writeFileSync(path.join(dir, 'leaf.crt'), leaf.certificate);
    const ok = openssl([
      'verify',
      '-CAfile',
      ca.certificatePath,
      '-verify_hostname',
      'myapp.localhost',
      path.join(dir, 'leaf.crt'),
    ]);
    expect(ok).toMatchObject({ ok: true });
    const other = openssl([
      'verify',
      '-CAfile',
      ca.certificatePath,
      '-verify_hostname',
      'other.localhost',
      path.join(dir, 'leaf.crt'),
    ]);
    expect(other.ok).toBe(false);
    expect(await handshake(leaf, ca.certificate, 'myapp.localhost')).toBe('hello');
    await expect(handshake(leaf, ca.certificate, 'other.localhost')).rejects.toThrow(
      /does not match|altnames/i,
    );
    // Some other root does not vouch for it.
    const stranger = LocalAuthority.open(tempDir(), 'localhost');
    await expect(handshake(leaf, stranger.certificate, 'myapp.localhost')).rejects.toThrow(
      /self.signed|unable to (get|verify)/i,
    );
  });

  it('is name-constrained to the platform domain and vouches for nothing else', () => {
    const ca = LocalAuthority.open(tempDir(), 'localhost');
    const text = openssl(['x509', '-in', ca.certificatePath, '-noout', '-text']).out;
    expect(text).toMatch(
      /Name Constraints: critical\s+Permitted:\s+DNS:localhost\s+IP:127\.0\.0\.0\/255\.0\.0\.0/,
    );
    expect(text).toMatch(/CA:TRUE, pathlen:0/);
    expect(() => ca.leaf('example.com')).toThrow(
      'The local certificate authority does not vouch for example.com.',
    );
    expect(() => ca.leaf('localhost.example.com')).toThrow(/does not vouch/);
  });

  it('keeps its root 0600 in DEIS_HOME and reuses it; another platform domain gets a new one', () => {
    const dir = tempDir();
    const first = LocalAuthority.open(dir, 'localhost');
    for (const f of ['ca.crt', 'ca.key']) expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    expect(LocalAuthority.open(dir, 'localhost').fingerprint).toBe(first.fingerprint);
    const moved = LocalAuthority.open(dir, 'test.example');
    expect(moved.fingerprint).not.toBe(first.fingerprint);
    expect(moved.covers('app.test.example')).toBe(true);
    // The root the user may have trusted is kept, not overwritten.
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('ca-')).length).toBe(2);
  });

  it('stops with the file named when the root is damaged, replacing nothing', () => {
    const dir = tempDir();
    LocalAuthority.open(dir, 'localhost');
    fs.writeFileSync(path.join(dir, 'ca.key'), 'garbage');
    expect(() => LocalAuthority.open(dir, 'localhost')).toThrow(
      new RegExp(`The local certificate authority in ${dir} cannot be read .*move ca.crt and ca.key away`),
    );
    expect(fs.readFileSync(path.join(dir, 'ca.key'), 'utf8')).toBe('garbage');
  });

  it('issues a leaf once per host and again when it nears its end', () => {
    const ca = LocalAuthority.open(tempDir(), 'localhost');
    const now = new Date();
    const a = ca.leaf('a.localhost', now);
    expect(ca.leaf('A.localhost', now)).toBe(a);
    const later = new Date(a.notAfter.getTime() - 10 * 24 * 3600_000);
    expect(ca.leaf('a.localhost', later).certificate).not.toBe(a.certificate);
  });
});
