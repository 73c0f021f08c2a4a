/**
 * /v2/desktop/targets/: where apps run, a Deis Desktop extension (neither Deis nor Hephy has this
 * path). Anyone signed in may list the targets; adding (which reads a kubeconfig of this machine),
 * testing and removing are for administrators, refused before the body is read. No answer carries
 * a registry password.
 */
import { forbidden } from '../../contract/errors';
import { AddTargetRequest, KubeconfigContextsRequest, RemoveTargetRequest } from '../../contract/targets';
import type { Controller } from '../../controller';
import type { UserRow } from '../../controller/users';
import { paginate } from '../paginate';
import type { Router } from '../router';
import { parseBody } from '../validate';

/** Wide enough to answer "no such target" for any name a user types (names are checked on add). */
const TARGET = '([-\\w.]+)';

const adminOnly = (user: UserRow, what: string) => {
  if (!user.is_superuser) throw forbidden(`Only an administrator may ${what} targets.`);
};

export function targetsRoutes(r: Router, c: Controller): void {
  const t = c.targets;
  r.add('/v2/desktop/targets/?', {
    GET: (req) => ({ status: 200, body: paginate(req, t.list()) }),
    POST: async (req) => {
      adminOnly(req.user, 'add');
      const input = parseBody(AddTargetRequest, req.body);
      const { target, checks } = await t.add(req.user, input);
      return {
        status: 201,
        body: { ...target, checks: checks.checks, ...(checks.steps ? { steps: checks.steps } : {}) },
      };
    },
  });
  r.add(`/v2/desktop/targets/${TARGET}/?`, {
    GET: (req) => ({ status: 200, body: t.get(req.params[0]!) }),
    DELETE: async (req) => {
      adminOnly(req.user, 'remove');
      // A kind target's cluster goes with it only when asked, with the name typed again.
      await t.remove(req.user, req.params[0]!, parseBody(RemoveTargetRequest, req.body));
      return { status: 204 };
    },
  });
  // Outside /targets/<name>/ so that no target name is shadowed.
  r.add('/v2/desktop/kubeconfig-contexts/?', {
    POST: async (req) => {
      adminOnly(req.user, 'add');
      const input = parseBody(KubeconfigContextsRequest, req.body);
      return { status: 200, body: await t.contexts(req.user, input) };
    },
  });
  // A kind target's nodes: docker start / stop of its node containers.
  for (const action of ['start', 'stop'] as const)
    r.add(`/v2/desktop/targets/${TARGET}/${action}/?`, {
      POST: async (req) => {
        adminOnly(req.user, action);
        return { status: 200, body: await t.power(req.user, req.params[0]!, action) };
      },
    });
  r.add(`/v2/desktop/targets/${TARGET}/test/?`, {
    POST: async (req) => {
      adminOnly(req.user, 'test');
      return { status: 200, body: await t.test(req.user, req.params[0]!) };
    },
  });
}
