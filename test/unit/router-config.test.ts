/** The router's nginx config and backends table, and the logs body the original CLI unwraps. */
import { describe, expect, it } from 'vitest';
import {
  hostNames,
  renderBackends,
  renderRouterConfig,
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

const render = (routes: RouteEntry[]) =>
  renderRouterConfig({ routes, publicPort: 8080, platformDomain: 'localhost', generation: 7 });

describe('router config', () => {
  it('serves bare domains under the platform domain and custom ones as given', () => {
    expect(hostNames(['demo', 'www.demo.test', '*.demo.test'], 'localhost')).toEqual([
      'demo.localhost',
      'www.demo.test',
      '*.demo.test',
    ]);
    expect(render([route()])).toContain('server_name demo.localhost www.demo.test;');
  });

  it('keeps processes out of the config, so replacing them needs no reload', () => {
    const a = render([route()]);
    const b = render([route({ upstreams: ['10.222.0.9:5000'] })]);
    expect(a).toBe(b);
    expect(a).not.toContain('10.222.0.5');
  });

  it('forwards the client facts, with the port clients use', () => {
    const text = render([route()]);
    expect(text).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
    expect(text).toContain('proxy_set_header X-Forwarded-Proto $scheme;');
    expect(text).toContain('proxy_set_header X-Forwarded-Port 8080;');
  });

  it('answers maintenance with 503, applies the whitelist, and drops apps that are not routable', () => {
    expect(render([route({ maintenance: true })])).toMatch(/return 503 '.*Down for maintenance/);
    const wl = render([route({ whitelist: ['10.0.0.0/8', '1.2.3.4'] })]);
    expect(wl).toContain('allow 10.0.0.0/8;\n    allow 1.2.3.4;\n    deny all;');
    expect(render([route({ routable: false })])).not.toContain('demo.localhost');
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
