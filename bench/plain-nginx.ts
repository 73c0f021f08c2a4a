/** Debian's nginx proxying to one container with a plain config: the yardstick for our router. */
import { dockerEngine } from '../cluster/docker/engine';
import { tarOf } from '../cluster/docker/tar';

export async function startPlainNginx(image: string, network: string, name: string, upstream: string) {
  const docker = dockerEngine();
  const config = `user www-data;
worker_processes auto;
events { worker_connections 8192; }
http {
  access_log off;
  upstream app { server ${upstream}; keepalive 256; }
  server {
    listen 80;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
  const c = await docker.createContainer({
    name,
    Image: image,
    Labels: { 'io.deis-desktop.role': 'bench' },
    Cmd: ['nginx', '-c', '/etc/nginx/plain.conf', '-g', 'daemon off;'],
    HostConfig: { NetworkMode: network },
  });
  await c.putArchive(tarOf([{ name: 'plain.conf', content: config }]), { path: '/etc/nginx' });
  await c.start();
  const info = await c.inspect();
  return { container: c, ip: info.NetworkSettings.Networks[network]!.IPAddress };
}
