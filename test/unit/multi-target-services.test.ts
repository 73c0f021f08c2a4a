/**
 * The multi-target routes a backing service's work to the target the service lives on: `local`'s to
 * the core's own target, an added target's to that target, connected (it adopts its apps) on first
 * use; a target that is away answers with its reason, and one without a method says so.
 */
import { describe, expect, it } from 'vitest';
import type { RunningTarget } from '../../cluster';
import { MultiTarget, type TargetDirectory } from '../../cluster/multi-target';
import { TargetError, type ServiceSpec } from '../../cluster/target';

const spec = (name: string): ServiceSpec => ({
  name,
  kind: 'postgres',
  image: 'postgres:15',
  env: {},
  dataPath: '/data',
  readiness: { command: ['true'], env: {} },
});

/** A target that records what it was asked, by its name. */
function recording(name: string, calls: string[], ready: () => Promise<void> = async () => {}) {
  return {
    routerPort: 0,
    ensureReady: async () => {
      calls.push(`${name}: ensureReady`);
      await ready();
    },
    provisionService: async (s: ServiceSpec) => {
      calls.push(`${name}: provision ${s.name}`);
      return { image: `${name}-image` };
    },
    connectService: async (service: string, app: string) => {
      calls.push(`${name}: connect ${service} to ${app}`);
      return `${name}-host`;
    },
    destroyService: async (service: string) => void calls.push(`${name}: destroy ${service}`),
    close: async () => undefined,
  } as unknown as RunningTarget;
}

function directory(services: Record<string, string>, make: TargetDirectory['make']): TargetDirectory {
  return {
    targetOf: () => 'local',
    make,
    desiredOn: () => [],
    serviceTargetOf: (service) => services[service] ?? 'local',
  };
}

describe('backing services on the multi-target', () => {
  it("sends each service's work to its own target, connecting an added one on first use", async () => {
    const calls: string[] = [];
    const multi = new MultiTarget(
      recording('local', calls),
      directory({ 'db-edge': 'edge' }, (name) => (name === 'edge' ? recording('edge', calls) : undefined)),
    );
    expect(await multi.provisionService(spec('db1'), () => {})).toEqual({ image: 'local-image' });
    expect(await multi.provisionService(spec('db-edge'), () => {})).toEqual({ image: 'edge-image' });
    expect(await multi.connectService('db-edge', 'web-edge')).toBe('edge-host');
    await multi.destroyService('db1');
    expect(calls).toEqual([
      'local: provision db1',
      'edge: ensureReady',
      'edge: provision db-edge',
      'edge: connect db-edge to web-edge',
      'local: destroy db1',
    ]);
    expect(multi.status('edge').state).toBe('ready');
  });

  it('answers with the reason when the target is away or gone, and when it lacks the method', async () => {
    const calls: string[] = [];
    const multi = new MultiTarget(
      recording('local', calls),
      directory({ 'db-away': 'away', 'db-gone': 'gone', 'db-edge': 'edge' }, (name) =>
        name === 'away'
          ? recording('away', calls, () =>
              Promise.reject(new TargetError('unavailable', 'Nothing accepts SSH connections there.')),
            )
          : name === 'edge'
            ? recording('edge', calls)
            : undefined,
      ),
    );
    const away = await multi.provisionService(spec('db-away'), () => {}).catch((e: unknown) => e);
    expect(away).toBeInstanceOf(TargetError);
    expect(away).toMatchObject({ code: 'unavailable', message: 'Nothing accepts SSH connections there.' });
    await expect(multi.connectService('db-gone', 'web')).rejects.toMatchObject({
      code: 'unavailable',
      message: 'The target gone does not exist (it was removed); the app cannot run.',
    });
    await expect(multi.serviceLogs('db-edge', 10)).rejects.toMatchObject({
      code: 'invalid',
      message: 'Service logs are not available on this target yet; use the Docker target.',
    });
    expect(calls.filter((c) => c.includes('provision'))).toEqual([]);
  });
});
