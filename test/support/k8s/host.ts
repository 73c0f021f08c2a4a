/**
 * The host settings the cluster needs — the pod bridge and its routes, firewall chains of our own,
 * sysctls kubelet and kube-proxy change — each recorded in the journal as it is made, and the undo
 * of every recorded step.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Journal, UndoStep } from './journal';
import { findProcesses, stopDaemon } from './processes';
import { run, tryRun } from './run';

/** Sysctls kubelet (setupKernelTunables), kube-proxy and the CNI bridge set: saved, and put back. */
export const TOUCHED_SYSCTLS = [
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
  'net.ipv4.conf.all.route_localnet',
  'net.ipv4.ip_forward',
  'net.bridge.bridge-nf-call-iptables',
  'net.netfilter.nf_conntrack_max',
];

/** Host folders kubelet and the CNI plugins create whatever their flags say. */
export const HOST_PATHS = [
  '/var/lib/kubelet',
  '/var/log/pods',
  '/var/log/containers',
  '/var/lib/cni',
  '/run/netns',
  '/etc/cni',
  '/opt/cni',
];

const FORWARD_CHAIN = 'DEIS-TEST-K8S-FWD';
const INPUT_CHAIN = 'DEIS-TEST-K8S-IN';

function sysctlPath(key: string): string {
  return path.join('/proc/sys', ...key.split('.'));
}

export function saveSysctls(journal: Journal): void {
  for (const key of TOUCHED_SYSCTLS) {
    try {
      journal.record({ kind: 'sysctl', key, value: fs.readFileSync(sysctlPath(key), 'utf8').trim() });
    } catch {
      // not on this kernel (e.g. br_netfilter not loaded): nothing to restore
    }
  }
}

export function recordHostPaths(journal: Journal): void {
  for (const p of HOST_PATHS) if (!fs.existsSync(p)) journal.record({ kind: 'path', path: p });
}

/** The host's IPv4 route that a range overlaps (it would hijack someone's traffic), if any. */
export function overlappingRoute(cidr: string): string | undefined {
  return overlappingLine(cidr, run('ip', ['-4', 'route', 'show', 'table', 'all']).split('\n'));
}

/** The first `ip route` line whose destination overlaps the range. */
export function overlappingLine(cidr: string, routes: string[]): string | undefined {
  const [net, bits] = parseCidr(cidr);
  for (const line of routes) {
    const dst = line.trim().split(' ')[0];
    if (!dst || !/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(dst)) continue;
    const [rNet, rBits] = parseCidr(dst.includes('/') ? dst : `${dst}/32`);
    const common = Math.min(bits, rBits);
    const mask = common === 0 ? 0 : (~0 << (32 - common)) >>> 0;
    if ((net & mask) >>> 0 === (rNet & mask) >>> 0) return line.trim();
  }
  return undefined;
}

export function parseCidr(cidr: string): [number, number] {
  const [ip, bits] = cidr.split('/');
  const n = ip!.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
  return [n, Number(bits)];
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** The address n inside a range: nthIp('10.244.0.0/24', 1) is 10.244.0.1. */
export function nthIp(cidr: string, n: number): string {
  return formatIp(parseCidr(cidr)[0] + n);
}

/**
 * The pod bridge in the host's namespace (made now rather than by CNI, so it is ours to remove), the
 * service range routed onto it, and firewall chains: pods talk to pods and answer, nothing more.
 * Docker's FORWARD policy is DROP, which would drop pod↔pod traffic on a bridge too.
 */
export function setUpPodNetwork(
  journal: Journal,
  bridge: string,
  podCidr: string,
  serviceCidr: string,
): void {
  run('ip', ['link', 'add', bridge, 'type', 'bridge']);
  journal.record({ kind: 'link', name: bridge });
  run('ip', ['addr', 'add', `${nthIp(podCidr, 1)}/${podCidr.split('/')[1]}`, 'dev', bridge]);
  run('ip', ['link', 'set', bridge, 'up']);
  run('ip', ['route', 'add', serviceCidr, 'dev', bridge, 'src', nthIp(podCidr, 1)]);
  journal.record({ kind: 'route', dst: serviceCidr, dev: bridge });

  const chain = (name: string, rules: string[][]) => {
    run('iptables', ['-w', '-N', name]);
    journal.record({ kind: 'iptables-chain', table: 'filter', chain: name });
    for (const rule of rules) run('iptables', ['-w', '-A', name, ...rule]);
  };
  chain(FORWARD_CHAIN, [
    ['-i', bridge, '-o', bridge, '-j', 'ACCEPT'],
    ['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
    ['-i', bridge, '-j', 'REJECT'],
    ['-o', bridge, '-j', 'REJECT'],
  ]);
  chain(INPUT_CHAIN, [
    ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
    ['-j', 'REJECT'],
  ]);
  const jump = (parent: string, rule: string[]) => {
    run('iptables', ['-w', '-I', parent, '1', ...rule]);
    journal.record({ kind: 'iptables-rule', table: 'filter', chain: parent, rule });
  };
  jump('FORWARD', ['-i', bridge, '-j', FORWARD_CHAIN]);
  jump('FORWARD', ['-o', bridge, '-j', FORWARD_CHAIN]);
  // Pods reach no service of the host itself (the core, Docker, ssh): only replies come in.
  jump('INPUT', ['-i', bridge, '-j', INPUT_CHAIN]);
}

export function iptablesChains(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const table of ['filter', 'nat', 'mangle']) {
    out[table] = run('iptables', ['-w', '-t', table, '-S'])
      .split('\n')
      .flatMap((l) => (l.startsWith('-N ') ? [l.slice(3).trim()] : []));
  }
  return out;
}

export function listNetns(): string[] {
  return fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns') : [];
}

/** cgroup v1 controllers where a kubepods cgroup would go. */
export function cgroupDirs(name: string): string[] {
  const root = '/sys/fs/cgroup';
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .map((c) => path.join(root, c, name))
    .filter((p) => fs.existsSync(path.dirname(p)) && !fs.lstatSync(path.dirname(p)).isSymbolicLink());
}

/** Undoes one recorded step; failures are reported, never thrown, so the rest is still undone. */
export async function undo(step: UndoStep, warn: (line: string) => void, kubeProxy?: string): Promise<void> {
  switch (step.kind) {
    case 'daemon':
      await stopDaemon(step.daemon);
      return;
    case 'shims':
      for (const shim of findProcesses('containerd-shim-runc-v2', ['-address', step.socket]))
        await stopDaemon(shim, 5_000);
      return;
    case 'tasks':
      for (const id of listTasks(step.socket)) {
        tryRun('ctr', [
          '--address',
          step.socket,
          '-n',
          'k8s.io',
          'tasks',
          'kill',
          '--all',
          '--signal',
          'SIGKILL',
          id,
        ]);
      }
      await new Promise((r) => setTimeout(r, 500));
      for (const id of listTasks(step.socket))
        tryRun('ctr', ['--address', step.socket, '-n', 'k8s.io', 'tasks', 'delete', '--force', id]);
      return;
    case 'mounts': {
      const mounts = fs
        .readFileSync('/proc/self/mounts', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
        .filter((m): m is string => !!m && (m === step.under || m.startsWith(`${step.under}/`)))
        .sort((a, b) => b.length - a.length);
      for (const m of mounts)
        if (!tryRun('umount', [m]) && !tryRun('umount', ['-l', m])) warn(`could not unmount ${m}`);
      return;
    }
    case 'netns':
      for (const ns of listNetns())
        if (ns.startsWith('cni-') && !step.before.includes(ns)) tryRun('ip', ['netns', 'delete', ns]);
      return;
    case 'cgroups':
      for (const dir of cgroupDirs(step.name)) {
        if (step.before.includes(dir) || !fs.existsSync(dir)) continue;
        removeCgroup(dir, warn);
      }
      return;
    case 'kube-chains': {
      if (kubeProxy) tryRun(kubeProxy, ['--cleanup']);
      const now = iptablesChains();
      for (const [table, chains] of Object.entries(now)) {
        const ours = chains.filter((c) => c.startsWith('KUBE-') && !(step.before[table] ?? []).includes(c));
        // Rules in built-in chains that jump to ours go first, then our chains' rules, then the chains.
        for (const rule of run('iptables', ['-w', '-t', table, '-S']).split('\n')) {
          const m = /^-A (\S+) (.*-j (KUBE-\S+).*)$/.exec(rule);
          if (m && ours.includes(m[3]!) && !ours.includes(m[1]!))
            tryRun('sh', ['-c', `iptables -w -t ${table} -D ${m[1]} ${m[2]}`]);
        }
        for (const c of ours) tryRun('iptables', ['-w', '-t', table, '-F', c]);
        for (const c of ours)
          if (!tryRun('iptables', ['-w', '-t', table, '-X', c]))
            warn(`could not remove iptables chain ${table}/${c}`);
      }
      return;
    }
    case 'iptables-rule':
      tryRun('iptables', ['-w', '-t', step.table, '-D', step.chain, ...step.rule]);
      return;
    case 'iptables-chain':
      tryRun('iptables', ['-w', '-t', step.table, '-F', step.chain]);
      if (!tryRun('iptables', ['-w', '-t', step.table, '-X', step.chain]))
        warn(`could not remove iptables chain ${step.chain}`);
      return;
    case 'route':
      tryRun('ip', ['route', 'del', step.dst, 'dev', step.dev]);
      return;
    case 'link':
      // Pods' veths went with their namespaces; any left on the bridge go with it.
      for (const veth of bridgePorts(step.name)) tryRun('ip', ['link', 'del', veth]);
      if (fs.existsSync(`/sys/class/net/${step.name}`) && !tryRun('ip', ['link', 'del', step.name]))
        warn(`could not remove ${step.name}`);
      return;
    case 'sysctl':
      try {
        if (fs.readFileSync(sysctlPath(step.key), 'utf8').trim() !== step.value)
          fs.writeFileSync(sysctlPath(step.key), step.value);
      } catch (err) {
        warn(`could not restore ${step.key}=${step.value}: ${(err as Error).message}`);
      }
      return;
    case 'path':
      if (fs.existsSync(step.path)) fs.rmSync(step.path, { recursive: true, force: true });
      return;
  }
}

function listTasks(socket: string): string[] {
  if (!fs.existsSync(socket)) return [];
  try {
    return run('ctr', ['--address', socket, '-n', 'k8s.io', 'tasks', 'list', '--quiet'])
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
}

function bridgePorts(bridge: string): string[] {
  const dir = `/sys/class/net/${bridge}/brif`;
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

/** rmdir a cgroup tree, deepest first (a cgroup with no tasks can be removed; files cannot). */
function removeCgroup(dir: string, warn: (line: string) => void): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroup(path.join(dir, entry.name), warn);
  }
  try {
    fs.rmdirSync(dir);
  } catch (err) {
    warn(`could not remove cgroup ${dir}: ${(err as Error).message}`);
  }
}
