/**
 * The client settings file (`~/.deis/client.json` or a profile), read and written like the Deis CLI:
 * `{"username","ssl_verify","controller","token","response_limit"}`, file 0600 in a 0700 folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CliError } from './errors';

export const DEFAULT_RESPONSE_LIMIT = 100;

export const NOT_LOGGED_IN = "Not logged in. Use 'deis login' or 'deis register' to get started.";

export interface Settings {
  username: string;
  sslVerify: boolean;
  controller: string;
  token: string;
  /** The list size to ask for; the file's 0 means the default of 100. */
  limit: number;
}

interface SettingsFile {
  username: string;
  ssl_verify: boolean;
  controller: string;
  token: string;
  response_limit: number;
}

/** The user's home: HOME first (tests and `sudo -E` rely on it), then the OS's idea of it. */
export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  // node:os is loaded only when no variable names the home folder: every module costs start-up time.
  const homedir = () => process.getBuiltinModule('node:os').homedir();
  if (process.platform === 'win32') return env.USERPROFILE || homedir();
  return env.HOME || homedir();
}

/**
 * Where the settings live: `-c` wins over `DEIS_PROFILE`; a value that looks like a path to a
 * `.json` file is used as is, any other value names a profile in `~/.deis/<name>.json`.
 */
export function settingsPath(configFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const dir = path.join(homeDir(env), '.deis');
  const value = configFlag || env.DEIS_PROFILE || '';
  if (value === '') return path.join(dir, 'client.json');
  if (/^.*[/\\].+\.json$/.test(value)) return value;
  return path.join(dir, `${value}.json`);
}

export function loadSettings(configFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): Settings {
  const file = settingsPath(configFlag, env);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(NOT_LOGGED_IN);
    throw new CliError(`Could not read ${file}: ${(err as Error).message}`);
  }
  let raw: Partial<SettingsFile>;
  try {
    raw = JSON.parse(text) as Partial<SettingsFile>;
  } catch (err) {
    throw new CliError(`${file} is not valid JSON (${(err as Error).message}); log in again to rewrite it.`);
  }
  const limit = typeof raw.response_limit === 'number' && raw.response_limit > 0 ? raw.response_limit : 0;
  return {
    username: raw.username ?? '',
    sslVerify: raw.ssl_verify ?? true,
    controller: raw.controller ?? '',
    token: raw.token ?? '',
    limit: limit || DEFAULT_RESPONSE_LIMIT,
  };
}

/** Writes the settings and returns the file name, as `Configuration file written to <path>` shows it. */
export function saveSettings(
  settings: Settings,
  configFlag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const file = settingsPath(configFlag, env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const body: SettingsFile = {
    username: settings.username,
    ssl_verify: settings.sslVerify,
    controller: settings.controller,
    token: settings.token,
    // Keep a user's custom limit; the default is stored as 0 like the Go client does.
    response_limit: settings.limit === DEFAULT_RESPONSE_LIMIT ? 0 : settings.limit,
  };
  fs.writeFileSync(file, JSON.stringify(body), { mode: 0o600 });
  // writeFileSync keeps the mode of an existing file; the token must not be world-readable.
  fs.chmodSync(file, 0o600);
  return file;
}

export function deleteSettings(configFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  fs.rmSync(settingsPath(configFlag, env), { force: true });
}
