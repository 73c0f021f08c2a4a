/** How a release's process becomes a container: env, command, port and limits, as Deis builds a pod. */
import { describe, expect, it } from 'vitest';
import {
  appPort,
  cpuCores,
  memoryBytes,
  processCommand,
  processEnv,
  processTypes,
  routedType,
  runCommand,
} from '../../cluster/docker/process-spec';
import type { ReleaseSpec } from '../../cluster/target';

const release = (over: Partial<ReleaseSpec> = {}): ReleaseSpec => ({
  app: 'demo',
  version: 4,
  image: 'deis-desktop/demo:git-abcdef12',
  procfile: { web: 'node server.js', worker: 'node worker.js' },
  dockerfile: false,
  sha: 'abcdef12',
  summary: 'owner deployed abcdef1',
  created: '2026-01-02T03:04:05Z',
  values: {},
  memory: {},
  cpu: {},
  healthcheck: {},
  ...over,
});

describe('process environment', () => {
  it('gives every process Deis variables, PORT 5000 by default and SOURCE_VERSION of a push', () => {
    expect(processEnv(release(), 5000)).toEqual({
      DEIS_APP: 'demo',
      WORKFLOW_RELEASE: 'v4',
      WORKFLOW_RELEASE_SUMMARY: 'owner deployed abcdef1',
      WORKFLOW_RELEASE_CREATED_AT: '2026-01-02T03:04:05Z',
      PORT: '5000',
      SOURCE_VERSION: 'abcdef12',
    });
  });

  it("lets the app's own values win and leaves SOURCE_VERSION out for pulled images", () => {
    const env = processEnv(release({ sha: '', values: { PORT: '8000', DEIS_APP: 'mine', X: '1' } }), 8000);
    expect(env).toMatchObject({ PORT: '8000', DEIS_APP: 'mine', X: '1' });
    expect(env).not.toHaveProperty('SOURCE_VERSION');
  });

  it('takes PORT from config, else the EXPOSE of a Dockerfile image, else 5000', () => {
    expect(appPort(release({ values: { PORT: '8080' } }), 3000)).toBe(8080);
    expect(appPort(release({ dockerfile: true }), 3000)).toBe(3000);
    expect(appPort(release({ dockerfile: false }), 3000)).toBe(5000);
    expect(appPort(release({ dockerfile: true }))).toBe(5000);
  });
});

describe('process commands', () => {
  it('starts buildpack types through /runner/init', () => {
    expect(processCommand(release(), 'worker')).toEqual({ entrypoint: ['/runner/init'], cmd: ['worker'] });
  });

  it("runs a Dockerfile image's Procfile with bash and its cmd type as the image says", () => {
    const r = release({ dockerfile: true });
    expect(processCommand(r, 'web')).toEqual({ entrypoint: ['/bin/bash', '-c'], cmd: ['node server.js'] });
    expect(processCommand(r, 'cmd')).toEqual({});
  });

  it('runs one-off commands with the same setup as processes', () => {
    expect(runCommand(release(), 'ls')).toEqual({ entrypoint: ['/runner/init'], cmd: ['bash', '-c', 'ls'] });
    expect(runCommand(release({ dockerfile: true }), 'ls')).toEqual({
      entrypoint: ['/bin/bash', '-c'],
      cmd: ['ls'],
    });
  });

  it('routes web, else cmd, and nothing else', () => {
    expect(processTypes(release({ dockerfile: true, procfile: {} }))).toEqual(['cmd']);
    expect(routedType(['worker', 'cmd', 'web'])).toBe('web');
    expect(routedType(['worker', 'cmd'])).toBe('cmd');
    expect(routedType(['worker'])).toBeUndefined();
  });
});

describe('limits', () => {
  it('reads Deis memory as bytes, with request/limit', () => {
    expect(memoryBytes('512M')).toEqual({ limit: 512 * 1024 ** 2 });
    expect(memoryBytes('1GB')).toEqual({ limit: 1024 ** 3 });
    expect(memoryBytes('256m/1g')).toEqual({ request: 256 * 1024 ** 2, limit: 1024 ** 3 });
    expect(memoryBytes('0')).toEqual({ limit: undefined });
    expect(memoryBytes(undefined)).toEqual({});
  });

  it('reads Deis cpu as cores, millicores included', () => {
    expect(cpuCores('500m')).toEqual({ limit: 0.5 });
    expect(cpuCores('2')).toEqual({ limit: 2 });
    expect(cpuCores('250m/1')).toEqual({ request: 0.25, limit: 1 });
  });
});
