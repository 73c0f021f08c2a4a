/** Creates the core's services and hands them to each other; the entry points only call `startCore`. */
import fs from 'node:fs';
import path from 'node:path';
import { apiRouter } from './api';
import { createApiServer, listen } from './api/server';
import { Controller } from './controller';
import { rendererDir, type CoreSettings } from './settings';
import { startBuilderService } from './builder/service';
import { openStore } from './store/db';
import { dockerState } from './engine-state';

export interface Core {
  settings: CoreSettings;
  controller: Controller;
  /** The port the API really listens on (differs from settings when 0 was asked for). */
  apiPort: number;
  /** The port the builder's SSH server really listens on. */
  builderPort: number;
  apiUrl: string;
  stop(): Promise<void>;
}

export async function startCore(
  settings: CoreSettings,
  log: (line: string) => void = console.log,
): Promise<Core> {
  fs.mkdirSync(settings.home, { recursive: true, mode: 0o700 });
  // Everything started so far, stopped in reverse order on shutdown or when a later step fails.
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const store = openStore(path.join(settings.home, 'deis.db'));
    stops.push(() => store.close());
    const controller = new Controller(store);

    const { builder, folders } = await startBuilderService(controller, {
      home: settings.home,
      port: settings.builderPort,
      resources: settings.resources,
      log,
    });
    stops.push(() => builder.stop());

    const server = createApiServer({
      router: apiRouter(
        controller,
        {
          builderPort: builder.port,
          routerPort: settings.routerPort,
          firstRun: () => controller.users.count() === 0,
          docker: dockerState,
        },
        { folders, ui: settings.ui ?? rendererDir() },
      ),
      users: controller.users,
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
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    return {
      settings,
      controller,
      apiPort,
      builderPort: builder.port,
      apiUrl: `http://${settings.host}:${apiPort}`,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
