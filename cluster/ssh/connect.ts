/**
 * One SSH connection through ssh2, made the way OpenSSH's `ssh` makes it: the host key checked
 * against known_hosts before anything is sent (unknown, changed and revoked keys each stop it with a
 * sentence that names the host, the key type and its SHA256 fingerprint), then an identity file, or
 * the agent (SSH_AUTH_SOCK) and the default keys of ~/.ssh. Every failure is an SshError.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, Client, ParsedKey } from 'ssh2';
import {
  SSH_CONNECT_TIMEOUT_MS,
  SSH_IDENTITY_MAX_BYTES,
  SSH_KEEPALIVE_COUNT,
  SSH_KEEPALIVE_MS,
} from '../../main/contract/limits';
import { showAddress, type SshAddress } from './address';
import { SshError, type PresentedHostKey } from './errors';
import { checkHostKey, knownHostsFiles, knownTypes, presented } from './known-hosts';

export interface SshOptions {
  /** A private key file (`--identity`); without one, the agent and ~/.ssh/id_* are tried, as ssh does. */
  identity?: string;
  /** Our own known_hosts (in DEIS_HOME): read with the user's, and the only one a trusted key is written to. */
  knownHosts?: string;
  /** The user's home (default os.homedir()): its .ssh/known_hosts and default keys. */
  home?: string;
  /** SSH_AUTH_SOCK (default: the environment's). */
  agent?: string;
}

/** The files a connection reads host keys from, in order. */
export function hostKeyFiles(options: SshOptions): string[] {
  return knownHostsFiles(options.home ?? os.homedir(), options.knownHosts);
}

/** Reads and parses a private key file; a passphrase-protected one is refused with what to do instead. */
export function readIdentity(file: string): ParsedKey {
  let data: Buffer;
  try {
    const size = fs.statSync(file).size;
    if (size > SSH_IDENTITY_MAX_BYTES)
      throw new SshError(
        'bad_identity',
        `The identity file ${file} is ${size} bytes, more than any private key (${SSH_IDENTITY_MAX_BYTES}); check that it is the right file.`,
      );
    data = fs.readFileSync(file);
  } catch (err) {
    if (err instanceof SshError) throw err;
    throw new SshError(
      'bad_identity',
      `Cannot read the identity file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
    );
  }
  const parsed = ssh2.utils.parseKey(data);
  if (parsed instanceof Error) {
    if (/passphrase/i.test(parsed.message))
      throw new SshError(
        'bad_identity',
        `The identity file ${file} is protected by a passphrase: add it to your SSH agent (ssh-add ${file}) and connect without an identity file.`,
      );
    throw new SshError(
      'bad_identity',
      `The identity file ${file} is not a private key ssh can use (${parsed.message}).`,
    );
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey())
    throw new SshError(
      'bad_identity',
      `The identity file ${file} holds no private key (is it the .pub file?).`,
    );
  return key;
}

/** What to try, in ssh's order: the identity file alone; else the agent, then ~/.ssh/id_* that need no passphrase. */
function authMethods(address: SshAddress, options: SshOptions): { methods: AnyAuthMethod[]; tried: string } {
  const username = address.user;
  if (options.identity)
    return {
      methods: [{ type: 'publickey', username, key: readIdentity(options.identity) }],
      tried: `the key ${options.identity}`,
    };
  const methods: AnyAuthMethod[] = [];
  const tried: string[] = [];
  const agent = options.agent ?? process.env.SSH_AUTH_SOCK;
  if (agent) {
    methods.push({ type: 'agent', username, agent });
    tried.push('the SSH agent');
  }
  const home = options.home ?? os.homedir();
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const file = path.join(home, '.ssh', name);
    if (!fs.existsSync(file)) continue;
    try {
      methods.push({ type: 'publickey', username, key: readIdentity(file) });
      tried.push(file);
    } catch {
      // A protected default key is the agent's to offer, as with ssh; others are skipped too.
    }
  }
  if (!methods.length)
    throw new SshError(
      'bad_identity',
      `No SSH key to log in to ${showAddress(address)} with: no SSH agent (SSH_AUTH_SOCK) and no usable ~/.ssh/id_ed25519, id_ecdsa or id_rsa; give an identity file or start ssh-agent.`,
    );
  return { methods, tried: tried.join(', ') };
}

/** Host key algorithms that yield a key of the given known_hosts type. */
function algorithmsFor(type: string): string[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [type];
}

/** Opens and authenticates a connection to `address`; rejects with an SshError saying what to do. */
export function connectSsh(address: SshAddress, options: SshOptions = {}): Promise<Client> {
  const files = hostKeyFiles(options);
  const shown = showAddress(address);
  let auth: ReturnType<typeof authMethods>;
  let prefer: string[];
  try {
    auth = authMethods(address, options);
    prefer = knownTypes(files, address.host, address.port).flatMap(algorithmsFor);
  } catch (err) {
    return Promise.reject(err);
  }
  let refusal: SshError | undefined;
  const client = new ssh2.Client();
  return new Promise((resolve, reject) => {
    const fail = (err: Error & { level?: string; code?: string }) => {
      client.end();
      reject(refusal ?? translate(err, address, shown, auth.tried));
    };
    client.once('ready', () => {
      client.removeListener('error', fail);
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', fail);
    client.connect({
      host: address.host,
      port: address.port,
      username: address.user,
      authHandler: auth.methods,
      readyTimeout: SSH_CONNECT_TIMEOUT_MS,
      keepaliveInterval: SSH_KEEPALIVE_MS,
      keepaliveCountMax: SSH_KEEPALIVE_COUNT,
      // Ask for a key of a type we know first, as OpenSSH does, so a known host is not "unknown".
      ...(prefer.length ? { algorithms: { serverHostKey: { prepend: prefer } } as never } : {}),
      hostVerifier: (blob: Buffer): boolean => {
        try {
          refusal = hostKeyRefusal(files, address, blob);
        } catch (err) {
          refusal = err as SshError;
        }
        return refusal === undefined;
      },
    });
  });
}

/** What a host presented, and why it would be refused (undefined: it is known). */
export interface HostKeyProbe {
  key: PresentedHostKey;
  refusal: SshError | undefined;
}

/**
 * The host key `address` presents and the verdict of every known_hosts file on it, without logging
 * in (the handshake stops at the key). Rejects with an SshError when the host cannot be reached.
 */
export function probeHostKey(address: SshAddress, options: SshOptions = {}): Promise<HostKeyProbe> {
  const files = hostKeyFiles(options);
  let prefer: string[];
  try {
    prefer = knownTypes(files, address.host, address.port).flatMap(algorithmsFor);
  } catch (err) {
    return Promise.reject(err);
  }
  const client = new ssh2.Client();
  let seen: HostKeyProbe | undefined;
  return new Promise((resolve, reject) => {
    client.once('error', (err: Error & { level?: string; code?: string }) => {
      client.end();
      if (seen) resolve(seen);
      else reject(translate(err, address, showAddress(address), 'no key'));
    });
    client.once('ready', () => {
      // Not reached: the verifier always says no. Kept so a change there cannot leave a login open.
      client.end();
      reject(new SshError('unreachable', `The host key of ${showAddress(address)} could not be read.`));
    });
    client.connect({
      host: address.host,
      port: address.port,
      username: address.user,
      readyTimeout: SSH_CONNECT_TIMEOUT_MS,
      ...(prefer.length ? { algorithms: { serverHostKey: { prepend: prefer } } as never } : {}),
      hostVerifier: (blob: Buffer): boolean => {
        let refusal: SshError | undefined;
        try {
          refusal = hostKeyRefusal(files, address, blob);
        } catch (err) {
          refusal = err as SshError;
        }
        seen = { key: presented(address.host, address.port, blob), refusal };
        return false;
      },
    });
  });
}

function hostKeyRefusal(files: string[], address: SshAddress, blob: Buffer): SshError | undefined {
  const verdict = checkHostKey(files, address.host, address.port, blob);
  const key = presented(address.host, address.port, blob);
  const what = `${key.type} key ${key.fingerprint}`;
  switch (verdict.state) {
    case 'known':
      return undefined;
    case 'unknown':
      return new SshError(
        'host_key_unknown',
        `The host ${key.name} is not known: it presented the ${what}${verdict.otherTypes.length ? ` (known_hosts has only ${verdict.otherTypes.join(', ')} keys for it)` : ''}. If that is its key (ask its owner, or run ssh-keyscan on it), trust it, and connect again.`,
        key,
      );
    case 'changed':
      return new SshError(
        'host_key_changed',
        `REFUSED: the host key of ${key.name} has changed: it presented the ${what}, but ${verdict.file} line ${verdict.line} says its ${key.type} key is ${verdict.knownFingerprint}. Someone may be intercepting the connection; if you know the key was changed, remove that line and connect again.`,
        key,
      );
    case 'revoked':
      return new SshError(
        'host_key_revoked',
        `REFUSED: the host ${key.name} presented the ${what}, which ${verdict.file} line ${verdict.line} marks as revoked.`,
        key,
      );
  }
}

function translate(
  err: Error & { level?: string; code?: string },
  address: SshAddress,
  shown: string,
  tried: string,
): SshError {
  if (err instanceof SshError) return err;
  if (err.level === 'client-authentication')
    return new SshError(
      'auth_refused',
      `The SSH server at ${shown} refused the login of ${address.user} with ${tried}; add the public key to ~${address.user}/.ssh/authorized_keys there, or use another key.`,
    );
  if (err.level === 'client-timeout')
    return new SshError(
      'unreachable',
      `${shown} did not complete the SSH handshake within ${SSH_CONNECT_TIMEOUT_MS / 1000} s; check the host and port and that sshd runs there.`,
    );
  const code = err.code;
  if (code === 'ECONNREFUSED')
    return new SshError(
      'unreachable',
      `Nothing accepts SSH connections at ${address.host} port ${address.port}; check the port and that sshd runs there.`,
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new SshError(
      'unreachable',
      `The host name ${address.host} cannot be resolved; check the address.`,
    );
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT')
    return new SshError(
      'unreachable',
      `${address.host} port ${address.port} cannot be reached (${code}); check the address and the network.`,
    );
  return new SshError('unreachable', `The SSH connection to ${shown} failed: ${err.message}.`);
}
