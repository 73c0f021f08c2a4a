import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startTestCore, type TestCore } from '../support/core';

let t: TestCore;
let api: Api;
beforeAll(async () => {
  t = await startTestCore();
  api = new Api(t.url);
});
afterAll(() => t.stop());

describe('the core API basics', () => {
  it('answers /healthz with OK and the Deis version headers', async () => {
    const r = await api.get('/healthz');
    expect(r.status).toBe(200);
    expect(r.text).toBe('OK');
    expect(r.headers.get('DEIS_API_VERSION')).toBe('2.3');
    expect(r.headers.get('DEIS_PLATFORM_VERSION')).toBe('2.3.0');
  });

  it('answers GET /v2/ without a token with 401, which the CLI uses to recognise a controller', async () => {
    const r = await api.get('/v2/');
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it('makes the first registered user an admin and logs them in', async () => {
    const admin = await api.register('admin');
    const me = await admin.get('/v2/auth/whoami/');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'admin', is_superuser: true, email: 'admin@example.com' });
  });

  it('creates an app with a v1 release and a random adjective-noun name', async () => {
    const admin = await api.register('owner2', 'pw', await loginAdmin());
    const r = await admin.post('/v2/apps/', {});
    expect(r.status).toBe(201);
    const app = r.body as { id: string; owner: string };
    expect(app.id).toMatch(/^[a-z]+-[a-z]+$/);
    expect(app.owner).toBe('owner2');
  });

  it('treats a path that starts with // as a path, not as a host', async () => {
    const admin = await loginAdmin();
    // Resolved as a URL, //healthz/v2/apps/ would become host healthz and path /v2/apps/.
    const r = await admin.get('//healthz/v2/apps/');
    // Not the apps list: the path is not an API path (the UI's page, or 404 where no UI is built).
    expect(r.body).not.toHaveProperty('results');
    expect(r.headers.get('content-type')).not.toMatch(/json/);
  });

  it('answers an unknown app with the Deis 404 JSON string', async () => {
    const admin = await loginAdmin();
    const r = await admin.get('/v2/apps/nope/');
    expect(r.status).toBe(404);
    expect(r.body).toBe('No App matches the given query.');
  });
});

async function loginAdmin(): Promise<Api> {
  const login = await api.post('/v2/auth/login/', { username: 'admin', password: 'secret-pw' });
  return api.as((login.body as { token: string }).token);
}
