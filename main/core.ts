/** Creates the core's services and hands them to each other; the entry points only call `startCore`. */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { createTarget, type RunningTarget } from '../cluster';
import { apiRouter } from './api';
import { createApiServer, listen } from './api/server';
import { Controller } from './controller';
import { Scheduler } from './controller/scheduler';
import {
  DEFAULT_INSTANCE,
  DEFAULT_PLATFORM_DOMAIN,
  DEFAULT_ROUTER_BASE,
  type CoreSettings,
} from './settings';
import { openStore, type Store } from './store/db';

export interface Core {
  settings: CoreSettings;
  controller: Controller;
  scheduler: Scheduler;
  /** Where releases run. */
  target: RunningTarget;
  /** The port the API really listens on (differs from settings when 0 was asked for). */
  apiPort: number;
  apiUrl: string;
  stop(): Promise<void>;
}

/** A secret shared by the core and its builder, kept in DEIS_HOME so restarts agree. */
function builderKey(home: string): string {
  const file = path.join(home, 'builder.key');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const key = randomBytes(32).toString('hex');
    fs.writeFileSync(file, key, { mode: 0o600 });
    return key;
  }
}

export async function startCore(
  settings: CoreSettings,
  log: (line: string) => void = console.log,
): Promise<Core> {
  fs.mkdirSync(settings.home, { recursive: true, mode: 0o700 });
  let store: Store | undefined;
  let server: http.Server | undefined;
  let target: RunningTarget | undefined;
  try {
    store = openStore(path.join(settings.home, 'deis.db'));
    const controller = new Controller(store);
    target = createTarget({
      kind: settings.target ?? 'docker',
      instance: settings.instance ?? DEFAULT_INSTANCE,
      home: settings.home,
      routerPort: settings.routerPort,
      routerBase: settings.routerBase ?? DEFAULT_ROUTER_BASE,
      platformDomain: settings.platformDomain ?? DEFAULT_PLATFORM_DOMAIN,
    });
    const scheduler = new Scheduler(controller, target);
    controller.releases.onRelease(scheduler.onRelease);
    // Adopt what runs and converge before answering, so no request sees a half-known state.
    await scheduler.start(log);
    const t = target;
    const desktop = {
      builderPort: settings.builderPort,
      get routerPort() {
        return t.routerPort || settings.routerPort;
      },
    };
    server = createApiServer({
      router: apiRouter(controller, desktop, scheduler),
      users: controller.users,
      builderKey: builderKey(settings.home),
      log,
    });
    const apiPort = await listen(server, settings.apiPort, settings.host).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE')
          throw new Error(
            `Port ${settings.apiPort} is in use by another program; set DEIS_API_PORT to a free port.`,
          );
        throw err;
      },
    );
    const s = server;
    const st = store;
    return {
      settings,
      controller,
      scheduler,
      target: t,
      apiPort,
      apiUrl: `http://${settings.host}:${apiPort}`,
      stop: async () => {
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
        // Apps and the router keep running: they do not need the core.
        await scheduler.stop();
        st.close();
      },
    };
  } catch (err) {
    server?.close();
    await target?.close();
    store?.close();
    throw err;
  }
}
