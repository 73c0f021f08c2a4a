/** The test cluster's pod and service ranges must not take over a route the machine already has. */
import { describe, expect, it } from 'vitest';
import { nthIp, overlappingLine } from '../support/k8s/host';

const routes = [
  'default via 192.0.2.1 dev eth0',
  '10.222.65.0/24 dev br-642c07d0827c proto kernel scope link src 10.222.65.1 linkdown',
  '172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1',
  'local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1',
  '10.96.0.5 dev tun0 scope link',
];

describe('pod and service ranges', () => {
  it('are free when no route overlaps them (the default route does not count)', () => {
    expect(overlappingLine('10.244.0.0/24', routes)).toBeUndefined();
    expect(overlappingLine('10.245.0.0/24', routes)).toBeUndefined();
  });

  it('collide with a route inside them, around them, or a host route', () => {
    expect(overlappingLine('10.222.0.0/16', routes)).toMatch(/^10\.222\.65\.0\/24/);
    expect(overlappingLine('172.17.5.0/24', routes)).toMatch(/^172\.17\.0\.0\/16/);
    expect(overlappingLine('10.96.0.0/24', routes)).toMatch(/^10\.96\.0\.5 /);
  });

  it('give the bridge and the first service their addresses', () => {
    expect(nthIp('10.244.0.0/24', 1)).toBe('10.244.0.1');
    expect(nthIp('10.245.0.0/24', 1)).toBe('10.245.0.1');
    expect(nthIp('10.244.0.0/24', 256)).toBe('10.244.1.0');
  });
});
