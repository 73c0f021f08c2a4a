/** Assembles the API router from each resource's routes. */
import type { FolderDeployer } from '../builder/deploy-folder';
import type { Controller } from '../controller';
import type { Scheduler } from '../controller/scheduler';
import { Router } from './router';
import { appsRoutes } from './routes/apps';
import { authRoutes } from './routes/auth';
import { desktopRoutes, type DesktopInfo } from './routes/desktop';
import { podsRoutes } from './routes/pods';
import { tasksRoutes } from './routes/tasks';
import { runRoutes } from './routes/run';
import { consoleRoutes } from './routes/console';
import { deployRoutes } from './routes/deploy';
import { uiRoutes } from './routes/ui';
import { buildsRoutes } from './routes/builds';
import { configRoutes } from './routes/config';
import { releasesRoutes } from './routes/releases';
import { certsRoutes } from './routes/certs';
import { domainsRoutes } from './routes/domains';
import { keysRoutes } from './routes/keys';
import { permsRoutes } from './routes/perms';
import { servicesRoutes } from './routes/services';
import { targetsRoutes } from './routes/targets';
import { promoteRoutes } from './routes/promote';
import { settingsRoutes } from './routes/settings';
import { instanceRoutes, type InstancePower } from './routes/instance';
import { metricsRoutes } from './routes/metrics';
import { activityRoutes } from './routes/activity';
import { recordActivity } from './activity-recorder';
import type { Metrics } from '../controller/metrics';
import type { ShellGateway } from './shell';

/** What the API serves beyond the controller: the folder deploys and the built UI. */
export interface ApiExtras {
  folders?: FolderDeployer;
  /** The built renderer's folder. */
  ui?: string;
  /** Stop, start and remove everything the core runs. */
  power?: InstancePower;
  /** The metrics collector, and whether the target collects any (Kubernetes does not yet). */
  metrics?: { collector: Metrics; collected: () => boolean };
  /** The console's interactive shells (their WebSocket is served by server.ts). */
  shell?: ShellGateway;
}

export function apiRouter(c: Controller, desktop: DesktopInfo, s: Scheduler, extras: ApiExtras = {}): Router {
  const r = new Router();
  r.add(
    '/healthz/?',
    { GET: () => ({ status: 200, body: 'OK', contentType: 'text/plain; charset=utf-8' }) },
    'none',
  );
  r.add(
    '/readiness/?',
    {
      GET: () => {
        c.store.db.prepare('SELECT 1').get();
        return { status: 200, body: 'OK', contentType: 'text/plain; charset=utf-8' };
      },
    },
    'none',
  );
  // The CLI checks a controller URL by expecting 401 here.
  r.add('/v2/?', { GET: () => ({ status: 200, body: {} }) });
  authRoutes(r, c);
  appsRoutes(r, c, s);
  podsRoutes(r, c, s);
  runRoutes(r, c, s);
  consoleRoutes(r, c, s, extras.shell);
  desktopRoutes(r, desktop);
  tasksRoutes(r, c);
  configRoutes(r, c);
  releasesRoutes(r, c);
  buildsRoutes(r, c);
  domainsRoutes(r, c, s);
  permsRoutes(r, c);
  settingsRoutes(r, c, s);
  keysRoutes(r, c);
  certsRoutes(r, c, s);
  servicesRoutes(r, c);
  targetsRoutes(r, c);
  promoteRoutes(r, c);
  if (extras.folders) deployRoutes(r, extras.folders);
  if (extras.power) instanceRoutes(r, extras.power, s);
  if (extras.metrics) metricsRoutes(r, c, extras.metrics.collector, extras.metrics.collected);
  activityRoutes(r, c);
  // Every route that changes an app is in by now: each gets its activity recorded.
  recordActivity(r, c);
  // Last: it answers every path the API does not.
  uiRoutes(r, extras.ui);
  return r;
}
