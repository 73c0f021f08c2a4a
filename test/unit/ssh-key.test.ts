import { describe, expect, it } from 'vitest';
import { checkPublicKey, INVALID_BASE64, normalizeFingerprint } from '../../main/controller/ssh-key';
import { makeSshKey, sshKeygenMd5 } from '../support/certs';

describe('SSH public keys', () => {
  it.each(['rsa', 'ed25519', 'ecdsa'] as const)(
    'accepts %s keys with the fingerprint ssh-keygen prints',
    (type) => {
      const key = makeSshKey(type);
      const r = checkPublicKey(key);
      expect(r).toEqual({ ok: true, type: key.split(' ')[0], fingerprint: sshKeygenMd5(key) });
      if (r.ok) expect(r.fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    },
  );

  it('accepts a key without a comment, and ignores surrounding whitespace', () => {
    const [type, data] = makeSshKey('ed25519').split(' ');
    expect(checkPublicKey(`  ${type} ${data}\n`).ok).toBe(true);
  });

  it('refuses keys whose second field is missing or not base64', () => {
    expect(checkPublicKey('ssh-rsa')).toEqual({ ok: false, message: INVALID_BASE64 });
    expect(checkPublicKey('ssh-rsa AAAA$$$$ me')).toEqual({ ok: false, message: INVALID_BASE64 });
    expect(checkPublicKey('ssh-rsa AAAAB3NzaC1yc2E me')).toEqual({ ok: false, message: INVALID_BASE64 });
  });

  it('refuses key types the builder cannot use', () => {
    const r = checkPublicKey(makeSshKey('dsa'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/^Key type ssh-dss is not supported/);
  });

  it('refuses a blob that is not a key of the named type', () => {
    const [, data] = makeSshKey('ed25519').split(' ');
    expect(checkPublicKey(`ssh-rsa ${data}`)).toEqual({
      ok: false,
      message: 'Key data is not a ssh-rsa key',
    });
    const truncated = Buffer.from(data!, 'base64').subarray(0, 30).toString('base64');
    const r = checkPublicKey(`ssh-ed25519 ${truncated}`);
    expect(r.ok).toBe(false);
  });

  it('normalizes fingerprints as SSH tools print them', () => {
    expect(normalizeFingerprint(' MD5:AB:CD:EF ')).toBe('ab:cd:ef');
  });
});
