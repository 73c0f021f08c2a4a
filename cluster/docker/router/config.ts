/**
 * Renders the router's nginx.conf and its backends table. The config holds only what changes
 * rarely (apps, host names, maintenance, whitelist) and is applied with a graceful reload; which
 * processes serve an app is the backends table, swapped without a reload (see lua.ts). Pure.
 */

export interface RouteEntry {
  app: string;
  /** Host names as stored: bare names are served as `<name>.<platform domain>`. */
  domains: string[];
  /** `ip:port` of the app's ready routed processes. */
  upstreams: string[];
  maintenance: boolean;
  routable: boolean;
  whitelist: string[];
}

export interface RouterConfigInput {
  routes: RouteEntry[];
  /** The port clients use on the host (X-Forwarded-Port). */
  publicPort: number;
  platformDomain: string;
  /** Written into the status endpoint, so the core can see that a reload took effect. */
  generation: number;
}

/** The port inside the router container where the core talks to nginx (never published). */
export const STATUS_PORT = 81;

const PAGE_503 =
  '<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service Unavailable</h1><p>No process of this app is ready to serve requests right now.</p></body></html>';
const PAGE_MAINTENANCE =
  '<html><head><title>503 Service Unavailable</title></head><body><h1>Down for maintenance</h1><p>This app is in maintenance mode; please try again later.</p></body></html>';
const PAGE_404 =
  '<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1><p>No app is routed at this address.</p></body></html>';

export function hostNames(domains: string[], platformDomain: string): string[] {
  return domains.map((d) => (d.includes('.') ? d : `${d}.${platformDomain}`));
}

/** Quotes a string for nginx. */
const quoted = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function server(route: RouteEntry, input: RouterConfigInput): string {
  const names = hostNames(route.domains, input.platformDomain);
  const lines = [`  server {`, `    listen 80;`, `    server_name ${names.join(' ')};`];
  for (const address of route.whitelist) lines.push(`    allow ${address};`);
  if (route.whitelist.length) lines.push('    deny all;');
  lines.push(`    set $deis_app ${quoted(route.app)};`);
  lines.push('    location / {');
  if (route.maintenance)
    lines.push('      default_type text/html;', `      return 503 ${quoted(PAGE_MAINTENANCE)};`);
  else
    lines.push(
      "      access_by_lua_block { require('deis_router').check(ngx.var.deis_app) }",
      '      proxy_pass http://deis_backends;',
    );
  lines.push('    }', '    location @unavailable {', '      default_type text/html;');
  lines.push(`      return 503 ${quoted(PAGE_503)};`, '    }', '  }');
  return lines.join('\n');
}

export function renderRouterConfig(input: RouterConfigInput): string {
  const routed = [...input.routes]
    .filter((r) => r.routable && r.domains.length > 0)
    .sort((a, b) => (a.app < b.app ? -1 : 1));
  return `# Written by Deis Desktop; every change replaces it. Generation ${input.generation}.
include /etc/nginx/modules-enabled/*.conf;
user www-data;
worker_processes auto;
pid /run/nginx.pid;
error_log stderr warn;
events {
  worker_connections 8192;
}
http {
  access_log off;
  server_tokens off;
  sendfile on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 100000;
  client_max_body_size 1g;
  server_names_hash_bucket_size 128;
  server_names_hash_max_size 8192;
  lua_package_path '/etc/nginx/lua/?.lua;;';
  lua_shared_dict deis_backends 8m;
  lua_shared_dict deis_inflight 4m;
  init_by_lua_block { require('deis_router').load() }
  log_by_lua_block { require('deis_router').done() }

  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $http_host;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_set_header X-Forwarded-Proto $scheme;
  proxy_set_header X-Forwarded-Host $host;
  proxy_set_header X-Forwarded-Port ${input.publicPort};
  proxy_buffering off;
  proxy_connect_timeout 5s;
  proxy_read_timeout 1200s;
  proxy_send_timeout 1200s;
  # A process that went away: the request goes to another one (before anything was sent to it).
  proxy_next_upstream error timeout;

  upstream deis_backends {
    server 0.0.0.1;
    balancer_by_lua_block { require('deis_router').balance() }
    keepalive 256;
  }

  server {
    listen 127.0.0.1:${STATUS_PORT};
    location = /generation { return 200 '${input.generation}'; }
    location = /backends { content_by_lua_block { require('deis_router').update() } }
    location = /inflight { content_by_lua_block { require('deis_router').count() } }
  }
  server {
    listen 80 default_server;
    server_name _;
    location / {
      default_type text/html;
      return 404 ${quoted(PAGE_404)};
    }
  }
${routed.map((r) => server(r, input)).join('\n')}
}
`;
}

/** The backends table: one `app ip:port ...` line per app that has processes in rotation. */
export function renderBackends(routes: RouteEntry[]): string {
  return [...routes]
    .filter((r) => r.upstreams.length > 0)
    .sort((a, b) => (a.app < b.app ? -1 : 1))
    .map((r) => `${r.app} ${r.upstreams.join(' ')}\n`)
    .join('');
}
