/**
 * OpenSSH's own sshd, started by a test on 127.0.0.1 on a free port, in a temp folder: a generated
 * host key, one authorized key (root logs in with it, as `docker -H ssh://root@…` would), and
 * whatever else the test asks (PermitOpen, a private /etc/hosts). Stopped by its pid.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const SSHD = '/usr/sbin/sshd';

/** Why sshd tests cannot run here, or undefined when they can. */
export function sshdMissing(): string | undefined {
  if (!fs.existsSync(SSHD)) return `${SSHD} is missing (apt-get install openssh-server; .ci/run does)`;
  if (process.getuid?.() !== 0) return 'sshd tests log in as root and must run as root';
  return undefined;
}

export interface TestSshd {
  port: number;
  dir: string;
  /** The host key's public line (`ssh-ed25519 AAAA…`), as known_hosts needs it after the name. */
  hostKey: string;
  /** A client key the sshd accepts for root. */
  clientKey: string;
  /** `[127.0.0.1]:port ssh-ed25519 AAAA…`: a known_hosts line for this sshd. */
  knownHostsLine: string;
  /** `SHA256:…` of the host key, as ssh-keygen prints it (what `trust_host_key` takes). */
  fingerprint: string;
  /** `ssh://root@127.0.0.1:port`: the Docker host this sshd leads to, as a target names it. */
  url: string;
  /** The body of `POST /v2/desktop/targets/` that adds this host as the Docker target `name`. */
  targetRequest(name: string): { name: string; docker: string; identity: string; trust_host_key: string };
  /** The sshd's log (-e). */
  log(): string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Extra sshd_config lines (PermitOpen …). */
  config?: string[];
  /** Names only this sshd resolves (its own /etc/hosts, in a private mount namespace). */
  hosts?: Record<string, string>;
}

export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** `SHA256:…` of a public key file, as ssh-keygen prints it. */
export function fingerprintOf(pubFile: string): string {
  return execFileSync('ssh-keygen', ['-lf', pubFile], { encoding: 'utf8' }).split(/\s+/)[1]!;
}

export function keygen(file: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

/** Each process's parent, from /proc (the field after the parenthesised name is the state, then the parent). */
function parents(): Map<number, number> {
  const found = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      found.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function childrenOf(pid: number): number[] {
  return [...parents()].filter(([, parent]) => parent === pid).map(([child]) => child);
}

function descendantsOf(pid: number): number[] {
  const all = parents();
  const found: number[] = [];
  for (let at = [pid]; at.length > 0; found.push(...at))
    at = [...all].filter(([, parent]) => at.includes(parent)).map(([child]) => child);
  return found;
}

/** Not gone and not a zombie (whose files, its connection among them, are closed already). */
function running(pid: number): boolean {
  const stat = describeProcess(pid);
  return stat !== undefined && !/\) Z /.test(stat);
}

/** `pid (name) state` and its command line, for saying what did not stop; undefined when it is gone. */
function describeProcess(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return `${stat.slice(0, stat.lastIndexOf(')') + 3)} ${cmd}`;
  } catch {
    return undefined;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone meanwhile.
  }
}

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-sshd-'));
  fs.chmodSync(dir, 0o700);
  keygen(path.join(dir, 'host_ed25519'), 'sshd@test');
  keygen(path.join(dir, 'client_ed25519'), 'client@test');
  fs.copyFileSync(path.join(dir, 'client_ed25519.pub'), path.join(dir, 'authorized_keys'));
  fs.chmodSync(path.join(dir, 'authorized_keys'), 0o600);
  const port = await freeTcpPort();
  const config = path.join(dir, 'sshd_config');
  fs.writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${dir}/host_ed25519`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      `PidFile ${dir}/sshd.pid`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'LogLevel VERBOSE',
      ...(options.config ?? []),
    ].join('\n') + '\n',
  );
  // sshd refuses to start without its privilege-separation folder (the package's service makes it).
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  let child: ChildProcess;
  if (options.hosts) {
    const hosts = path.join(dir, 'hosts');
    fs.writeFileSync(
      hosts,
      Object.entries(options.hosts)
        .map(([name, ip]) => `${ip} ${name}\n`)
        .join(''),
    );
    // Its own mount namespace: the bind mount of /etc/hosts is seen by this sshd only.
    child = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --bind "$1" /etc/hosts && exec "$2" -f "$3" -D -e',
        'sh',
        hosts,
        SSHD,
        config,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } else child = spawn(SSHD, ['-f', config, '-D', '-e'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Ready once it accepts connections.
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (child.exitCode !== null || i > 100) throw new Error(`sshd did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const hostKey = fs
    .readFileSync(path.join(dir, 'host_ed25519.pub'), 'utf8')
    .trim()
    .split(/\s+/)
    .slice(0, 2)
    .join(' ');
  const clientKey = path.join(dir, 'client_ed25519');
  const fingerprint = fingerprintOf(path.join(dir, 'host_ed25519.pub'));
  const url = `ssh://root@127.0.0.1:${port}`;
  return {
    port,
    dir,
    hostKey,
    clientKey,
    knownHostsLine: `[127.0.0.1]:${port} ${hostKey}`,
    fingerprint,
    url,
    targetRequest: (name) => ({ name, docker: url, identity: clientKey, trust_host_key: fingerprint }),
    log: () => log,
    stop: async () => {
      // The host goes away with its connections: each one is a child process of the listener, which
      // would otherwise keep serving the sessions it already has.
      const sessions = child.pid === undefined ? [] : childrenOf(child.pid);
      for (const pid of sessions) signal(pid, 'SIGTERM');
      // Gone (and so their connections closed) before the host counts as away. What SIGTERM did not
      // stop in 3 s is killed with everything below it, and named: a test waiting for the host to be
      // away would otherwise wait in vain.
      const alive = () => sessions.filter((pid) => running(pid));
      for (let i = 0; i < 60 && alive().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      const stuck = alive();
      if (stuck.length > 0) {
        const tree = [...stuck, ...stuck.flatMap(descendantsOf)];
        console.warn(
          `test sshd: killing what SIGTERM did not stop in 3 s: ${tree.map(describeProcess).join('; ')}`,
        );
        for (const pid of tree) signal(pid, 'SIGKILL');
      }
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
