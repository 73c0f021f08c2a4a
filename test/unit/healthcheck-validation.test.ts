import { describe, expect, it } from 'vitest';
import { parseBody } from '../../main/api/validate';
import { SetConfigRequest } from '../../main/contract/config';
import { DeisError } from '../../main/contract/errors';
import { pyRepr } from '../../main/contract/python';

function healthcheckError(healthcheck: unknown): string | undefined {
  try {
    parseBody(SetConfigRequest, { healthcheck });
    return undefined;
  } catch (err) {
    if (err instanceof DeisError) return err.fields?.healthcheck?.[0];
    throw err;
  }
}
const parse = (healthcheck: unknown) => parseBody(SetConfigRequest, { healthcheck }).healthcheck;

// What `deis healthchecks:set liveness httpGet 8080 --path /healthz` sends.
const cliProbe = {
  initialDelaySeconds: 50,
  timeoutSeconds: 50,
  periodSeconds: 10,
  successThreshold: 1,
  failureThreshold: 3,
  httpGet: { path: '/healthz', port: 8080, httpHeaders: [{ key: 'X-A', value: 'b' }] },
};

describe('health check validation', () => {
  it('accepts the probes the CLI sends, per process type', () => {
    const hc = { web: { livenessProbe: cliProbe, readinessProbe: { tcpSocket: { port: 5000 } } } };
    expect(parse(hc)).toEqual(hc);
  });

  it('reads the legacy top-level form as the web/cmd process type', () => {
    expect(parse({ livenessProbe: cliProbe })).toEqual({ 'web/cmd': { livenessProbe: cliProbe } });
  });

  it('keeps null probes and null process types as removals', () => {
    expect(parse({ 'web/cmd': { livenessProbe: null }, worker: null })).toEqual({
      'web/cmd': { livenessProbe: null },
      worker: null,
    });
  });

  it('allows only livenessProbe and readinessProbe', () => {
    expect(healthcheckError({ web: { startupProbe: { tcpSocket: { port: 1 } } } })).toBe(
      'Healthcheck keys must be either livenessProbe or readinessProbe',
    );
  });

  it('fixes the liveness successThreshold at 1 but not the readiness one', () => {
    expect(healthcheckError({ web: { livenessProbe: { ...cliProbe, successThreshold: 2 } } })).toBe(
      'livenessProbe successThreshold can only be 1',
    );
    expect(
      healthcheckError({ web: { readinessProbe: { ...cliProbe, successThreshold: 2 } } }),
    ).toBeUndefined();
  });

  it('checks the probe schema with jsonschema-style messages', () => {
    const noPort = { httpGet: { path: '/' } };
    expect(healthcheckError({ web: { livenessProbe: noPort } })).toBe(
      "could not validate {'httpGet': {'path': '/'}}: 'port' is a required property",
    );
    expect(healthcheckError({ web: { livenessProbe: { tcpSocket: { port: '80' } } } })).toBe(
      "could not validate {'tcpSocket': {'port': '80'}}: '80' is not of type 'integer'",
    );
    expect(healthcheckError({ web: { livenessProbe: { exec: { command: [] } } } })).toBe(
      "could not validate {'exec': {'command': []}}: [] is too short",
    );
    expect(healthcheckError({ web: { readinessProbe: { periodSeconds: true } } })).toBe(
      "could not validate {'periodSeconds': True}: True is not of type 'integer'",
    );
    expect(healthcheckError({ web: { readinessProbe: 'tcp' } })).toBe(
      "could not validate 'tcp': 'tcp' is not of type 'object'",
    );
  });

  it('rejects a process type that is not a dictionary of probes', () => {
    expect(healthcheckError({ web: 5 })).toBe('Expected a dictionary of items but got type "int".');
  });
});

describe('Python repr in messages', () => {
  it('quotes like Python', () => {
    expect(pyRepr("it's")).toBe('"it\'s"');
    expect(pyRepr('a\nb')).toBe("'a\\nb'");
    expect(pyRepr({ a: [1, null, false] })).toBe("{'a': [1, None, False]}");
  });
});
