/**
 * The router image: nginx from Debian, built locally from a configurable base (Deis's own router was
 * nginx too) and cached under a tag that names its recipe, so it is built once per recipe.
 */
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { imageExists } from '../engine';
import { labelsFor } from '../labels';
import { pullImage, recentPullFailure } from '../pull';
import { tarOf } from '../tar';
import { ROUTER_LUA } from './lua';
import { TargetError, type Progress } from '../../target';

/** Until the core writes the real config: every host is unknown. */
const BOOT_CONFIG = `include /etc/nginx/modules-enabled/*.conf;
user www-data;
worker_processes auto;
pid /run/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 80 default_server; location / { return 404; } }
}
`;

function dockerfile(base: string): string {
  return `FROM ${base}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \\
 && apt-get install -y --no-install-recommends nginx-light libnginx-mod-http-lua lua-resty-core curl ca-certificates \\
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled /etc/nginx/conf.d \\
 && install -d -o www-data -g www-data /var/lib/deis-router
COPY nginx.conf /etc/nginx/nginx.conf
COPY deis_router.lua /etc/nginx/lua/deis_router.lua
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
`;
}

/** The tag changes whenever the base or the recipe does. */
export function routerImageTag(base: string): string {
  const hash = createHash('sha256')
    .update(dockerfile(base))
    .update(BOOT_CONFIG)
    .update(ROUTER_LUA)
    .digest('hex')
    .slice(0, 12);
  return `deis-desktop/router:${hash}`;
}

export async function ensureRouterImage(
  docker: Docker,
  base: string,
  instance: string,
  progress: Progress,
): Promise<string> {
  const tag = routerImageTag(base);
  if (await imageExists(docker, tag)) return tag;
  if (!(await imageExists(docker, base))) {
    const unpullable = (why: string) =>
      new TargetError(
        'setup',
        `The router's base image ${base} is not in the local Docker engine and could not be pulled (${why}); pull it or set DEIS_ROUTER_BASE to a Debian image you have.`,
      );
    // A pull that failed lately is not tried (nor announced) again until its back-off ends.
    const failed = recentPullFailure(base);
    if (failed) throw unpullable(failed);
    progress({
      kind: 'step',
      message: `Pulling the router's base image ${base} (first start only)`,
      preparing: true,
    });
    try {
      await pullImage(docker, base, (line) => progress({ kind: 'log', line }));
    } catch (err) {
      throw unpullable((err as Error).message);
    }
  }
  progress({
    kind: 'step',
    message: `Building the router image ${tag} from ${base} (first start only)`,
    preparing: true,
  });
  const context = tarOf([
    { name: 'Dockerfile', content: dockerfile(base) },
    { name: 'nginx.conf', content: BOOT_CONFIG },
    { name: 'deis_router.lua', content: ROUTER_LUA },
  ]);
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
    t: tag,
    rm: true,
    forcerm: true,
    labels: labelsFor(instance, 'image'),
  });
  const failure = await new Promise<string | undefined>((resolve, reject) => {
    let error: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve(error)),
      (m: { stream?: string; error?: string }) => {
        if (m.stream?.trim()) progress({ kind: 'log', line: m.stream.trimEnd() });
        if (m.error) error = m.error;
      },
    );
  });
  if (failure) throw new TargetError('setup', `Could not build the router image: ${failure.trim()}`);
  return tag;
}
