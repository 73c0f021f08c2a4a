// Builder logins: a known key must also prove possession with a valid signature; nothing else logs in.
import ssh2 from 'ssh2';
import type { AuthContext, ParsedKey } from 'ssh2';
import { describe, expect, it, vi } from 'vitest';
import { authenticate, fingerprintMd5 } from '../../main/builder/auth';
import { newEd25519Key } from '../../main/builder/hostkey';

const key = ssh2.utils.parseKey(newEd25519Key()) as ParsedKey;
const blob = key.getPublicSSH();
const sessionData = Buffer.from('session id and userauth request');

function attempt(fields: Record<string, unknown>) {
  const ctx = { method: 'publickey', username: 'git', accept: vi.fn(), reject: vi.fn(), ...fields };
  return ctx as unknown as AuthContext & {
    accept: ReturnType<typeof vi.fn>;
    reject: ReturnType<typeof vi.fn>;
  };
}

const lookupAlice = vi.fn((fp: string, type: string) =>
  fp === fingerprintMd5(blob) && type === 'ssh-ed25519' ? ['alice'] : [],
);

async function run(ctx: AuthContext) {
  const onLogin = vi.fn();
  await authenticate(ctx, lookupAlice, () => {}, onLogin);
  return onLogin;
}

describe('builder authentication', () => {
  it('logs in a known key with a valid signature', async () => {
    const ctx = attempt({
      key: { algo: 'ssh-ed25519', data: blob },
      blob: sessionData,
      signature: key.sign(sessionData),
    });
    const onLogin = await run(ctx);
    expect(onLogin).toHaveBeenCalledWith(['alice']);
    expect(ctx.accept).toHaveBeenCalled();
  });

  it('refuses a known key whose signature does not match the session', async () => {
    const signature = key.sign(Buffer.from('another session')) as Buffer;
    const ctx = attempt({ key: { algo: 'ssh-ed25519', data: blob }, blob: sessionData, signature });
    const onLogin = await run(ctx);
    expect(onLogin).not.toHaveBeenCalled();
    expect(ctx.reject).toHaveBeenCalledWith(['publickey']);
  });

  it('says a known key would do when asked, without logging anyone in', async () => {
    const ctx = attempt({ key: { algo: 'ssh-ed25519', data: blob } });
    const onLogin = await run(ctx);
    expect(ctx.accept).toHaveBeenCalled();
    expect(onLogin).not.toHaveBeenCalled();
  });

  it('refuses unknown keys, passwords and keyboard-interactive', async () => {
    const other = ssh2.utils.parseKey(newEd25519Key()) as ParsedKey;
    const unknown = attempt({
      key: { algo: 'ssh-ed25519', data: other.getPublicSSH() },
      blob: sessionData,
      signature: other.sign(sessionData),
    });
    for (const ctx of [
      unknown,
      attempt({ method: 'password', password: 'x' }),
      attempt({ method: 'keyboard-interactive' }),
    ]) {
      expect(await run(ctx)).not.toHaveBeenCalled();
      expect(ctx.reject).toHaveBeenCalledWith(['publickey']);
      expect(ctx.accept).not.toHaveBeenCalled();
    }
  });
});
