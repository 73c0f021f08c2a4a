/**
 * Starts and stops the single-node test cluster on 127.0.0.1: etcd, the API server, the
 * controller-manager and scheduler, a private containerd, kubelet, kube-proxy, a routed pod network
 * and a registry. Every change to the host goes through the journal, so `stopCluster` undoes it.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { kubeJson, kubeRequest } from './api';
import { PAUSE_IMAGE, binaryPath, isBuilt, pauseTarPath } from './build';
import { kubeconfig, makeCredentials } from './certs';
import {
  cgroupDirs,
  iptablesChains,
  listNetns,
  nthIp,
  overlappingRoute,
  recordHostPaths,
  saveSysctls,
  setUpPodNetwork,
  undo,
} from './host';
import { Journal, type ClusterInfo } from './journal';
import { isRunning, residentMiB, sleep, startDaemon, type Daemon } from './processes';
import { missingRegistryPackages, registryAnswers, startRegistry, writeContainerdHosts } from './registry';
import { haveCommand, run } from './run';
import { stateDir } from './paths';

const BRIDGE = process.env.DEIS_K8S_BRIDGE || 'deis-k8s0';
/** Pod and service ranges: overlap no route here (Docker's 172.17+/192.168, the project's 10.222/16). */
const POD_CIDR = process.env.DEIS_K8S_POD_CIDR || '10.244.0.0/24';
const SERVICE_CIDR = process.env.DEIS_K8S_SERVICE_CIDR || '10.245.0.0/24';
const ETCD = '/usr/bin/etcd';
const CONTAINERD = '/usr/bin/containerd';
const CNI_BIN = '/usr/lib/cni';
/** How long a start may take before it is called failed (measured ~11 s on an idle 2-core machine). */
const READY_TIMEOUT_MS = 120_000;

export function missingRunPackages(): string[] {
  const missing: string[] = [];
  if (!fs.existsSync(ETCD)) missing.push('etcd-server');
  if (!fs.existsSync(CONTAINERD) || !haveCommand('ctr')) missing.push('containerd');
  if (!haveCommand('runc')) missing.push('runc');
  if (!fs.existsSync(path.join(CNI_BIN, 'bridge'))) missing.push('containernetworking-plugins');
  if (!haveCommand('iptables')) missing.push('iptables');
  if (!haveCommand('conntrack')) missing.push('conntrack');
  if (!haveCommand('socat')) missing.push('socat');
  if (!haveCommand('openssl')) missing.push('openssl');
  return [...missing, ...missingRegistryPackages()];
}

/** Why a cluster cannot start here, or undefined when it can. */
export function cannotStart(options: { ignoreBuild?: boolean } = {}): string | undefined {
  if (process.platform !== 'linux') return 'the test cluster runs on Linux only';
  if (process.getuid?.() !== 0) return 'the test cluster needs root (network bridge, iptables, cgroups)';
  const missing = missingRunPackages();
  if (missing.length > 0) return `the test cluster needs: apt-get install ${missing.join(' ')}`;
  if (!isBuilt() && !options.ignoreBuild)
    return 'the test cluster is not built yet: npm run test-cluster -- build (about 10 minutes, once)';
  return undefined;
}

export function runningInfo(): ClusterInfo | undefined {
  const dir = stateDir();
  if (!Journal.exists(dir)) return undefined;
  const journal = new Journal(dir);
  if (!journal.data.info) return undefined;
  return journal.daemons().every(isRunning) ? journal.data.info : undefined;
}

export interface ClusterStatus {
  state: 'stopped' | 'running' | 'broken';
  info?: ClusterInfo;
  daemons: Array<{ name: string; pid: number; running: boolean }>;
  residentMiB: number;
}

export function clusterStatus(): ClusterStatus {
  const dir = stateDir();
  if (!Journal.exists(dir)) return { state: 'stopped', daemons: [], residentMiB: 0 };
  const journal = new Journal(dir);
  const daemons = journal.daemons().map((d) => ({ name: d.name, pid: d.pid, running: isRunning(d) }));
  const all = daemons.length > 0 && daemons.every((d) => d.running) && journal.data.info;
  const shims = run('sh', [
    '-c',
    'pgrep -f "containerd-shim-runc-v2.*$1" || true',
    'sh',
    path.join(dir, 'containerd.sock'),
  ])
    .split('\n')
    .filter(Boolean)
    .map(Number);
  return {
    state: all ? 'running' : 'broken',
    info: journal.data.info,
    daemons,
    residentMiB: residentMiB([...daemons.filter((d) => d.running).map((d) => d.pid), ...shims]),
  };
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  daemons: Daemon[],
  timeoutMs = READY_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    const dead = daemons.find((d) => !isRunning(d));
    if (dead)
      throw new Error(
        `${dead.name} exited while waiting for ${what}; its log: ${dead.log}\n${tail(dead.log)}`,
      );
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Starts the cluster; on failure undoes what it did and throws. */
export async function startCluster(say: (line: string) => void = () => {}): Promise<ClusterInfo> {
  const reason = cannotStart();
  if (reason) throw new Error(reason);
  const dir = stateDir();
  if (Journal.exists(dir)) {
    if (runningInfo()) throw new Error(`a test cluster is already running (state in ${dir}); stop it first`);
    say('cleaning up after a cluster that did not stop');
    await stopCluster(say);
  }
  for (const cidr of [POD_CIDR, SERVICE_CIDR]) {
    const route = overlappingRoute(cidr);
    if (route)
      throw new Error(
        `the range ${cidr} overlaps the route "${route}"; set DEIS_K8S_POD_CIDR / DEIS_K8S_SERVICE_CIDR`,
      );
  }
  if (fs.existsSync(`/sys/class/net/${BRIDGE}`))
    throw new Error(`a network interface ${BRIDGE} exists already; set DEIS_K8S_BRIDGE`);

  const started = Date.now();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const journal = new Journal(dir);
  journal.record({ kind: 'path', path: dir });
  try {
    const info = await bringUp(journal, dir, say);
    info.startSeconds = Math.round((Date.now() - started) / 100) / 10;
    journal.setInfo(info);
    return info;
  } catch (err) {
    say(`start failed: ${(err as Error).message}`);
    await stopCluster(say);
    throw err;
  }
}

async function bringUp(journal: Journal, dir: string, say: (line: string) => void): Promise<ClusterInfo> {
  const logs = path.join(dir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  recordHostPaths(journal);
  saveSysctls(journal);
  const serviceIp = nthIp(SERVICE_CIDR, 1);
  setUpPodNetwork(journal, BRIDGE, POD_CIDR, SERVICE_CIDR);
  journal.record({ kind: 'kube-chains', before: iptablesChains() });
  journal.record({
    kind: 'cgroups',
    name: 'kubepods',
    before: cgroupDirs('kubepods').filter((p) => fs.existsSync(p)),
  });
  journal.record({ kind: 'netns', before: listNetns() });
  // `ip netns` makes /run/netns a mount point of itself; it must be unmounted before it is removed.
  if (!fs.existsSync('/run/netns')) journal.record({ kind: 'mounts', under: '/run/netns' });
  journal.record({ kind: 'mounts', under: dir });
  if (!fs.existsSync('/var/lib/kubelet')) journal.record({ kind: 'mounts', under: '/var/lib/kubelet' });

  const [
    etcdClient,
    etcdPeer,
    apiPort,
    cmPort,
    schedPort,
    kubeletPort,
    kubeletHealthz,
    proxyHealthz,
    proxyMetrics,
    registryPort,
  ] = await freePorts(10);
  const daemons: Daemon[] = [];
  const start = (name: string, exe: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const daemon = startDaemon(name, exe, args, logs, env);
    journal.record({ kind: 'daemon', daemon });
    daemons.push(daemon);
    return daemon;
  };

  say('credentials (openssl)');
  const creds = makeCredentials(path.join(dir, 'pki'), serviceIp);

  say('etcd');
  start('etcd', ETCD, [
    '--name=deis-test',
    `--data-dir=${path.join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=deis-test=http://127.0.0.1:${etcdPeer}`,
  ]);
  await waitFor('etcd', async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok, daemons);

  say('kube-apiserver');
  const server = `https://127.0.0.1:${apiPort}`;
  start('kube-apiserver', binaryPath('kube-apiserver'), [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    '--insecure-port=0',
    `--tls-cert-file=${creds.apiserver.cert}`,
    `--tls-private-key-file=${creds.apiserver.key}`,
    `--client-ca-file=${creds.ca.cert}`,
    `--token-auth-file=${creds.tokenFile}`,
    '--authorization-mode=Node,RBAC',
    `--service-account-key-file=${creds.serviceAccountPub}`,
    `--service-account-signing-key-file=${creds.serviceAccountKey}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    `--kubelet-client-certificate=${creds.clients.apiserverKubelet.cert}`,
    `--kubelet-client-key=${creds.clients.apiserverKubelet.key}`,
    '--kubelet-preferred-address-types=InternalIP,Hostname',
    // The "kubernetes" Endpoints may not hold a loopback address.
    '--endpoint-reconciler-type=none',
    '--allow-privileged=true',
    '--profiling=false',
  ]);
  const admin = { server, token: creds.adminToken, caFile: creds.ca.cert };
  await waitFor(
    'the API server',
    async () => (await kubeRequest(admin, 'GET', '/readyz')).status === 200,
    daemons,
  );

  const writeKubeconfig = (name: string, user: Parameters<typeof kubeconfig>[2]) => {
    const file = path.join(dir, `${name}.kubeconfig`);
    fs.writeFileSync(file, kubeconfig(server, creds.ca.cert, user), { mode: 0o600 });
    return file;
  };
  const adminKubeconfig = writeKubeconfig('admin', { token: creds.adminToken });

  say('kube-controller-manager, kube-scheduler');
  const cmKubeconfig = writeKubeconfig('controller-manager', creds.clients.controllerManager);
  start('kube-controller-manager', binaryPath('kube-controller-manager'), [
    `--kubeconfig=${cmKubeconfig}`,
    `--authentication-kubeconfig=${cmKubeconfig}`,
    `--authorization-kubeconfig=${cmKubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${cmPort}`,
    '--port=0',
    '--leader-elect=false',
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${creds.serviceAccountKey}`,
    `--root-ca-file=${creds.ca.cert}`,
    `--cluster-signing-cert-file=${creds.ca.cert}`,
    `--cluster-signing-key-file=${creds.ca.key}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--profiling=false',
  ]);
  const schedKubeconfig = writeKubeconfig('scheduler', creds.clients.scheduler);
  start('kube-scheduler', binaryPath('kube-scheduler'), [
    `--kubeconfig=${schedKubeconfig}`,
    `--authentication-kubeconfig=${schedKubeconfig}`,
    `--authorization-kubeconfig=${schedKubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${schedPort}`,
    '--port=0',
    '--leader-elect=false',
    '--profiling=false',
  ]);

  say('registry');
  const registry = startRegistry(journal, path.join(dir, 'registry'), registryPort!, logs);
  daemons.push(journal.daemons().at(-1)!);

  say('containerd (private)');
  const socket = path.join(dir, 'containerd.sock');
  const containerdConfig = writeContainerdConfig(dir, socket);
  writeContainerdHosts(path.join(dir, 'containerd', 'certs.d'), registry.address);
  writeCniConfig(path.join(dir, 'cni'));
  journal.record({ kind: 'shims', socket });
  start('containerd', CONTAINERD, ['--config', containerdConfig]);
  // Undone before containerd stops: kills what a failed pod removal left running.
  journal.record({ kind: 'tasks', socket });
  await waitFor('containerd', () => fs.existsSync(socket), daemons);
  await waitFor(
    'containerd to answer',
    () => {
      run('ctr', ['--address', socket, 'version']);
      return true;
    },
    daemons,
  );
  run('ctr', ['--address', socket, '-n', 'k8s.io', 'images', 'import', pauseTarPath()]);

  say('kubelet, kube-proxy');
  const kubeletConfig = path.join(dir, 'kubelet.yaml');
  fs.writeFileSync(kubeletConfig, kubeletConfiguration(creds.ca.cert, kubeletPort!, kubeletHealthz!));
  start(
    'kubelet',
    binaryPath('kubelet'),
    [
      `--config=${kubeletConfig}`,
      `--kubeconfig=${writeKubeconfig('kubelet', creds.clients.kubelet)}`,
      '--container-runtime=remote',
      `--container-runtime-endpoint=unix://${socket}`,
      '--hostname-override=127.0.0.1',
      `--root-dir=${path.join(dir, 'kubelet')}`,
      `--cert-dir=${path.join(dir, 'kubelet', 'pki')}`,
      `--pod-infra-container-image=${PAUSE_IMAGE}`,
      '--v=1',
    ],
    // Its built-in AWS credential provider would otherwise probe a metadata address.
    { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
  );
  const proxyConfig = path.join(dir, 'kube-proxy.yaml');
  fs.writeFileSync(
    proxyConfig,
    kubeProxyConfiguration(
      writeKubeconfig('kube-proxy', creds.clients.kubeProxy),
      proxyHealthz!,
      proxyMetrics!,
    ),
  );
  start('kube-proxy', binaryPath('kube-proxy'), [`--config=${proxyConfig}`]);

  await waitFor('the registry', () => registryAnswers(registry.address), daemons);
  await waitFor(
    'the node to be Ready',
    async () => {
      const node = await kubeJson<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
        admin,
        'GET',
        '/api/v1/nodes/127.0.0.1',
      );
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    },
    daemons,
  );
  await waitFor(
    'the default service account',
    async () =>
      (await kubeRequest(admin, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
    daemons,
  );

  return {
    kubeconfig: adminKubeconfig,
    server,
    token: creds.adminToken,
    caFile: creds.ca.cert,
    registry: registry.address,
    registryUsername: registry.username,
    registryPassword: registry.password,
    podCidr: POD_CIDR,
    serviceCidr: SERVICE_CIDR,
    bridge: BRIDGE,
    containerdSocket: socket,
    startedAt: new Date().toISOString(),
  };
}

export function writeContainerdConfig(dir: string, socket: string): string {
  const root = path.join(dir, 'containerd');
  const file = path.join(root, 'config.toml');
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(
    file,
    `version = 2
root = "${root}/root"
state = "${root}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "${socket}"

[ttrpc]
  address = "${socket}.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${root}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # This sandbox lacks CAP_SYS_RESOURCE: without it every pod fails to start in runc.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN}"
    conf_dir = "${path.join(dir, 'cni')}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${root}/certs.d"
`,
  );
  return file;
}

/** The pod network: Debian's CNI bridge on our bridge, addresses from host-local kept in the state folder. */
export function writeCniConfig(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, '10-deis-test.conflist'),
    JSON.stringify(
      {
        cniVersion: '0.4.0',
        name: 'deis-test',
        plugins: [
          {
            type: 'bridge',
            bridge: BRIDGE,
            isGateway: true,
            ipMasq: false,
            hairpinMode: true,
            ipam: {
              type: 'host-local',
              ranges: [[{ subnet: POD_CIDR, gateway: nthIp(POD_CIDR, 1) }]],
              routes: [{ dst: '0.0.0.0/0' }],
              dataDir: path.join(dir, 'ipam'),
            },
          },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      },
      null,
      2,
    ),
  );
}

function kubeletConfiguration(caFile: string, port: number, healthz: number): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: ${port}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${healthz}
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: ${caFile}
authorization:
  mode: Webhook
cgroupDriver: ${dockerCgroupDriver()}
failSwapOn: false
oomScoreAdj: 0
nodeStatusUpdateFrequency: 2s
# Images imported or pulled once must stay: nothing is pulled from outside.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
# kube-proxy makes the chains it needs; kubelet's own are one more thing to clean up.
makeIPTablesUtilChains: false
serializeImagePulls: false
`;
}

function kubeProxyConfiguration(kubeconfigFile: string, healthz: number, metrics: number): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: ${kubeconfigFile}
hostnameOverride: 127.0.0.1
mode: iptables
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:${healthz}
metricsBindAddress: 127.0.0.1:${metrics}
clusterCIDR: ${POD_CIDR}
nodePortAddresses: ["127.0.0.0/8"]
oomScoreAdj: 0
# 0 leaves the host's conntrack settings alone.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`;
}

/** kubelet must use the cgroup driver the machine's runtimes use (cgroupfs unless systemd runs). */
function dockerCgroupDriver(): string {
  try {
    const driver = run('docker', ['info', '--format', '{{.CgroupDriver}}']).trim();
    if (driver === 'systemd' || driver === 'cgroupfs') return driver;
  } catch {
    // no Docker: decide from whether systemd is PID 1
  }
  return fs.existsSync('/run/systemd/system') ? 'systemd' : 'cgroupfs';
}

/** Stops everything a start did, in reverse order: pods first so kubelet tears their network down. */
export async function stopCluster(say: (line: string) => void = () => {}): Promise<string[]> {
  const dir = stateDir();
  if (!Journal.exists(dir)) return [];
  const journal = new Journal(dir);
  const warnings: string[] = [];
  const warn = (line: string) => {
    warnings.push(line);
    say(`warning: ${line}`);
  };
  const daemons = journal.daemons();
  const byName = (name: string) => daemons.find((d) => d.name === name);
  const info = journal.data.info;
  if (
    info &&
    byName('kubelet') &&
    isRunning(byName('kubelet')!) &&
    byName('kube-apiserver') &&
    isRunning(byName('kube-apiserver')!)
  ) {
    say('removing pods');
    for (const name of ['kube-controller-manager', 'kube-scheduler']) {
      const d = byName(name);
      if (d) await undo({ kind: 'daemon', daemon: d }, warn);
    }
    await drainPods(info, warn);
  }
  const kubeProxy = fs.existsSync(binaryPath('kube-proxy')) ? binaryPath('kube-proxy') : undefined;
  for (const step of [...journal.data.undo].reverse()) {
    if (step.kind === 'daemon') say(`stopping ${step.daemon.name} (pid ${step.daemon.pid})`);
    try {
      await undo(step, warn, kubeProxy);
    } catch (err) {
      warn(`${step.kind}: ${(err as Error).message}`);
    }
  }
  return warnings;
}

async function drainPods(info: ClusterInfo, warn: (line: string) => void): Promise<void> {
  try {
    const namespaces = await kubeJson<{ items: Array<{ metadata: { name: string } }> }>(
      info,
      'GET',
      '/api/v1/namespaces',
    );
    for (const ns of namespaces.items) {
      await kubeRequest(info, 'DELETE', `/api/v1/namespaces/${ns.metadata.name}/pods?gracePeriodSeconds=0`);
    }
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const pods = await kubeJson<{ items: unknown[] }>(info, 'GET', '/api/v1/pods');
      if (pods.items.length === 0) return;
      await sleep(500);
    }
    warn('pods were still being removed after 60 s');
  } catch (err) {
    warn(`could not remove pods through the API: ${(err as Error).message}`);
  }
}
