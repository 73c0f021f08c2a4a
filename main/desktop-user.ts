/**
 * The desktop app's own account: when Electron starts the core (DEIS_DESKTOP_USER=1), the core makes
 * sure a `desktop` administrator exists and leaves its token in a 0600 file the shell reads, plus a
 * CLI profile for the bundled `deis` (used with DEIS_PROFILE), so the user's ~/.deis is never touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Controller } from './controller';

export const DESKTOP_USERNAME = 'desktop';
export const TOKEN_FILE = 'desktop-token';
export const CLI_PROFILE_FILE = 'deis-profile.json';

/** Writes `text` to `file` readable by the owner only, atomically. */
function writePrivate(file: string, text: string): void {
  const temp = `${file}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
  fs.renameSync(temp, file);
}

export interface DesktopAccess {
  username: string;
  token: string;
  tokenFile: string;
  cliProfile: string;
}

/** The token the last start left in the file, if it still belongs to `userId` (the store keeps only hashes). */
function previousToken(c: Controller, file: string, userId: number): string | undefined {
  let token: string;
  try {
    token = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  return token && c.users.byToken(token)?.id === userId ? token : undefined;
}

export async function ensureDesktopUser(c: Controller, home: string, apiUrl: string): Promise<DesktopAccess> {
  let user = c.users.byName(DESKTOP_USERNAME);
  if (!user) {
    const admin = c.users.list().find((u) => u.is_superuser);
    // Nobody signs in with this password: the desktop uses the token; `deis auth:passwd` can set one.
    const input = { username: DESKTOP_USERNAME, password: randomBytes(24).toString('hex'), email: '' };
    await c.users.register(input, admin);
    user = c.users.setSuperuser(DESKTOP_USERNAME, true);
  }
  const tokenFile = path.join(home, TOKEN_FILE);
  // The same token across starts while it is valid (the window and the CLI profile keep working);
  // a new one when it was revoked (auth:regenerate) or the file is gone.
  const token = previousToken(c, tokenFile, user.id) ?? c.users.issueToken(user);
  writePrivate(tokenFile, `${token}\n`);
  const cliProfile = path.join(home, CLI_PROFILE_FILE);
  writePrivate(
    cliProfile,
    JSON.stringify({
      username: DESKTOP_USERNAME,
      ssl_verify: false,
      controller: apiUrl,
      token,
      response_limit: 0,
    }),
  );
  return { username: DESKTOP_USERNAME, token, tokenFile, cliProfile };
}
