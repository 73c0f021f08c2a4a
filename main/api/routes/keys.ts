/** /v2/keys/: the calling user's SSH public keys. */
import { KeyRequest } from '../../contract/keys';
import type { Controller } from '../../controller';
import { keyJson } from '../../controller/keys';
import { paginate } from '../paginate';
import type { Router } from '../router';
import { parseBody } from '../validate';

export function keysRoutes(r: Router, c: Controller): void {
  r.add('/v2/keys/?', {
    GET: (req) => ({ status: 200, body: paginate(req, c.keys.list(req.user).map(keyJson)) }),
    POST: (req) => {
      const input = parseBody(KeyRequest, req.body);
      return { status: 201, body: keyJson(c.keys.add(req.user, input)) };
    },
  });
  // Deis matches `.+` here, so `/v2/keys/foo/` names the key `foo/`; ids like `me@laptop.local` work.
  r.add('/v2/keys/(.+)', {
    GET: (req) => ({ status: 200, body: keyJson(c.keys.get(req.user, req.params[0]!)) }),
    DELETE: (req) => {
      c.keys.remove(req.user, req.params[0]!);
      return { status: 204 };
    },
  });
}
