/**
 * The one network the router and every process share. It has a subnet we chose, so each container
 * gets a fixed address: the router's config names addresses, and they survive a restart of dockerd
 * (dynamic addresses may be handed out in another order, and then the router would send traffic to
 * the wrong app without the core there to fix it).
 */
import type Docker from 'dockerode';
import { TargetError } from '../target';
import { labelsFor } from './labels';

export interface SharedNetwork {
  name: string;
  /** The subnet's first address as a 32-bit number, and how many addresses it has. */
  base: number;
  size: number;
}

const toIp = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const fromIp = (ip: string) => ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);

function parse(name: string, subnet: string): SharedNetwork {
  const [ip, bits] = subnet.split('/');
  return { name, base: fromIp(ip!), size: 2 ** (32 - Number(bits)) };
}

/** Creates the network on first use, trying candidate /22 subnets until one overlaps nothing. */
export async function ensureNetwork(docker: Docker, name: string, instance: string): Promise<SharedNetwork> {
  try {
    const info = (await docker.getNetwork(name).inspect()) as { IPAM?: { Config?: { Subnet?: string }[] } };
    const subnet = info.IPAM?.Config?.[0]?.Subnet;
    if (subnet) return parse(name, subnet);
    throw new TargetError(
      'setup',
      `The Docker network ${name} has no subnet of its own; remove it and restart.`,
    );
  } catch (err) {
    if (err instanceof TargetError) throw err;
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  // Start somewhere that depends on the name, so parallel instances rarely race for one subnet.
  const start = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 64;
  for (let i = 0; i < 64; i++) {
    const subnet = `10.222.${((start + i) % 64) * 4}.0/22`;
    try {
      await docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: labelsFor(instance, 'network'),
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
      });
      return parse(name, subnet);
    } catch (err) {
      const message = String((err as Error).message);
      if (/already exists/i.test(message)) return ensureNetwork(docker, name, instance);
      if (!/overlap/i.test(message)) throw err;
    }
  }
  throw new TargetError('setup', 'Could not find a free 10.222.x.0/22 subnet for the Docker network.');
}

/** The router always sits on the first address after the gateway. */
export const routerAddress = (net: SharedNetwork): string => toIp(net.base + 2);

/** Hands out free addresses; addresses in use are read from Docker, so restarts of the core are safe. */
export class AddressPool {
  private readonly reserved = new Set<string>();

  constructor(
    private readonly docker: Docker,
    private readonly net: SharedNetwork,
  ) {}

  async take(): Promise<string> {
    const info = (await this.docker.getNetwork(this.net.name).inspect()) as {
      Containers?: Record<string, { IPv4Address?: string }>;
    };
    const used = new Set(
      Object.values(info.Containers ?? {}).map((c) => (c.IPv4Address ?? '').split('/')[0]),
    );
    // Containers that exist but are stopped hold their address too (it comes back when they restart).
    for (const c of await this.docker.listContainers({ all: true, filters: { network: [this.net.name] } }))
      for (const n of Object.values(c.NetworkSettings?.Networks ?? {}))
        if (n.IPAMConfig?.IPv4Address) used.add(n.IPAMConfig.IPv4Address);
    const first = 3;
    const count = this.net.size - first - 1;
    const offset = Math.floor(Math.random() * count);
    for (let i = 0; i < count; i++) {
      const ip = toIp(this.net.base + first + ((offset + i) % count));
      if (!used.has(ip) && !this.reserved.has(ip)) {
        this.reserved.add(ip);
        return ip;
      }
    }
    throw new TargetError('setup', `No free address left on the Docker network ${this.net.name}.`);
  }

  /** Forgets an in-process reservation once the container holds the address (or was never made). */
  release(ip: string): void {
    this.reserved.delete(ip);
  }
}
