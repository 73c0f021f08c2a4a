/**
 * The Docker target's networks. Each app's processes and one-off runs live on a network of their own,
 * so one app reaches another only through the router, whose whitelist and maintenance mode then
 * apply (Docker drops traffic between bridge networks). The router sits on every app network and on
 * its home network, where its port is published.
 *
 * Every network has a subnet we chose and every container a fixed address in it: the router's tables
 * name addresses, and they must survive a restart of dockerd with no core there (dynamic addresses
 * may be handed out in another order, and the router would send traffic to the wrong app).
 *
 * Subnets are /24s of 10.222.0.0/16, each picked so that it overlaps no other Docker network and no
 * address of this machine (a VPN, say): an engine has room for about 250 networks, all instances
 * together — one home per core, one per app that has run something. In an app's /24: .1 is the
 * gateway, .2 the router, .3–.223 are fixed addresses for processes (221: room for
 * MAX_PROCESSES_PER_APP old and as many new processes during a deploy) and Docker hands .224–.254 to
 * one-off runs (MAX_RUNS_PER_APP). A home network made by an earlier version (a /22 every process
 * shared) stays the router's home; its processes move to their app's network at the next start.
 */
import os from 'node:os';
import type Docker from 'dockerode';
import { TargetError } from '../target';
import { LABEL_APP, LABEL_INSTANCE, LABEL_ROLE, labelsFor } from './labels';

export interface Network {
  name: string;
  /** The subnet's first address as a 32-bit number, and how many addresses it has. */
  base: number;
  size: number;
}

/** Where the app networks' fixed and dynamic addresses are, as offsets in their /24. */
const FIXED_FIRST = 3;
const FIXED_LAST = 223;
const DYNAMIC_RANGE = 224;
const BLOCK = '10.222';

const toIp = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const fromIp = (ip: string) => ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);

function parse(name: string, subnet: string): Network {
  const [ip, bits] = subnet.split('/');
  return { name, base: fromIp(ip!), size: 2 ** (32 - Number(bits)) };
}

/** The app's network: it sorts after the home network, so the router's port stays on its home. */
export const appNetworkName = (instance: string, app: string): string => `${instance}-app-${app}`;

/** The router always sits on the first address after the gateway, on every network. */
export const routerAddress = (net: Network): string => toIp(net.base + 2);

/** The network's gateway: the host's own address on it (the peer of the router's published port). */
export const gatewayAddress = (net: Network): string => toIp(net.base + 1);

const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

async function inspect(docker: Docker, name: string): Promise<Docker.NetworkInspectInfo | undefined> {
  try {
    return (await docker.getNetwork(name).inspect()) as Docker.NetworkInspectInfo;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

function own(name: string, info: Docker.NetworkInspectInfo): Network {
  const subnet = info.IPAM?.Config?.find((c) => c.Subnet?.includes('.'))?.Subnet;
  if (!subnet)
    throw new TargetError(
      'setup',
      `The Docker network ${name} has no subnet of its own; remove it and restart.`,
    );
  return parse(name, subnet);
}

/** IPv4 ranges in use: every Docker network's subnets, and this machine's own addresses. */
async function usedRanges(docker: Docker): Promise<[number, number][]> {
  const ranges: [number, number][] = [];
  for (const n of await docker.listNetworks())
    for (const c of n.IPAM?.Config ?? []) {
      if (!c.Subnet?.includes('.')) continue;
      const { base, size } = parse('', c.Subnet);
      ranges.push([base, base + size - 1]);
    }
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? [])
      if (a.family === 'IPv4' && !a.internal) {
        const n = fromIp(a.address);
        ranges.push([n, n]);
      }
  return ranges;
}

/**
 * Creates a network on a free /24 of 10.222.0.0/16. Another core may take the same subnet at the
 * same moment: Docker then refuses the overlap, and the search starts again from what is in use.
 */
async function create(
  docker: Docker,
  name: string,
  labels: Record<string, string>,
  dynamicRange: boolean,
): Promise<Network> {
  // Start somewhere that depends on the name, so parallel instances rarely race for one subnet.
  const start = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 256;
  for (let attempt = 0; attempt < 8; attempt++) {
    const used = await usedRanges(docker);
    let tried = false;
    for (let i = 0; i < 256; i++) {
      const base = fromIp(`${BLOCK}.${(start + i) % 256}.0`);
      if (used.some(([lo, hi]) => lo <= base + 255 && base <= hi)) continue;
      tried = true;
      const subnet = `${toIp(base)}/24`;
      try {
        await docker.createNetwork({
          Name: name,
          Driver: 'bridge',
          CheckDuplicate: true,
          Labels: labels,
          IPAM: {
            Driver: 'default',
            Config: [
              {
                Subnet: subnet,
                Gateway: toIp(base + 1),
                ...(dynamicRange ? { IPRange: `${toIp(base + DYNAMIC_RANGE)}/27` } : {}),
              },
            ],
          },
        });
        return parse(name, subnet);
      } catch (err) {
        const message = String((err as Error).message);
        if (/already exists/i.test(message)) {
          const info = await inspect(docker, name);
          if (info) return own(name, info);
        }
        if (!/overlap/i.test(message)) throw err;
        break;
      }
    }
    if (!tried) break;
  }
  throw new TargetError(
    'setup',
    `No free ${BLOCK}.x.0/24 subnet is left for the Docker network ${name}; remove Docker networks you no longer use (docker network prune).`,
  );
}

/** The router's home network (where its port is published); made on first use. */
export async function ensureHomeNetwork(docker: Docker, name: string, instance: string): Promise<Network> {
  const info = await inspect(docker, name);
  if (info) return own(name, info);
  return create(docker, name, labelsFor(instance, 'network'), false);
}

/** The app's own network; made the first time the app runs something. */
export async function ensureAppNetwork(docker: Docker, instance: string, app: string): Promise<Network> {
  const name = appNetworkName(instance, app);
  const info = await inspect(docker, name);
  if (info) {
    if (info.Labels?.[LABEL_INSTANCE] !== instance || info.Labels?.[LABEL_APP] !== app)
      throw new TargetError(
        'setup',
        `The Docker network ${name} was not made for app ${app} of this Deis Desktop; remove it and try again.`,
      );
    return own(name, info);
  }
  return create(docker, name, labelsFor(instance, 'network', { [LABEL_APP]: app }), true);
}

const LABEL_ROLE_SERVICES = 'io.deis-desktop.services';

/**
 * The network backing services live on until they are attached (then they join each app's network
 * too): only services are on it, with addresses from its dynamic range (31 of them).
 */
export async function ensureServicesNetwork(docker: Docker, instance: string): Promise<Network> {
  const name = `${instance}-services`;
  const info = await inspect(docker, name);
  if (info) return own(name, info);
  return create(docker, name, labelsFor(instance, 'network', { [LABEL_ROLE_SERVICES]: 'true' }), true);
}

/** This instance's app networks, by app. */
export async function appNetworks(docker: Docker, instance: string): Promise<Map<string, Network>> {
  const list = await docker.listNetworks({
    filters: { label: [`${LABEL_INSTANCE}=${instance}`, `${LABEL_ROLE}=network`, LABEL_APP] },
  });
  const found = new Map<string, Network>();
  for (const n of list) {
    const app = n.Labels?.[LABEL_APP];
    const subnet = n.IPAM?.Config?.find((c) => c.Subnet?.includes('.'))?.Subnet;
    if (app && subnet && n.Name === appNetworkName(instance, app)) found.set(app, parse(n.Name, subnet));
  }
  return found;
}

/** Removes an app's network once nothing but the router is on it (anything else: it stays). */
export async function removeAppNetwork(docker: Docker, net: Network, router: string): Promise<boolean> {
  const info = await inspect(docker, net.name);
  if (!info) return true;
  // Stopped containers on it are not in its inspect, but would lose their network with it.
  const attached = await docker.listContainers({ all: true, filters: { network: [net.name] } });
  const others = [
    ...Object.values(info.Containers ?? {}).map((c) => c.Name),
    ...attached.map((c) => (c.Names[0] ?? '').replace(/^\//, '')),
  ].filter((name) => name !== router);
  if (others.length > 0) return false;
  await docker
    .getNetwork(net.name)
    .disconnect({ Container: router, Force: true })
    .catch(() => undefined);
  try {
    await docker.getNetwork(net.name).remove();
    return true;
  } catch (err) {
    if (statusOf(err) === 404) return true;
    return false;
  }
}

/**
 * Hands out free fixed addresses of app networks; addresses in use are read from Docker, so
 * restarts of the core are safe.
 */
export class AddressPool {
  private readonly reserved = new Set<string>();

  constructor(private readonly docker: Docker) {}

  async take(net: Network): Promise<string> {
    const info = (await this.docker.getNetwork(net.name).inspect()) as {
      Containers?: Record<string, { IPv4Address?: string }>;
    };
    const used = new Set(
      Object.values(info.Containers ?? {}).map((c) => (c.IPv4Address ?? '').split('/')[0]),
    );
    // Containers that exist but are stopped hold their address too (it comes back when they restart).
    for (const c of await this.docker.listContainers({ all: true, filters: { network: [net.name] } }))
      for (const n of Object.values(c.NetworkSettings?.Networks ?? {}))
        if (n.IPAMConfig?.IPv4Address) used.add(n.IPAMConfig.IPv4Address);
    const count = Math.min(FIXED_LAST, net.size - 2) - FIXED_FIRST + 1;
    const offset = Math.floor(Math.random() * count);
    for (let i = 0; i < count; i++) {
      const ip = toIp(net.base + FIXED_FIRST + ((offset + i) % count));
      if (!used.has(ip) && !this.reserved.has(ip)) {
        this.reserved.add(ip);
        return ip;
      }
    }
    throw new TargetError('setup', `No free address left on the Docker network ${net.name}.`);
  }

  /** Forgets an in-process reservation once the container holds the address (or was never made). */
  release(ip: string): void {
    this.reserved.delete(ip);
  }
}
