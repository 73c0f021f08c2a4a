/**
 * Everything one instance (DEIS_INSTANCE) has on the Docker engine, found by its labels: stopping
 * what runs, and removing it all. Images shared by every instance on the engine (the router's, the
 * stack) are left: they are not this instance's, and rebuilding them takes minutes.
 */
import path from 'node:path';
import type Docker from 'dockerode';
import { LABEL_APP, LABEL_APP_UUID, LABEL_INSTANCE, LABEL_ROLE } from './labels';
import { LogStore } from './log-store';
import { appNetworkName } from './network';

/** How long a process gets to stop after SIGTERM before it is killed, as on a redeploy. */
const STOP_GRACE_SECONDS = 10;

const ignore = () => undefined;

/**
 * Stops the router and every process; one-off runs and the processes' containers are removed (the
 * next start makes fresh ones from the store, as a restarted core would); the router is only
 * stopped, so it keeps its routes. `unless-stopped` keeps them stopped when dockerd restarts.
 */
export async function stopInstance(docker: Docker, instance: string): Promise<number> {
  const all = await docker.listContainers({
    all: true,
    filters: { label: [`${LABEL_INSTANCE}=${instance}`] },
  });
  const role = (c: Docker.ContainerInfo) => c.Labels[LABEL_ROLE];
  const work = all.filter((c) => role(c) === 'process' || role(c) === 'run');
  await Promise.all(
    work.map(async (c) => {
      const container = docker.getContainer(c.Id);
      await container.stop({ t: STOP_GRACE_SECONDS }).catch(ignore);
      await container.remove({ force: true }).catch(ignore);
    }),
  );
  const routers = all.filter((c) => role(c) === 'router');
  await Promise.all(
    routers.map((c) => docker.getContainer(c.Id).stop({ t: STOP_GRACE_SECONDS }).catch(ignore)),
  );
  return work.length + routers.length;
}

export interface RemovedObjects {
  containers: number;
  networks: number;
  volumes: number;
  images: number;
}

/**
 * Removes every container, network and volume (build caches) labelled with the instance, and the
 * images its builder made for apps (labelled with the instance and an app uuid): their
 * `deis-desktop/` tags go, and the image with the last one. An image someone built FROM one of ours
 * inherits the labels but keeps its own tags, and stays.
 */
export async function removeInstanceObjects(docker: Docker, instance: string): Promise<RemovedObjects> {
  const mine = { label: [`${LABEL_INSTANCE}=${instance}`] };
  const removed: RemovedObjects = { containers: 0, networks: 0, volumes: 0, images: 0 };
  const count = (kind: keyof RemovedObjects) => () => void removed[kind]++;
  const containers = await docker.listContainers({ all: true, filters: mine });
  await Promise.all(
    containers.map((c) =>
      docker.getContainer(c.Id).remove({ force: true }).then(count('containers'), ignore),
    ),
  );
  const networks = await docker.listNetworks({ filters: mine });
  for (const name of new Set([...networks.map((n) => n.Name), instance]))
    await docker.getNetwork(name).remove().then(count('networks'), ignore);
  const { Volumes } = await docker.listVolumes({ filters: mine });
  for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().then(count('volumes'), ignore);
  const images = await docker.listImages({
    filters: { label: [`${LABEL_INSTANCE}=${instance}`, LABEL_APP_UUID] },
  });
  for (const image of images) {
    const tags = (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const own = tags.filter((t) => t.startsWith('deis-desktop/'));
    if (tags.length > 0 && own.length === 0) continue;
    let gone = false;
    for (const ref of own.length ? own : [image.Id])
      await docker
        .getImage(ref)
        .remove()
        .then(() => (gone = true), ignore);
    if (gone) removed.images++;
  }
  return removed;
}

/**
 * Removes what is left of a destroyed app while everything is stopped (the target cannot reach its
 * stopped router then): its containers, its network and its logs, so nothing passes to a new app of
 * the same name. The stopped router is let go of the network first.
 */
export async function forgetStoppedApp(
  docker: Docker,
  instance: string,
  home: string,
  app: string,
): Promise<void> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABEL_INSTANCE}=${instance}`, `${LABEL_APP}=${app}`] },
  });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(ignore)));
  const network = docker.getNetwork(appNetworkName(instance, app));
  await network.disconnect({ Container: `${instance}-router`, Force: true }).catch(ignore);
  await network.remove().catch(ignore);
  new LogStore(path.join(home, 'logs')).remove(app);
}
