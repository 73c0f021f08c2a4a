import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, apiVersionsCompatible, normalizeController } from '../../main/cli/client';
import { ApiError } from '../../main/cli/errors';

let server: http.Server | undefined;
afterEach(() => server?.close());

/** A stand-in controller answering every request with `status`, `body` and the given API version. */
async function fakeController(
  status: number,
  body: string,
  version?: string,
): Promise<{ url: URL; seen: http.IncomingHttpHeaders[] }> {
  const seen: http.IncomingHttpHeaders[] = [];
  server = http.createServer((req, res) => {
    seen.push(req.headers);
    if (version) res.setHeader('DEIS_API_VERSION', version);
    res.statusCode = status;
    res.end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), seen };
}

describe('the CLI API client', () => {
  it('sends the Deis client headers', async () => {
    const { url, seen } = await fakeController(200, '{}', '2.3');
    const client = new ApiClient(url, 'abc', true, () => {});
    await client.get('/v2/apps/');
    expect(seen[0]).toMatchObject({
      'user-agent': 'Deis Client v2.18.0',
      'content-type': 'application/json',
      authorization: 'token abc',
    });
  });

  it('warns once when the server API version is older or of another major version', async () => {
    const { url } = await fakeController(200, '{}', '2.1');
    const warnings: string[] = [];
    const client = new ApiClient(url, 'abc', true, (w) => warnings.push(w));
    await client.get('/v2/apps/');
    await client.get('/v2/apps/');
    expect(warnings).toEqual([
      '!    WARNING: Client and server API versions do not match. Please consider upgrading.\n' +
        '!    Client version: 2.3\n!    Server version: 2.1\n',
    ]);
    expect(apiVersionsCompatible('2.3')).toBe(true);
    expect(apiVersionsCompatible('2.4')).toBe(true);
    expect(apiVersionsCompatible('3.3')).toBe(false);
  });

  it('turns HTTP errors into the Deis messages', async () => {
    const { url } = await fakeController(422, '{"detail":"FOO does not exist under values"}', '2.3');
    const client = new ApiClient(url, 'abc', true, () => {});
    await expect(client.post('/v2/apps/foo/config/', {})).rejects.toThrow(ApiError);
    await expect(client.post('/v2/apps/foo/config/', {})).rejects.toThrow(
      'Unable to process your request: FOO does not exist under values',
    );
  });

  it('refuses a URL that does not answer GET /v2/ with 401', async () => {
    const { url } = await fakeController(200, 'hello');
    const client = new ApiClient(url, '', true, () => {});
    await expect(client.checkConnection()).rejects.toThrow(/does not appear to be a valid Deis controller/);
  });

  it('normalizes controller URLs', () => {
    expect(normalizeController('deis.example.com').toString()).toBe('http://deis.example.com/');
    expect(normalizeController('https://Deis.Example.com:8443/some/path').host).toBe('deis.example.com:8443');
  });
});
