/**
 * Desktop extension /v2/desktop/instance/: stop, start and remove everything the core runs (the
 * router and the apps) on its engine. Anyone signed in may see the state; only an administrator (the
 * desktop's own user) may change it, and removing needs the instance's name typed as confirmation.
 */
import type { SwitchableTarget } from '../../../cluster/switchable-target';
import { TargetError } from '../../../cluster/target';
import { RemoveInstanceRequest } from '../../contract/instance';
import { badRequest, conflict, forbidden } from '../../contract/errors';
import type { Scheduler } from '../../controller/scheduler';
import type { UserRow } from '../../controller/users';
import type { Router } from '../router';
import { parseBody } from '../validate';

export interface InstancePower {
  /** DEIS_INSTANCE */
  instance: string;
  target: SwitchableTarget;
}

const adminOnly = (user: UserRow) => {
  if (!user.is_superuser)
    throw forbidden('Only an administrator may stop, start or remove everything Deis Desktop runs.');
};

export function instanceRoutes(r: Router, power: InstancePower, s: Scheduler): void {
  const state = () => ({ instance: power.instance, state: power.target.state });
  /** Target failures as the API's errors: the engine away is 503, anything else says what to do. */
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof TargetError && err.code === 'invalid') throw conflict(err.message);
      if (err instanceof TargetError) throw s.failure(err);
      throw err;
    }
  };

  r.add('/v2/desktop/instance/?', { GET: () => ({ status: 200, body: state() }) });
  r.add('/v2/desktop/instance/stop/?', {
    POST: async (req) => {
      adminOnly(req.user);
      await guarded(() => power.target.stop());
      return { status: 200, body: state() };
    },
  });
  r.add('/v2/desktop/instance/start/?', {
    POST: async (req) => {
      adminOnly(req.user);
      await guarded(() => power.target.start(s.allDesired()));
      return { status: 200, body: state() };
    },
  });
  r.add('/v2/desktop/instance/remove/?', {
    POST: async (req) => {
      adminOnly(req.user);
      const { confirm } = parseBody(RemoveInstanceRequest, req.body);
      if (confirm !== power.instance)
        throw badRequest(
          `To remove everything, confirm with the instance name, ${power.instance}; nothing was removed.`,
        );
      const removed = await guarded(() => power.target.remove());
      return { status: 200, body: { ...state(), removed } };
    },
  });
}
