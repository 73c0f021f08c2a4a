/**
 * A web page open in the user's browser reaches nothing: a foreign or `null` Origin, a cross-site or
 * same-site fetch, a DNS-rebinding page (its own domain in Host) and a body a page can send without
 * asking (text/plain, a form) are each refused on register, login and an authenticated endpoint, with
 * a sentence and nothing changed — and first-run registration is still there for the real CLI. The
 * CLIs (ours, and the original's headers) and the core's own UI origin keep working; tokens never
 * travel in URLs; pagination links never echo the Host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliUser } from '../support/cli';
import { Api, startTestCore, type TestCore } from '../support/core';
import { detailOf, rawRequest, type RawReply } from '../support/http';
import { snapshot } from '../support/snapshot';

let t: TestCore;
let port: number;
let cli: CliUser;
beforeAll(async () => {
  t = await startTestCore();
  port = t.core.apiPort;
  cli = new CliUser();
});
afterAll(async () => {
  await t.stop();
  cli.remove();
});

/** What a hostile page can make a browser send, beside the JSON body of a normal client. */
interface Variant {
  name: string;
  headers: () => Record<string, string | undefined>;
  status: number;
  message: RegExp;
}

const FROM_PAGE =
  /^Requests from other web pages are refused; open the Deis Desktop UI at http:\/\/127\.0\.0\.1:\d+\/ or use the deis CLI\.$/;
const NOT_OUR_NAME =
  /^The Host header does not name this Deis Desktop core; address the core as http:\/\/127\.0\.0\.1:\d+\/\.$/;
const NOT_JSON =
  /^Unsupported media type .* in request; send the body as JSON with Content-Type: application\/json\.$/;

const VARIANTS: Variant[] = [
  {
    name: 'a foreign Origin',
    headers: () => ({ Origin: 'http://evil.example' }),
    status: 403,
    message: FROM_PAGE,
  },
  {
    name: 'Origin: null (a sandboxed frame)',
    headers: () => ({ Origin: 'null' }),
    status: 403,
    message: FROM_PAGE,
  },
  {
    name: 'our name on another port (an app behind the router)',
    headers: () => ({ Origin: 'http://localhost:8080' }),
    status: 403,
    message: FROM_PAGE,
  },
  {
    name: 'https on our own name',
    headers: () => ({ Origin: `https://127.0.0.1:${port}` }),
    status: 403,
    message: FROM_PAGE,
  },
  {
    name: 'a cross-site fetch that sends no Origin',
    headers: () => ({ 'Sec-Fetch-Site': 'cross-site' }),
    status: 403,
    message: FROM_PAGE,
  },
  {
    name: 'an app page on <app>.localhost (same site)',
    headers: () => ({ 'Sec-Fetch-Site': 'same-site' }),
    status: 403,
    message: FROM_PAGE,
  },
  {
    name: 'a DNS-rebinding page (its own domain as Host)',
    headers: () => ({ Host: `evil.example:${port}` }),
    status: 400,
    message: NOT_OUR_NAME,
  },
  {
    name: 'a rebinding page on a subdomain of localhost',
    headers: () => ({ Host: `evil.localhost:${port}` }),
    status: 400,
    message: NOT_OUR_NAME,
  },
  {
    name: 'our name with another port',
    headers: () => ({ Host: '127.0.0.1:1' }),
    status: 400,
    message: NOT_OUR_NAME,
  },
  {
    name: 'a text/plain body (a no-cors fetch)',
    headers: () => ({ 'Content-Type': 'text/plain' }),
    status: 415,
    message: NOT_JSON,
  },
  {
    name: 'a form body',
    headers: () => ({ 'Content-Type': 'application/x-www-form-urlencoded' }),
    status: 415,
    message: NOT_JSON,
  },
  {
    name: 'a body without a Content-Type',
    headers: () => ({ 'Content-Type': undefined }),
    status: 415,
    message: NOT_JSON,
  },
];

async function send(
  method: string,
  path: string,
  body: unknown,
  extra: Record<string, string | undefined>,
): Promise<RawReply> {
  const headers: Record<string, string | undefined> = { 'Content-Type': 'application/json', ...extra };
  for (const [k, v] of Object.entries(headers)) if (v === undefined) delete headers[k];
  return rawRequest(t.url, {
    method,
    path,
    headers: headers as Record<string, string>,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function expectRefused(v: Variant, request: () => Promise<RawReply>): Promise<void> {
  const before = snapshot(t.core.controller.store);
  const r = await request();
  expect(r.status, r.text).toBe(v.status);
  expect(detailOf(r.text), r.text).toMatch(v.message);
  expect(snapshot(t.core.controller.store)).toBe(before);
}

const firstRun = async () =>
  ((await new Api(t.url).get('/v2/desktop/info/')).body as { first_run: boolean }).first_run;

describe('a web page trying the first-run registration', () => {
  it.each(VARIANTS)('is refused: $name', async (v) => {
    const body = { username: 'mallory', password: 'pw-mallory', email: 'm@example.com' };
    await expectRefused(v, () => send('POST', '/v2/auth/register/', body, v.headers()));
    expect(await firstRun()).toBe(true);
  });

  it('leaves registration open for the real CLI, whose first user becomes the administrator', async () => {
    expect(t.core.controller.users.count()).toBe(0);
    const r = await cli.run([
      'register',
      t.url,
      '--username=admin',
      '--password=admin-pw',
      '--email=admin@example.com',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Registered admin');
    expect(r.stdout).toContain('Logged in as admin');
    expect((await cli.run(['auth:whoami'])).stdout).toContain('You are admin at');
    expect(await firstRun()).toBe(false);
  });
});

describe('a web page trying to log in or use a token', () => {
  let token: string;
  beforeAll(async () => {
    const login = await new Api(t.url).post('/v2/auth/login/', { username: 'admin', password: 'admin-pw' });
    token = (login.body as { token: string }).token;
  });

  it.each(VARIANTS)('login is refused: $name', async (v) => {
    const body = { username: 'admin', password: 'admin-pw' };
    await expectRefused(v, () => send('POST', '/v2/auth/login/', body, v.headers()));
  });

  it.each(VARIANTS)('an authenticated endpoint is refused: $name', async (v) => {
    const headers = { Authorization: `token ${token}`, ...v.headers() };
    await expectRefused(v, () => send('POST', '/v2/apps/', { id: 'page-made' }, headers));
  });

  it('refuses every token given in the URL instead of the Authorization header', async () => {
    for (const path of ['/v2/apps/', '/v2/desktop/events/', '/v2/desktop/tasks/', '/v2/auth/whoami/']) {
      const r = await rawRequest(t.url, { path: `${path}?token=${token}` });
      expect(r.status, path).toBe(401);
    }
  });
});

describe('the clients that should get through', () => {
  let token: string;
  beforeAll(async () => {
    const login = await new Api(t.url).post('/v2/auth/login/', { username: 'admin', password: 'admin-pw' });
    token = (login.body as { token: string }).token;
  });

  it("accepts the core's own UI on each of its names, as the browser sends it", async () => {
    for (const name of ['127.0.0.1', 'localhost', 'deis.localhost']) {
      const origin = `http://${name}:${port}`;
      const ui = { Host: `${name}:${port}`, Origin: origin, 'Sec-Fetch-Site': 'same-origin' };
      const login = await send('POST', '/v2/auth/login/', { username: 'admin', password: 'admin-pw' }, ui);
      expect(login.status, login.text).toBe(200);
      // Same-origin GETs carry no Origin; what a user types in the address bar is "none".
      const apps = await send('GET', '/v2/apps/', undefined, {
        Host: `${name}:${port}`,
        Authorization: `token ${token}`,
        'Sec-Fetch-Site': 'same-origin',
      });
      expect(apps.status, apps.text).toBe(200);
      const typed = await send('GET', '/healthz', undefined, {
        Host: `${name}:${port}`,
        'Sec-Fetch-Site': 'none',
      });
      expect(typed.status).toBe(200);
    }
  });

  it("accepts the original Go CLI's requests: JSON, a token header, no Origin", async () => {
    const goCli = {
      'User-Agent': 'Deis Client v2.18.0',
      'Content-Type': 'application/json',
      Authorization: `token ${token}`,
    };
    const made = await send('POST', '/v2/apps/', { id: 'go-made' }, goCli);
    expect(made.status, made.text).toBe(201);
    // It sends the Content-Type on body-less requests too.
    const gone = await send('DELETE', '/v2/apps/go-made/', undefined, goCli);
    expect(gone.status, gone.text).toBe(204);
  });

  it('works with our CLI', async () => {
    const r = await cli.run(['apps:create', 'cli-made', '--no-remote']);
    expect(r.stderr).toBe('');
    expect((await cli.run(['apps'])).stdout).toContain('cli-made');
  });
});

describe('pagination links', () => {
  it("are the core's own URL, never the Host the request came with", async () => {
    const admin = new Api(t.url).as(
      (
        (await new Api(t.url).post('/v2/auth/login/', { username: 'admin', password: 'admin-pw' })).body as {
          token: string;
        }
      ).token,
    );
    await admin.register('second', 'pw-second', admin);
    const headers = { Authorization: `token ${admin.token}` };
    const viaLocalhost = await send('GET', '/v2/users/?limit=1', undefined, {
      ...headers,
      Host: `localhost:${port}`,
    });
    expect(viaLocalhost.status).toBe(200);
    expect((JSON.parse(viaLocalhost.text) as { next: string }).next).toBe(
      `http://127.0.0.1:${port}/v2/users/?limit=1&offset=1`,
    );
    const hostile = await send('GET', '/v2/users/?limit=1', undefined, { ...headers, Host: 'evil.example' });
    expect(hostile.status).toBe(400);
    expect(hostile.text).not.toContain('evil.example');
  });
});
