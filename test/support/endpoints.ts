/**
 * Every endpoint of the Deis v2 API we serve, with a valid sample body, for the tests that sweep
 * them all (authorization matrix, property-based fuzzing). Placeholders in paths are filled per test:
 * {app} {user} {key} {cert} {domain} {build} {version}.
 */

export type Scope =
  /** no token needed */
  | 'public'
  /** any logged-in user, acting on themselves */
  | 'self'
  /** administrators only */
  | 'admin'
  /** an app: owner and admin may do all, collaborators all but DELETE, others nothing */
  | 'app'
  /** an app, but only its owner or an admin (transfer, collaborators) */
  | 'app-owner'
  /** the caller's own objects (keys, certs): nobody else sees them, not even an admin */
  | 'own';

export interface Endpoint {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  scope: Scope;
  /** A body that succeeds on a fresh fixture, when the endpoint takes one. */
  body?: Record<string, unknown>;
  /** What a caller without a token gets, where it is not the usual 401. */
  anonymous?: number | 'allow';
  /** Per-role exceptions to the scope's rule ('allow' = any 2xx). */
  roles?: Partial<Record<'stranger' | 'collaborator' | 'owner' | 'admin', number | 'allow'>>;
}

export const ENDPOINTS: Endpoint[] = [
  {
    method: 'POST',
    path: '/v2/auth/login/',
    scope: 'public',
    body: { username: '{user}', password: 'secret-pw' },
  },
  // Registration is admin-only by default; without a token it is forbidden rather than unauthenticated.
  {
    method: 'POST',
    path: '/v2/auth/register/',
    scope: 'admin',
    anonymous: 403,
    body: { username: 'new-{user}', password: 'secret-pw', email: 'new@example.com' },
  },
  { method: 'GET', path: '/v2/auth/whoami/', scope: 'self' },
  {
    method: 'POST',
    path: '/v2/auth/passwd/',
    scope: 'self',
    body: { password: 'secret-pw', new_password: 'secret-pw' },
  },
  { method: 'POST', path: '/v2/auth/tokens/', scope: 'self', body: {} },
  { method: 'GET', path: '/v2/users/', scope: 'admin' },
  { method: 'GET', path: '/v2/admin/perms/', scope: 'admin' },
  { method: 'POST', path: '/v2/admin/perms/', scope: 'admin', body: { username: '{user}' } },
  { method: 'DELETE', path: '/v2/admin/perms/{user}', scope: 'admin' },

  { method: 'GET', path: '/v2/apps/', scope: 'self' },
  { method: 'POST', path: '/v2/apps/', scope: 'self', body: {} },
  { method: 'GET', path: '/v2/apps/{app}/', scope: 'app' },
  { method: 'POST', path: '/v2/apps/{app}/', scope: 'app-owner', body: { owner: '{user}' } },
  { method: 'DELETE', path: '/v2/apps/{app}/', scope: 'app' },

  { method: 'GET', path: '/v2/apps/{app}/config/', scope: 'app' },
  { method: 'POST', path: '/v2/apps/{app}/config/', scope: 'app', body: { values: { FUZZ: 'yes' } } },
  { method: 'GET', path: '/v2/apps/{app}/releases/', scope: 'app' },
  // Desktop extensions of issue 14: whoever may read the app may read its figures and its feed.
  { method: 'GET', path: '/v2/apps/{app}/metrics/', scope: 'app' },
  { method: 'GET', path: '/v2/apps/{app}/activity/', scope: 'app' },
  { method: 'GET', path: '/v2/apps/{app}/releases/v1/', scope: 'app' },
  { method: 'GET', path: '/v2/apps/{app}/releases/v1/config/', scope: 'app' },
  { method: 'POST', path: '/v2/apps/{app}/releases/rollback/', scope: 'app', body: {} },
  { method: 'GET', path: '/v2/apps/{app}/builds/', scope: 'app' },
  {
    method: 'POST',
    path: '/v2/apps/{app}/builds/',
    scope: 'app',
    body: { image: 'example/image:1', procfile: { web: 'run' } },
  },
  { method: 'GET', path: '/v2/apps/{app}/builds/{build}/', scope: 'app' },

  { method: 'GET', path: '/v2/apps/{app}/domains/', scope: 'app' },
  {
    method: 'POST',
    path: '/v2/apps/{app}/domains/',
    scope: 'app',
    body: { domain: 'www.{app}.example.com' },
  },
  { method: 'DELETE', path: '/v2/apps/{app}/domains/{domain}', scope: 'app' },
  { method: 'GET', path: '/v2/apps/{app}/perms/', scope: 'app' },
  { method: 'POST', path: '/v2/apps/{app}/perms/', scope: 'app-owner', body: { username: '{user}' } },
  // A collaborator may also remove themselves.
  {
    method: 'DELETE',
    path: '/v2/apps/{app}/perms/collaborator',
    scope: 'app-owner',
    roles: { collaborator: 'allow' },
  },
  { method: 'GET', path: '/v2/apps/{app}/settings/', scope: 'app' },
  { method: 'POST', path: '/v2/apps/{app}/settings/', scope: 'app', body: { maintenance: true } },
  { method: 'GET', path: '/v2/apps/{app}/whitelist/', scope: 'app' },
  { method: 'POST', path: '/v2/apps/{app}/whitelist/', scope: 'app', body: { addresses: ['10.1.2.3'] } },
  { method: 'DELETE', path: '/v2/apps/{app}/whitelist/', scope: 'app', body: { addresses: ['10.9.9.9'] } },
  { method: 'GET', path: '/v2/apps/{app}/tls/', scope: 'app' },
  { method: 'POST', path: '/v2/apps/{app}/tls/', scope: 'app', body: { https_enforced: true } },
  { method: 'GET', path: '/v2/apps/{app}/pods/', scope: 'app' },
  { method: 'GET', path: '/v2/apps/{app}/pods/web/', scope: 'app' },
  { method: 'POST', path: '/v2/apps/{app}/pods/restart/', scope: 'app' },
  { method: 'POST', path: '/v2/apps/{app}/scale/', scope: 'app', body: { web: 2 } },
  { method: 'POST', path: '/v2/apps/{app}/run', scope: 'app', body: { command: 'true' } },
  { method: 'GET', path: '/v2/apps/{app}/logs', scope: 'app' },

  { method: 'GET', path: '/v2/desktop/tasks/', scope: 'self' },
  { method: 'GET', path: '/v2/desktop/tls/authority/', scope: 'self' },
  { method: 'GET', path: '/v2/keys/', scope: 'self' },
  { method: 'POST', path: '/v2/keys/', scope: 'self', body: { id: 'fuzz-key', public: '{publicKey}' } },
  { method: 'GET', path: '/v2/keys/{key}', scope: 'own' },
  { method: 'DELETE', path: '/v2/keys/{key}', scope: 'own' },

  { method: 'GET', path: '/v2/certs/', scope: 'self' },
  {
    method: 'POST',
    path: '/v2/certs/',
    scope: 'self',
    body: { name: 'new-{cert}', certificate: '{certificate}', key: '{certKey}' },
  },
  { method: 'GET', path: '/v2/certs/{cert}', scope: 'own' },
  { method: 'DELETE', path: '/v2/certs/{cert}', scope: 'own' },
  { method: 'POST', path: '/v2/certs/{cert}/domain/', scope: 'own', body: { domain: '{domain}' } },
  { method: 'DELETE', path: '/v2/certs/{cert}/domain/{attached}', scope: 'own' },
];
