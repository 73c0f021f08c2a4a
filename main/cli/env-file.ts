/** `KEY=value` lines as config:set, config:push and .env files use them, and SSH_KEY values. */
import fs from 'node:fs';
import { CliError } from './errors';

/** Deis's (permissive, `A-z` includes `[\]^_\``) key pattern; the controller validates keys itself. */
const PAIR = /^([A-z_]+[A-z0-9_]*)=([\s\S]*)$/;

export function parseConfigPairs(lines: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of lines) {
    if (line === '' || line.startsWith('#')) continue;
    const m = PAIR.exec(line);
    if (!m) throw new CliError(`'${line}' does not match the pattern 'key=var', ex: MODE=test\n`);
    values[m[1]!] = m[2]!;
  }
  return values;
}

/** Sorted `KEY=value` lines, the .env format of config:pull. */
export function formatEnv(values: Record<string, string>): string {
  return Object.keys(values)
    .sort()
    .map((k) => `${k}=${values[k]}\n`)
    .join('');
}

/** The lines of a .env text: CRLF tolerated, empty lines dropped. */
export function envLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/^\r+|\r+$/g, ''))
    .filter((l) => l.length > 0);
}

const PRIVATE_KEY = /^-----BEGIN (DSA|RSA|EC|OPENSSH) PRIVATE KEY-----/;

/**
 * An SSH_KEY value may be the key itself, the key in base64 (as config:pull shows it), or a path to
 * the key file; the controller always gets it base64-encoded.
 */
export function encodeSshKey(value: string): string {
  let key: string | undefined;
  if (PRIVATE_KEY.test(value)) key = value;
  if (key === undefined) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    if (PRIVATE_KEY.test(decoded)) key = decoded;
  }
  if (key === undefined && fs.existsSync(value)) {
    const contents = fs.readFileSync(value, 'utf8');
    if (PRIVATE_KEY.test(contents)) key = contents;
  }
  if (key === undefined) throw new CliError(`Could not parse SSH private key:\n ${value}`);
  return Buffer.from(key, 'utf8').toString('base64');
}
