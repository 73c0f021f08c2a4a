/**
 * What the router is told. nginx.conf is the same for every app and is applied once per router
 * (and when this file changes); apps, host names, settings and processes are tables the Lua code
 * reads on every request (see lua.ts), replaced without a reload. Pure.
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
  /** The port clients use on the host (X-Forwarded-Port). */
  publicPort: number;
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

export function renderRouterConfig(input: RouterConfigInput): string {
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
  lua_package_path '/etc/nginx/lua/?.lua;;';
  lua_shared_dict deis_routes 8m;
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
    client_max_body_size 16m;
    client_body_buffer_size 16m;
    location = /generation { return 200 '${input.generation}'; }
    location = /routes { content_by_lua_block { require('deis_router').update('routes') } }
    location = /backends { content_by_lua_block { require('deis_router').update('backends') } }
    location = /inflight { content_by_lua_block { require('deis_router').count() } }
  }
  server {
    listen 80 default_server;
    server_name _;
    location / {
      access_by_lua_block { require('deis_router').route() }
      proxy_pass http://deis_backends;
    }
    location @unknown {
      default_type text/html;
      return 404 ${quoted(PAGE_404)};
    }
    location @maintenance {
      default_type text/html;
      return 503 ${quoted(PAGE_MAINTENANCE)};
    }
    location @unavailable {
      default_type text/html;
      return 503 ${quoted(PAGE_503)};
    }
  }
}
`;
}

/**
 * The routes table: `app:<app> <maintenance 0|1> <whitelist,...|->` per routable app, then
 * `host:<name> <app>` per host name (bare domains under the platform domain, lowercased as nginx's
 * $host is).
 */
export function renderRoutes(routes: RouteEntry[], platformDomain: string): string {
  const routed = [...routes].filter((r) => r.routable).sort((a, b) => (a.app < b.app ? -1 : 1));
  const apps = routed.map((r) => `app:${r.app} ${r.maintenance ? 1 : 0} ${r.whitelist.join(',') || '-'}\n`);
  const hosts = routed.flatMap((r) =>
    hostNames(r.domains, platformDomain).map((h) => `host:${h.toLowerCase()} ${r.app}\n`),
  );
  return [...apps, ...hosts].join('');
}

/** The backends table: one `app ip:port ...` line per app that has processes in rotation. */
export function renderBackends(routes: RouteEntry[]): string {
  return [...routes]
    .filter((r) => r.upstreams.length > 0)
    .sort((a, b) => (a.app < b.app ? -1 : 1))
    .map((r) => `${r.app} ${r.upstreams.join(' ')}\n`)
    .join('');
}
