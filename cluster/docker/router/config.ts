/**
 * What the router is told. nginx.conf is the same for every app and is applied once per router
 * (and when this file changes); apps, host names, settings, processes and certificates are tables
 * the Lua code reads on every request or handshake (see lua.ts), replaced without a reload. Pure.
 *
 * It also serves the Deis API at `deis.<platform domain>`, as Deis's own router did, so the original
 * CLI's derivations from the controller's host name work (the app URL `<app>.<platform domain>:<port>`,
 * the builder `deis-builder.<platform domain>`). nginx passes those requests to the core over a unix
 * socket in DEIS_HOME, mounted into the router, and only requests that came in through the port
 * published on the host's loopback: they arrive at the router's home address from the home network's
 * gateway, the host itself. Apps reach the router only at its address on their own network (and a
 * forged source cannot complete a TCP handshake: the router's answer goes to the real host), so for
 * them `deis.<platform domain>` is an unknown host like any other.
 */
import { createHash } from 'node:crypto';
import {
  API_BODY_LIMIT,
  ROUTER_CORE_CONNECTIONS,
  ROUTER_CORE_IDLE_CONNECTIONS,
  ROUTER_CORE_IDLE_SECONDS,
} from '../../../main/contract/limits';
import type { HostCertificate, TrafficCounters } from '../../target';
import { LATENCY_BUCKETS } from '../../../main/contract/metrics';
import { METRICS_LUA_HASH } from './metrics-lua';

export interface RouteEntry {
  app: string;
  /** Host names as stored: bare names are served as `<name>.<platform domain>`. */
  domains: string[];
  /** `ip:port` of the app's ready routed processes. */
  upstreams: string[];
  maintenance: boolean;
  routable: boolean;
  whitelist: string[];
  /** Plain HTTP is redirected to HTTPS (tls:enable). */
  httpsOnly?: boolean;
  /** Certificates attached to the app's host names. */
  certificates?: HostCertificate[];
}

/** A leaf (and key) the local certificate authority issues for a host name it covers, or nothing. */
export type LocalCertificates = (host: string) => { certificate: string; key: string } | undefined;

export interface RouterConfigInput {
  /** The port clients use on the host (X-Forwarded-Port). */
  publicPort: number;
  /** The HTTPS port clients use on the host. */
  tlsPublicPort: number;
  /** Written into the status endpoint, so the core can see that a reload took effect. */
  generation: number;
  /** Where the API is served through the router; absent: `deis.<domain>` is an unknown host. */
  core?: CoreRoute;
  /** Count requests per app (metrics-lua.ts, written next to nginx.conf; on Kubernetes, mounted from the config Secret). */
  metrics?: boolean;
}

export interface CoreRoute {
  /** `deis.<platform domain>` */
  host: string;
  /** The home network's gateway: the host, the only peer the published port's connections come from. */
  gateway: string;
  /** The router's own address on its home network, where those connections arrive. */
  address: string;
}

/** The folder of DEIS_HOME that holds the core's socket for the router (mounted into the router). */
export const coreSocketDir = (home: string): string => `${home.replace(/\/+$/, '')}/router-api`;
/** The socket's name in that folder. */
export const CORE_SOCKET_NAME = 'api.sock';
/** Where the router sees that folder (read-only). */
export const CORE_SOCKET_MOUNT = '/run/deis-core';

/** The port inside the router container where the core talks to nginx (never published). */
export const STATUS_PORT = 81;

const PAGE_503 =
  '<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service Unavailable</h1><p>No process of this app is ready to serve requests right now.</p></body></html>';
const PAGE_MAINTENANCE =
  '<html><head><title>503 Service Unavailable</title></head><body><h1>Down for maintenance</h1><p>This app is in maintenance mode; please try again later.</p></body></html>';
const CORE_DOWN = JSON.stringify({
  detail:
    'The Deis Desktop core does not answer through the router; start Deis Desktop (npm start) and try again.',
});
const CORE_TOO_LARGE = JSON.stringify({
  detail: `The request body is larger than the ${API_BODY_LIMIT / 1024} KiB the API accepts; send less at once.`,
});
const PAGE_404 =
  '<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1><p>No app is routed at this address.</p></body></html>';

export function hostNames(domains: string[], platformDomain: string): string[] {
  return domains.map((d) => (d.includes('.') ? d : `${d}.${platformDomain}`));
}

/** The certificate (and key) nginx starts with; written by the core next to nginx.conf. */
export const FALLBACK_CERT = '/etc/nginx/fallback.pem';

/** What both listeners do with a request; `port` is the one clients used on the host. */
function appLocations(port: number): string {
  const proxied = `      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Port ${port};
      proxy_pass http://deis_backends;`;
  return `    location / {
      access_by_lua_block { require('deis_router').route() }
${proxied}
    }
    # A router about to quit (PUT /leaving): the same, and the connection closes after the answer.
    location @leaving {
      keepalive_timeout 0;
      access_by_lua_block { require('deis_router').route(true) }
${proxied}
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
    }`;
}

/** Quotes a string for nginx. */
const quoted = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The server of `deis.<platform domain>`: the API, for the host's own requests only. */
function coreServer(core: CoreRoute): string {
  return `
  server {
    listen 80;
    server_name ${core.host};
    default_type text/html;
    client_max_body_size ${API_BODY_LIMIT};
    proxy_request_buffering off;
    proxy_buffering off;
    proxy_read_timeout ${ROUTER_CORE_IDLE_SECONDS}s;
    proxy_send_timeout ${ROUTER_CORE_IDLE_SECONDS}s;
    proxy_connect_timeout 5s;
    proxy_next_upstream off;
    # These replace every header the http block sets: the core trusts no forwarded facts, so none
    # are made up here and none a client sent pass.
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header Forwarded "";
    proxy_set_header X-Forwarded-For "";
    proxy_set_header X-Forwarded-Host "";
    proxy_set_header X-Forwarded-Port "";
    proxy_set_header X-Forwarded-Proto "";
    proxy_set_header X-Real-IP "";
    error_page 413 =413 @core_too_large;
    error_page 502 504 =503 @core_down;
    location / {
      if ($deis_core_peer != 1) { return 404 ${quoted(PAGE_404)}; }
      proxy_pass http://deis_core;
    }
    location @core_down {
      default_type application/json;
      return 503 ${quoted(CORE_DOWN)};
    }
    location @core_too_large {
      default_type application/json;
      return 413 ${quoted(CORE_TOO_LARGE)};
    }
  }`;
}

function coreUpstream(core: CoreRoute): string {
  return `
  upstream deis_core {
    server unix:${CORE_SOCKET_MOUNT}/${CORE_SOCKET_NAME} max_conns=${ROUTER_CORE_CONNECTIONS};
    keepalive ${ROUTER_CORE_IDLE_CONNECTIONS};
  }
  # 1 only for a connection from the host through the published port (see the top of config.ts).
  map "$remote_addr $server_addr" $deis_core_peer {
    default 0;
    ${quoted(`${core.gateway} ${core.address}`)} 1;
  }`;
}

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
  lua_shared_dict deis_certs 16m;
  lua_shared_dict deis_flags 64k;${input.metrics ? `\n  # Request counters of at most MAX_APPS apps, ~20 numbers each. Module ${METRICS_LUA_HASH}.\n  lua_shared_dict deis_metrics 2m;` : ''}
  init_by_lua_block { require('deis_router').load() }
  log_by_lua_block { require('deis_router').done()${input.metrics ? " require('deis_metrics').record()" : ''} }
  header_filter_by_lua_block { require('deis_router').headers() }

  proxy_http_version 1.1;
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
${input.core ? coreUpstream(input.core) : ''}

  server {
    listen 127.0.0.1:${STATUS_PORT};
    client_max_body_size 16m;
    client_body_buffer_size 16m;
    location = /generation { return 200 '${input.generation}'; }
    location = /routes { content_by_lua_block { require('deis_router').update('routes') } }
    location = /backends { content_by_lua_block { require('deis_router').update('backends') } }
    location = /certs { content_by_lua_block { require('deis_router').update('certs') } }
    location = /inflight { content_by_lua_block { require('deis_router').count() } }
    location = /leaving { content_by_lua_block { require('deis_router').leave() } }${input.metrics ? `\n    location = /metrics { content_by_lua_block { require('deis_metrics').dump() } }` : ''}
  }
  server {
    listen 80 default_server;
    server_name _;
${appLocations(input.publicPort)}
  }
  server {
    listen 443 ssl default_server;
    server_name _;
    # Only until the Lua below picks the host's own certificate (an unknown host keeps this one).
    ssl_certificate ${FALLBACK_CERT};
    ssl_certificate_key ${FALLBACK_CERT};
    ssl_certificate_by_lua_block { require('deis_router').certificate() }
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:deis_tls:4m;
    ssl_session_timeout 1h;
${appLocations(input.tlsPublicPort)}
  }
${input.core ? coreServer(input.core) : ''}
}
`;
}

/**
 * The routes table: `tls:port <n>` (where redirects to HTTPS go), `tls:hsts 1` when the router is
 * on the standard ports 80 and 443, then
 * `app:<app> <maintenance 0|1> <whitelist,...|-> <https only 0|1>` per routable app, then
 * `host:<name> <app>` per host name (bare domains under the platform domain, lowercased as nginx's
 * $host is).
 */
export function renderRoutes(
  routes: RouteEntry[],
  platformDomain: string,
  tlsPort = 0,
  httpPort = 0,
): string {
  const routed = [...routes].filter((r) => r.routable).sort((a, b) => (a.app < b.app ? -1 : 1));
  const apps = routed.map(
    (r) => `app:${r.app} ${r.maintenance ? 1 : 0} ${r.whitelist.join(',') || '-'} ${r.httpsOnly ? 1 : 0}\n`,
  );
  const hosts = routed.flatMap((r) =>
    hostNames(r.domains, platformDomain).map((h) => `host:${h.toLowerCase()} ${r.app}\n`),
  );
  // HSTS would send a browser to https on every port of a name: only on the standard ports.
  const hsts = httpPort === 80 && tlsPort === 443 ? ['tls:hsts 1\n'] : [];
  return [`tls:port ${tlsPort}\n`, ...hsts, ...apps, ...hosts].join('');
}

/**
 * The certificates table: `pem:<id> <base64 of certificate chain and key>` once per certificate,
 * and `host:<name> <id>` per host name it serves: an attached certificate, else (for a name under the
 * platform domain) a leaf of the local certificate authority. Names are lowercased as SNI is matched.
 */
export function renderCerts(routes: RouteEntry[], platformDomain: string, local?: LocalCertificates): string {
  const pems = new Map<string, string>();
  const hosts = new Map<string, string>();
  const add = (host: string, pair: { certificate: string; key: string }) => {
    const pem = `${pair.certificate.trim()}\n${pair.key.trim()}\n`;
    const id = createHash('sha256').update(pem).digest('hex').slice(0, 16);
    pems.set(id, Buffer.from(pem).toString('base64'));
    hosts.set(host, id);
  };
  const routed = [...routes].filter((r) => r.routable).sort((a, b) => (a.app < b.app ? -1 : 1));
  for (const r of routed) {
    const attached = new Map((r.certificates ?? []).map((c) => [c.host.toLowerCase(), c]));
    for (const stored of r.domains) {
      const host = hostNames([stored], platformDomain)[0]!.toLowerCase();
      const cert = attached.get(stored.toLowerCase()) ?? attached.get(host);
      if (cert) add(host, cert);
      else if (!host.startsWith('*.')) {
        const leaf = local?.(host);
        if (leaf) add(host, leaf);
      }
    }
  }
  const lines = [...pems].map(([id, b64]) => `pem:${id} ${b64}\n`);
  for (const [host, id] of [...hosts].sort()) lines.push(`host:${host} ${id}\n`);
  return lines.join('');
}

/** The backends table: one `app ip:port ...` line per app that has processes in rotation. */
export function renderBackends(routes: RouteEntry[]): string {
  return [...routes]
    .filter((r) => r.upstreams.length > 0)
    .sort((a, b) => (a.app < b.app ? -1 : 1))
    .map((r) => `${r.app} ${r.upstreams.join(' ')}\n`)
    .join('');
}

/**
 * The router's `/metrics` answer: `app 2xx 3xx 4xx 5xx bytes h1 ... hN` per line. Lines that do not
 * have that shape are skipped (the text comes from inside a container apps share a network with).
 */
export function parseTrafficCounters(text: string): TrafficCounters[] {
  const counters: TrafficCounters[] = [];
  for (const line of text.split('\n')) {
    const [app, ...fields] = line.trim().split(' ');
    if (!app || !/^[a-z0-9-]+$/.test(app) || fields.length !== 5 + LATENCY_BUCKETS) continue;
    const n = fields.map(Number);
    if (n.some((x) => !Number.isFinite(x) || x < 0)) continue;
    counters.push({
      app,
      requests: [n[0]!, n[1]!, n[2]!, n[3]!],
      bytesOut: n[4]!,
      latency: n.slice(5),
    });
  }
  return counters;
}
