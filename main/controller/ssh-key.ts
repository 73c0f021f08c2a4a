/**
 * SSH public keys as users paste them (`<type> <base64> [comment]`): the checks Deis made (the second
 * field must be base64) plus the ones our builder needs (a key type the SSH server accepts, a blob
 * that really is a key of that type), and the MD5 fingerprint the builder looks users up by.
 */
import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';

export const SUPPORTED_KEY_TYPES = [
  'ssh-rsa',
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
] as const;

export const INVALID_BASE64 = 'Key contains invalid base64 chars';

export type PublicKeyCheck = { ok: true; type: string; fingerprint: string } | { ok: false; message: string };

/** `aa:bb:...`: MD5 of the decoded key blob, as `ssh-keygen -l -E md5` prints it without `MD5:`. */
export function md5Fingerprint(blob: Buffer): string {
  return createHash('md5')
    .update(blob)
    .digest('hex')
    .replace(/(..)(?!$)/g, '$1:');
}

/** The key type named inside the blob (its first SSH string), or undefined if the blob is not one. */
function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

export function checkPublicKey(text: string): PublicKeyCheck {
  const fields = text.trim().split(/\s+/);
  const [type, data] = fields;
  if (!type || !data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0)
    return { ok: false, message: INVALID_BASE64 };
  const blob = Buffer.from(data, 'base64');
  if (!(SUPPORTED_KEY_TYPES as readonly string[]).includes(type))
    return {
      ok: false,
      message: `Key type ${type} is not supported; use one of ${SUPPORTED_KEY_TYPES.join(', ')}`,
    };
  if (blobType(blob) !== type) return { ok: false, message: `Key data is not a ${type} key` };
  // The builder's SSH server parses keys with ssh2; refuse what it could not use.
  const parsed = ssh2.utils.parseKey(`${type} ${data}`);
  if (parsed instanceof Error) return { ok: false, message: `Key data is not a valid ${type} key` };
  return { ok: true, type, fingerprint: md5Fingerprint(blob) };
}

/** Accepts fingerprints as SSH tools print them (`MD5:AA:BB...`) and returns our stored form. */
export function normalizeFingerprint(fp: string): string {
  return fp.trim().replace(/^MD5:/i, '').toLowerCase();
}
