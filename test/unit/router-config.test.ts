/** The router's nginx config, routes and backends tables, and the logs body the original CLI unwraps. */
import { describe, expect, it } from 'vitest';
import {
  hostNames,
  renderBackends,
  renderRouterConfig,
  renderCerts,
  renderRoutes,
  type RouteEntry,
} from '../../cluster/docker/router/config';
import { pyBytesRepr } from '../../main/contract/python';

const route = (over: Partial<RouteEntry> = {}): RouteEntry => ({
  app: 'demo',
  domains: ['demo', 'www.demo.test'],
  upstreams: ['10.222.0.5:5000', '10.222.0.6:5000'],
  maintenance: false,
  routable: true,
  whitelist: [],
  ...over,
});

const render = (routes: RouteEntry[]) => renderRoutes(routes, 'localhost');

describe('router', () => {
  it('serves bare domains under the platform domain and custom ones as given', () => {
    expect(hostNames(['demo', 'www.demo.test', '*.demo.test'], 'localhost')).toEqual([
      'demo.localhost',
      'www.demo.test',
      '*.demo.test',
    ]);
    expect(render([route({ domains: ['demo', 'WWW.Demo.test', '*.demo.test'] })])).toBe(
      'tls:port 0\napp:demo 0 - 0\nhost:demo.localhost demo\nhost:www.demo.test demo\nhost:*.demo.test demo\n',
    );
  });

  it('has one nginx.conf for every app, so no app change reloads nginx', () => {
    const conf = renderRouterConfig({ publicPort: 8080, tlsPublicPort: 8443, generation: 7 });
    expect(conf).not.toContain('demo');
    expect(conf).toContain("access_by_lua_block { require('deis_router').route() }");
  });

  it('forwards the client facts, with the port clients use', () => {
    const text = renderRouterConfig({ publicPort: 8080, tlsPublicPort: 8443, generation: 7 });
    expect(text).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
    expect(text).toContain('proxy_set_header X-Forwarded-Proto $scheme;');
    expect(text).toContain('proxy_set_header X-Forwarded-Port 8080;');
  });

  it('serves deis.<domain> from the core only to the host, and passes the core no forwarded facts', () => {
    const core = { host: 'deis.localhost', gateway: '10.222.7.1', address: '10.222.7.2' };
    const text = renderRouterConfig({ publicPort: 8080, tlsPublicPort: 8443, generation: 7, core });
    const server = text.slice(text.indexOf('server_name deis.localhost;'));
    // Only a connection from the home network's gateway (the host) to the router's home address.
    expect(text).toMatch(
      /map "\$remote_addr \$server_addr" \$deis_core_peer \{\s+default 0;\s+'10\.222\.7\.1 10\.222\.7\.2' 1;/,
    );
    expect(server).toContain('if ($deis_core_peer != 1) { return 404 ');
    expect(text).toContain('server unix:/run/deis-core/api.sock');
    // Headers a client sent cannot pass as the router's word, and the router adds none.
    for (const header of [
      'Forwarded',
      'X-Forwarded-For',
      'X-Forwarded-Host',
      'X-Forwarded-Port',
      'X-Forwarded-Proto',
      'X-Real-IP',
    ])
      expect(server).toContain(`proxy_set_header ${header} "";`);
    // Streams go out as they come; bodies stream in, within the API's own limit.
    expect(server).toContain('proxy_buffering off;');
    expect(server).toContain('proxy_request_buffering off;');
    expect(server).toContain('client_max_body_size 2097152;');
    // Without a core route, deis.<domain> is an unknown host like any other.
    expect(renderRouterConfig({ publicPort: 8080, tlsPublicPort: 8443, generation: 7 })).not.toContain(
      'deis_core',
    );
  });

  it('carries maintenance and the whitelist per app, and leaves out apps that are not routable', () => {
    expect(render([route({ maintenance: true, whitelist: ['10.0.0.0/8', '1.2.3.4'] })])).toMatch(
      /^tls:port 0\napp:demo 1 10\.0\.0\.0\/8,1\.2\.3\.4 0\n/,
    );
    expect(render([route({ routable: false })])).toBe('tls:port 0\n');
    expect(renderRoutes([route({ httpsOnly: true })], 'localhost', 8443)).toMatch(
      /^tls:port 8443\napp:demo 0 - 1\n/,
    );
  });

  it('serves attached certificates for their names and local leaves for the platform domain', () => {
    const pair = (n: string) => ({ certificate: `CERT ${n}`, key: `KEY ${n}` });
    const table = renderCerts(
      [
        route({
          domains: ['demo', 'www.demo.test', '*.demo.test', 'bare.demo.test'],
          certificates: [
            { host: 'www.demo.test', ...pair('www') },
            { host: '*.demo.test', ...pair('wild') },
          ],
        }),
        route({ app: 'hidden', domains: ['hidden'], routable: false }),
      ],
      'localhost',
      (host) => (host.endsWith('.localhost') ? pair(host) : undefined),
    );
    const lines = table.trim().split('\n');
    const pems = new Map(
      lines
        .filter((l) => l.startsWith('pem:'))
        .map((l) => {
          const [id, b64] = l.slice(4).split(' ');
          return [id!, Buffer.from(b64!, 'base64').toString()];
        }),
    );
    const hosts = new Map(
      lines.filter((l) => l.startsWith('host:')).map((l) => l.slice(5).split(' ') as [string, string]),
    );
    expect([...hosts.keys()].sort()).toEqual(['*.demo.test', 'demo.localhost', 'www.demo.test']);
    expect(pems.get(hosts.get('www.demo.test')!)).toBe('CERT www\nKEY www\n');
    expect(pems.get(hosts.get('*.demo.test')!)).toBe('CERT wild\nKEY wild\n');
    expect(pems.get(hosts.get('demo.localhost')!)).toBe('CERT demo.localhost\nKEY demo.localhost\n');
  });

  it('lists the processes of each app in the backends table', () => {
    expect(renderBackends([route(), route({ app: 'other', upstreams: [] })])).toBe(
      'demo 10.222.0.5:5000 10.222.0.6:5000\n',
    );
  });
});

describe("Python's repr of bytes, as Deis's logs endpoint answers", () => {
  it('escapes newlines as backslash-n and quotes like Python', () => {
    expect(pyBytesRepr(Buffer.from("a -- it's\nb -- ok\n"))).toBe('b"a -- it\'s\\nb -- ok\\n"');
    expect(pyBytesRepr(Buffer.from('x\\y\t\n'))).toBe("b'x\\\\y\\t\\n'");
    expect(pyBytesRepr(Buffer.from('é'))).toBe("b'\\xc3\\xa9'");
  });
});
