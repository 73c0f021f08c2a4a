/** The edge's rules on their own: which Host, Origin, Sec-Fetch-Site and Content-Type pass. */
import { describe, expect, it } from 'vitest';
import { checkContentType, checkHost, checkOrigin, coreHostNames } from '../../main/api/edge';
import { DeisError } from '../../main/contract/errors';

const core = { names: coreHostNames('example.test'), port: 8765 };

function outcome(fn: () => void): number | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof DeisError) return err.status;
    throw err;
  }
}

describe('Host', () => {
  it.each([
    ['127.0.0.1:8765', 'ok'],
    ['localhost:8765', 'ok'],
    ['LOCALHOST:8765', 'ok'],
    ['deis.example.test:8765', 'ok'],
    [undefined, 400],
    ['', 400],
    ['localhost', 400],
    ['localhost:80', 400],
    ['localhost.:8765', 400],
    ['evil.example:8765', 400],
    ['app.localhost:8765', 400],
    ['deis.localhost:8765', 400],
    ['[::1]:8765', 400],
    ['user@localhost:8765', 400],
    ['localhost:8765, evil.example', 400],
    ['127.0.0.1:8765.evil.example', 400],
  ] as const)('%s → %s', (host, want) => {
    expect(outcome(() => checkHost(host === undefined ? {} : { host }, core))).toBe(want);
  });

  it('accepts a name without a port only when the core is on port 80', () => {
    expect(outcome(() => checkHost({ host: 'localhost' }, { ...core, port: 80 }))).toBe('ok');
  });
});

describe('Origin and Sec-Fetch-Site', () => {
  it.each([
    [{}, 'ok'],
    [{ origin: 'http://127.0.0.1:8765' }, 'ok'],
    [{ origin: 'http://localhost:8765' }, 'ok'],
    [{ origin: 'HTTP://LOCALHOST:8765' }, 'ok'],
    [{ origin: 'http://deis.example.test:8765' }, 'ok'],
    [{ 'sec-fetch-site': 'same-origin' }, 'ok'],
    [{ 'sec-fetch-site': 'none' }, 'ok'],
    [{ origin: 'null' }, 403],
    [{ origin: '' }, 403],
    [{ origin: 'http://evil.example' }, 403],
    [{ origin: 'http://localhost:8080' }, 403],
    [{ origin: 'http://localhost' }, 403],
    [{ origin: 'https://localhost:8765' }, 403],
    [{ origin: 'http://localhost:8765.evil.example' }, 403],
    [{ 'sec-fetch-site': 'cross-site' }, 403],
    [{ 'sec-fetch-site': 'same-site' }, 403],
    [{ 'sec-fetch-site': 'something-new' }, 403],
    [{ origin: 'http://127.0.0.1:8765', 'sec-fetch-site': 'cross-site' }, 403],
  ] as const)('%o → %s', (headers, want) => {
    expect(outcome(() => checkOrigin(headers, core))).toBe(want);
  });
});

describe('Content-Type', () => {
  it.each([
    [{ 'content-length': '2', 'content-type': 'application/json' }, 'ok'],
    [{ 'content-length': '2', 'content-type': 'application/json; charset=utf-8' }, 'ok'],
    [{ 'content-length': '2', 'content-type': 'Application/JSON' }, 'ok'],
    [{ 'content-length': '0', 'content-type': 'text/plain' }, 'ok'],
    [{}, 'ok'],
    [{ 'content-length': '2' }, 415],
    [{ 'content-length': '2', 'content-type': 'text/plain' }, 415],
    [{ 'content-length': '2', 'content-type': 'application/x-www-form-urlencoded' }, 415],
    [{ 'content-length': '2', 'content-type': 'multipart/form-data; boundary=x' }, 415],
    [{ 'content-length': '2', 'content-type': 'application/json-patch+json' }, 415],
    [{ 'content-length': '2', 'content-type': 'text/plain; application/json' }, 415],
    [{ 'transfer-encoding': 'chunked' }, 415],
    [{ 'transfer-encoding': 'chunked', 'content-type': 'application/json' }, 'ok'],
  ] as const)('%o → %s', (headers, want) => {
    expect(outcome(() => checkContentType(headers))).toBe(want);
  });
});
