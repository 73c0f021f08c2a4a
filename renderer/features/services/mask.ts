/**
 * Credentials inside URLs (`postgres://deis:<password>@host/db`) are shown masked until the user
 * reveals them, so a screen share or a screenshot does not carry them and they are not in the page.
 */

const MASK = '••••••••';

/** The URL's user-info part, when it has one: where it starts and ends in `value`. */
function userInfo(value: string): { start: number; end: number } | null {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value);
  if (!scheme) return null;
  const start = scheme[0].length;
  const rest = value.slice(start);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  // The last @ ends the user info: a password may hold one that was not percent-encoded.
  const at = authority.lastIndexOf('@');
  return at <= 0 ? null : { start, end: start + at };
}

/** Whether the value is a URL that carries a password or a token. */
export const hasCredentials = (value: string): boolean => userInfo(value) !== null;

/**
 * The value with its password masked (`postgres://deis:••••••••@host/db`); a user info without a
 * colon is a token as a whole (`https://<token>@host`) and is masked whole.
 */
export function maskCredentials(value: string): string {
  const info = userInfo(value);
  if (!info) return value;
  const part = value.slice(info.start, info.end);
  const colon = part.indexOf(':');
  const masked = colon < 0 ? MASK : `${part.slice(0, colon)}:${MASK}`;
  return value.slice(0, info.start) + masked + value.slice(info.end);
}
