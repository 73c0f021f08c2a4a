import { describe, expect, it } from 'vitest';
import { emptyConfig, mergeConfig, type ConfigData } from '../../main/controller/config-merge';
import { configChanges, deployedSummary, dictDiff, joinSummary } from '../../main/controller/summary';
import { DeisError } from '../../main/contract/errors';

const config = (over: Partial<ConfigData> = {}): ConfigData => ({ ...emptyConfig(), ...over });

function rejection(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof DeisError) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('config merge', () => {
  it('sets, overwrites and removes keys without touching the others', () => {
    const before = config({ values: { A: '1', B: '2', C: '3' } });
    const after = mergeConfig(before, { values: { A: '10', B: null, D: '4' } });
    expect(after.values).toEqual({ A: '10', C: '3', D: '4' });
    expect(before.values).toEqual({ A: '1', B: '2', C: '3' });
  });

  it('answers 422 for removing a key that is not there, naming the field', () => {
    expect(rejection(() => mergeConfig(config(), { values: { NOPE: null } }))).toEqual({
      status: 422,
      message: 'NOPE does not exist under values',
    });
    expect(rejection(() => mergeConfig(config(), { memory: { web: null } })).message).toBe(
      'web does not exist under memory',
    );
    expect(rejection(() => mergeConfig(config(), { cpu: { web: null } })).message).toBe(
      'web does not exist under cpu',
    );
    expect(rejection(() => mergeConfig(config(), { tags: { disk: null } })).message).toBe(
      'disk does not exist under tags',
    );
    expect(rejection(() => mergeConfig(config(), { healthcheck: { web: null } })).message).toBe(
      'web does not exist under healthcheck',
    );
  });

  it('merges probes per process type and removes one probe or a whole type', () => {
    const live = { tcpSocket: { port: 5000 } };
    const ready = { httpGet: { port: 5000, path: '/ready' } };
    let c = mergeConfig(config(), { healthcheck: { web: { livenessProbe: live } } });
    c = mergeConfig(c, { healthcheck: { web: { readinessProbe: ready }, worker: { livenessProbe: live } } });
    expect(c.healthcheck).toEqual({
      web: { livenessProbe: live, readinessProbe: ready },
      worker: { livenessProbe: live },
    });
    c = mergeConfig(c, { healthcheck: { web: { livenessProbe: null }, worker: null } });
    expect(c.healthcheck).toEqual({ web: { readinessProbe: ready } });
    expect(rejection(() => mergeConfig(c, { healthcheck: { web: { livenessProbe: null } } })).status).toBe(
      422,
    );
  });

  it('reads health checks stored at the top level as web/cmd', () => {
    const legacy = config({ healthcheck: { livenessProbe: { tcpSocket: { port: 1 } } } as never });
    const c = mergeConfig(legacy, {
      healthcheck: { 'web/cmd': { readinessProbe: { tcpSocket: { port: 2 } } } },
    });
    expect(c.healthcheck).toEqual({
      'web/cmd': { livenessProbe: { tcpSocket: { port: 1 } }, readinessProbe: { tcpSocket: { port: 2 } } },
    });
  });

  it('turns legacy HEALTHCHECK_* values into web/cmd probes with Deis defaults', () => {
    const c = mergeConfig(config({ values: { HEALTHCHECK_TIMEOUT: '5', KEEP: '1' } }), {
      values: { HEALTHCHECK_URL: '/healthz', HEALTHCHECK_PERIOD_SECONDS: '7' },
    });
    const probe = {
      initialDelaySeconds: 50,
      timeoutSeconds: 5,
      periodSeconds: 7,
      successThreshold: 1,
      failureThreshold: 3,
      httpGet: { path: '/healthz' },
    };
    expect(c.values).toEqual({ KEEP: '1' });
    expect(c.healthcheck).toEqual({ 'web/cmd': { livenessProbe: probe, readinessProbe: probe } });
  });

  it('leaves HEALTHCHECK_* values alone while there is no HEALTHCHECK_URL', () => {
    expect(mergeConfig(config(), { values: { HEALTHCHECK_TIMEOUT: '5' } }).values).toEqual({
      HEALTHCHECK_TIMEOUT: '5',
    });
  });

  it('needs PORT once registry credentials are set, and keeps needing it', () => {
    expect(rejection(() => mergeConfig(config(), { registry: { username: 'u' } }))).toEqual({
      status: 400,
      message: 'PORT needs to be set in the config when using a private registry',
    });
    const c = mergeConfig(config(), { values: { PORT: '8080' }, registry: { username: 'u', password: 'p' } });
    expect(c.registry).toEqual({ username: 'u', password: 'p' });
    expect(rejection(() => mergeConfig(c, { values: { PORT: null } })).status).toBe(400);
  });
});

describe('release summaries', () => {
  it('diffs keys into sorted added, changed and deleted lists', () => {
    expect(dictDiff({ b: '1', a: '2', c: '3' }, { c: '0', d: '4' })).toEqual({
      added: ['a', 'b'],
      changed: ['c'],
      deleted: ['d'],
    });
    expect(dictDiff({ w: { x: 1, y: 2 } }, { w: { y: 2, x: 1 } })).toEqual({
      added: [],
      changed: [],
      deleted: [],
    });
  });

  it('describes a values change the way Deis does', () => {
    const older = config({ values: { K3: 'a', K4: 'b' } });
    const newer = config({ values: { K1: '1', K2: '2', K3: 'z' } });
    expect(joinSummary(configChanges('alice', older, newer))).toBe(
      'alice added K1, K2, changed K3, deleted K4',
    );
  });

  it('names limits, tags, registry and health checks, joined with " and "', () => {
    const older = config({ tags: { zone: 'a' }, registry: { password: 'p' } });
    const newer = config({
      values: { A: '1' },
      memory: { web: '1G' },
      cpu: { web: '1' },
      tags: { disk: 'ssd' },
      registry: { password: 'q', username: 'u' },
      healthcheck: { web: { livenessProbe: { tcpSocket: { port: 1 } } } },
    });
    expect(joinSummary(configChanges('bob', older, newer))).toBe(
      'bob added A and bob changed limits for memory, cpu and bob added tag disk, deleted tag zone' +
        ' and bob added registry info username, changed registry info password' +
        ' and bob added healthcheck info for proc type web',
    );
  });

  it('finds nothing to say when nothing changed', () => {
    const same = config({ values: { A: '1' } });
    expect(configChanges('bob', same, config({ values: { A: '1' } }))).toEqual([]);
  });

  it('names a deploy by short sha for git pushes and by image otherwise', () => {
    expect(deployedSummary('u', { image: 'nginx:1', sha: '' })).toBe('u deployed nginx:1');
    expect(deployedSummary('u', { image: 'x', sha: 'abcdef12' })).toBe('u deployed abcdef1');
  });
});
