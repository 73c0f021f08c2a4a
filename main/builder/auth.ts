/** Public-key authentication for the builder: Deis's MD5 fingerprints, a proven signature, nothing else. */
import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import type { AuthContext, ParsedKey } from 'ssh2';
import type { LookupKey } from './types';

// ssh2 is CommonJS; its named exports are not visible to Node's ESM loader, so take them off the default.
const { utils } = ssh2;

/** `aa:bb:...`: MD5 over the decoded key blob, the form Deis stores keys under (`ssh-keygen -E md5 -l`). */
export function fingerprintMd5(keyBlob: Buffer): string {
  return createHash('md5')
    .update(keyBlob)
    .digest('hex')
    .replace(/(..)(?!$)/g, '$1:');
}

/** Parses a key blob from the wire; undefined for key types ssh2 cannot verify. */
function parseBlob(blob: Buffer): ParsedKey | undefined {
  const parsed = utils.parseKey(blob);
  if (parsed instanceof Error) return undefined;
  return Array.isArray(parsed) ? parsed[0] : parsed;
}

/**
 * Answers one authentication attempt. A client first asks whether a key would do (no signature): we
 * say yes for known keys without logging anyone in. Only a valid signature over the session data logs
 * in, and `onLogin` learns the key's holders (the users who registered it) before the client can open
 * a session; which of them the push is for is decided per app (Authorize).
 */
export async function authenticate(
  ctx: AuthContext,
  lookupKey: LookupKey,
  log: (line: string) => void,
  onLogin: (holders: string[]) => void,
): Promise<void> {
  if (ctx.method !== 'publickey') {
    ctx.reject(['publickey']);
    return;
  }
  const key = parseBlob(ctx.key.data);
  if (!key) {
    ctx.reject(['publickey']);
    return;
  }
  let holders: string[] = [];
  try {
    // The key type comes from the blob: ctx.key.algo may name a signature algorithm (rsa-sha2-256).
    holders = await lookupKey(fingerprintMd5(ctx.key.data), key.type, ctx.key.data);
  } catch (err) {
    log(`builder: key lookup failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  if (holders.length === 0) {
    ctx.reject(['publickey']);
    return;
  }
  if (!ctx.signature) {
    ctx.accept();
    return;
  }
  if (!ctx.blob || key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
    ctx.reject(['publickey']);
    return;
  }
  onLogin(holders);
  ctx.accept();
}
