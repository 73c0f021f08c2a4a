/** /v2/auth/*, /v2/users/ and /v2/admin/perms/: accounts, tokens and administrators. */
import {
  CancelRequest,
  LoginRequest,
  PasswdRequest,
  RegisterRequest,
  TokensRequest,
  UsernameRequest,
} from '../../contract/auth';
import { forbidden } from '../../contract/errors';
import type { Controller } from '../../controller';
import { userJson } from '../../controller/users';
import { paginate } from '../paginate';
import type { ApiRequest, Router } from '../router';
import { parseBody } from '../validate';

function requireAdmin(req: ApiRequest): void {
  if (!req.user.is_superuser) throw forbidden();
}

export function authRoutes(r: Router, c: Controller): void {
  r.add(
    '/v2/auth/register/?',
    {
      POST: async (req) => {
        const input = parseBody(RegisterRequest, req.body);
        const user = await c.users.register(input, req.user);
        return { status: 201, body: userJson(user) };
      },
    },
    'none',
  );
  // DRF's login and tokens routes require the trailing slash.
  r.add(
    '/v2/auth/login/',
    {
      POST: async (req) => {
        const input = parseBody(LoginRequest, req.body);
        return { status: 200, body: { token: await c.users.login(input.username, input.password) } };
      },
    },
    'none',
  );
  r.add('/v2/auth/whoami/?', { GET: (req) => ({ status: 200, body: userJson(req.user) }) });
  r.add('/v2/auth/passwd/?', {
    POST: async (req) => {
      await c.users.passwd(req.user, parseBody(PasswdRequest, req.body));
      return { status: 200, body: { status: 'password set' } };
    },
  });
  r.add('/v2/auth/tokens/', {
    POST: (req) => ({
      status: 200,
      body: { token: c.users.regenerateToken(req.user, parseBody(TokensRequest, req.body)) },
    }),
  });
  r.add('/v2/auth/cancel/?', {
    DELETE: (req) => {
      c.users.cancel(req.user, parseBody(CancelRequest, req.body).username);
      return { status: 204 };
    },
  });
  r.add('/v2/users/?', {
    GET: (req) => {
      requireAdmin(req);
      return { status: 200, body: paginate(req, c.users.list().map(userJson)) };
    },
  });
  r.add('/v2/admin/perms/?', {
    GET: (req) => {
      requireAdmin(req);
      const admins = c.users.list().filter((u) => u.is_superuser === 1);
      return {
        status: 200,
        body: paginate(
          req,
          admins.map((u) => ({ username: u.username, is_superuser: true })),
        ),
      };
    },
    POST: (req) => {
      requireAdmin(req);
      const { username } = parseBody(UsernameRequest, req.body);
      c.users.setSuperuser(username, true);
      return { status: 201 };
    },
  });
  r.add('/v2/admin/perms/([^/]+)/?', {
    DELETE: (req) => {
      requireAdmin(req);
      c.users.setSuperuser(req.params[0]!, false);
      return { status: 204 };
    },
  });
}
