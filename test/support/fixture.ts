/**
 * A cast of users and, per test case, a fresh app with everything the endpoint catalogue refers to:
 * a collaborator, a build, a domain, a key, a certificate attached to a domain, and a spare user.
 */
import { Api, type Reply } from './core';
import type { Endpoint } from './endpoints';
import { makeCert, quickEd25519Key, type TestCert } from './certs';

export type Role = 'anonymous' | 'stranger' | 'collaborator' | 'owner' | 'admin';
export const ROLES: Role[] = ['anonymous', 'stranger', 'collaborator', 'owner', 'admin'];

export class Cast {
  /** The last case's app and certificate, removed when the next case is made. */
  private previous: { app: string; cert: string; key: string } | undefined;

  private constructor(
    readonly base: Api,
    readonly clients: Record<Role, Api>,
    private readonly cert: TestCert,
  ) {}

  static async create(url: string): Promise<Cast> {
    const base = new Api(url);
    const admin = await base.register('admin');
    const owner = await base.register('owner', 'secret-pw', admin);
    const collaborator = await base.register('collaborator', 'secret-pw', admin);
    const stranger = await base.register('stranger', 'secret-pw', admin);
    const clients = { anonymous: base, stranger, collaborator, owner, admin };
    return new Cast(base, clients, makeCert('cert.example.com', ['cert.example.com']));
  }

  /** Logs a role in again (after an endpoint regenerated its token). */
  async relogin(role: Role): Promise<void> {
    if (role === 'anonymous') return;
    const r = await this.base.post('/v2/auth/login/', { username: role, password: 'secret-pw' });
    this.clients[role].token = (r.body as { token: string }).token;
  }

  /**
   * Creates case `n`'s objects and returns the values of the catalogue's placeholders. The case
   * before is removed first (it may already be gone), so a sweep of hundreds of cases stays within
   * the apps, certificates and SSH keys one user may have.
   */
  async makeCase(n: number): Promise<Record<string, string>> {
    const { owner, admin } = this.clients;
    if (this.previous) {
      // Through an admin: the case may have transferred its app to another user.
      await admin.delete(`/v2/apps/${this.previous.app}/`);
      await owner.delete(`/v2/certs/${this.previous.cert}`);
      await owner.delete(`/v2/keys/${this.previous.key}`);
    }
    this.previous = { app: `case-${n}`, cert: `cert-${n}`, key: `key-${n}` };
    const must = async (p: Promise<Reply>, what: string) => {
      const r = await p;
      if (r.status >= 300) throw new Error(`fixture: ${what}: ${r.status} ${r.text}`);
      return r;
    };
    const app = `case-${n}`;
    const user = `spare-${n}`;
    await must(
      admin.post('/v2/auth/register/', {
        username: user,
        password: 'secret-pw',
        email: `${user}@example.com`,
      }),
      'spare user',
    );
    await must(owner.post('/v2/apps/', { id: app }), 'app');
    await must(owner.post(`/v2/apps/${app}/perms/`, { username: 'collaborator' }), 'collaborator');
    const build = await must(
      owner.post(`/v2/apps/${app}/builds/`, { image: 'example/app:1', procfile: { web: 'serve' } }),
      'build',
    );
    await must(owner.post(`/v2/apps/${app}/config/`, { values: { CASE: String(n) } }), 'config');
    const domain = `d${n}.example.com`;
    const attached = `a${n}.example.com`;
    await must(owner.post(`/v2/apps/${app}/domains/`, { domain }), 'domain');
    await must(owner.post(`/v2/apps/${app}/domains/`, { domain: attached }), 'attached domain');
    await must(owner.post('/v2/keys/', { id: `key-${n}`, public: quickEd25519Key() }), 'key');
    const cert = `cert-${n}`;
    await must(owner.post('/v2/certs/', { name: cert, ...this.cert }), 'certificate');
    await must(owner.post(`/v2/certs/${cert}/domain/`, { domain: attached }), 'certificate domain');
    await must(owner.post(`/v2/apps/${app}/whitelist/`, { addresses: ['10.9.9.9'] }), 'whitelist');
    return {
      app,
      user,
      build: (build.body as { uuid: string }).uuid,
      domain,
      attached,
      key: `key-${n}`,
      cert,
      publicKey: quickEd25519Key(),
      certificate: this.cert.certificate,
      certKey: this.cert.key,
    };
  }
}

/** Fills `{name}` placeholders in a string or, recursively, in a JSON body. */
export function fill<T>(value: T, vars: Record<string, string>): T {
  if (typeof value === 'string')
    return value.replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m) as T;
  if (Array.isArray(value)) return value.map((v) => fill(v, vars)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)])) as T;
  return value;
}

export const casePath = (e: Endpoint, vars: Record<string, string>): string => fill(e.path, vars);
