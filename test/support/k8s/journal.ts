/**
 * What a start changed on the host, written down step by step as it happens (state.json), so that
 * `stop` — even after a start that failed half-way or a process that died — undoes exactly that, in
 * reverse order, and nothing else.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Daemon } from './processes';

export type UndoStep =
  | { kind: 'daemon'; daemon: Daemon }
  | { kind: 'sysctl'; key: string; value: string }
  | { kind: 'iptables-rule'; table: string; chain: string; rule: string[] }
  | { kind: 'iptables-chain'; table: string; chain: string }
  /** KUBE-* chains kubelet and kube-proxy make: those not there before start are removed. */
  | { kind: 'kube-chains'; before: Record<string, string[]> }
  | { kind: 'route'; dst: string; dev: string }
  | { kind: 'link'; name: string }
  /** A host path the cluster's programs create (e.g. /var/lib/kubelet) that did not exist before. */
  | { kind: 'path'; path: string }
  /** Network namespaces made for pods (cni-*) that were not there before start. */
  | { kind: 'netns'; before: string[] }
  /** The kubepods cgroups kubelet makes in each controller (cgroup v1, cgroupfs). */
  | { kind: 'cgroups'; name: string; before: string[] }
  /** containerd's shims outlive containerd; those serving our socket are ours. */
  | { kind: 'shims'; socket: string }
  /** Containers still running in the private containerd when it is stopped (a pod removal failed). */
  | { kind: 'tasks'; socket: string }
  | { kind: 'mounts'; under: string };

export interface ClusterInfo {
  kubeconfig: string;
  server: string;
  token: string;
  caFile: string;
  registry: string;
  registryUsername: string;
  registryPassword: string;
  podCidr: string;
  serviceCidr: string;
  bridge: string;
  containerdSocket: string;
  startedAt: string;
  startSeconds?: number;
  /** Who started it: a cluster started by hand is never stopped by the tests. */
  owner?: 'hand' | 'tests';
}

export interface JournalData {
  undo: UndoStep[];
  info?: ClusterInfo;
}

export class Journal {
  readonly file: string;
  data: JournalData;

  constructor(readonly dir: string) {
    this.file = path.join(dir, 'state.json');
    this.data = fs.existsSync(this.file)
      ? (JSON.parse(fs.readFileSync(this.file, 'utf8')) as JournalData)
      : { undo: [] };
  }

  static exists(dir: string): boolean {
    return fs.existsSync(path.join(dir, 'state.json'));
  }

  record(step: UndoStep): void {
    this.data.undo.push(step);
    this.save();
  }

  setInfo(info: ClusterInfo): void {
    this.data.info = info;
    this.save();
  }

  daemons(): Daemon[] {
    return this.data.undo.flatMap((s) => (s.kind === 'daemon' ? [s.daemon] : []));
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}
