/** Deis Desktop extensions under /v2/desktop/: facts clients need that the Deis API never had. */
import { API_VERSION, PLATFORM_VERSION } from '../../contract/objects';
import { notFound } from '../../contract/errors';
import type { Router } from '../router';

export interface DesktopInfo {
  builderPort: number;
  routerPort: number;
  /** Where apps answer when the router is not on this machine (a cluster's router); empty otherwise. */
  routerUrl?: () => string;
  /** The router's HTTPS port (0 until the router runs). */
  routerTlsPort?: number;
  /** The local certificate authority a user trusts to get HTTPS on `<app>.<platform domain>`. */
  authority?: () => { path: string; fingerprint: string; certificate: string; domain: string };
  /** True until the first account exists: the UI then offers to create the administrator. */
  firstRun?: () => boolean;
  /** The Docker engine's state, when the core can ask it. */
  docker?: () => Promise<{ state: string; version?: string; message?: string }>;
  /** Which Docker engine the core uses and why (absent on the in-memory target). */
  engine?: () => { host: string; source: string; context?: string; product?: string; reason: string };
}

export function desktopRoutes(r: Router, info: DesktopInfo): void {
  // Public, so a client can find the builder before it logs in (it holds no secrets).
  r.add(
    '/v2/desktop/info/?',
    {
      GET: async () => ({
        status: 200,
        body: {
          api_version: API_VERSION,
          platform_version: PLATFORM_VERSION,
          builder_port: info.builderPort,
          router_port: info.routerPort,
          router_tls_port: info.routerTlsPort ?? 0,
          router_url: info.routerUrl?.() ?? '',
          first_run: info.firstRun?.() ?? false,
          ...(info.docker ? { docker: await info.docker() } : {}),
          ...(info.engine ? { engine: info.engine() } : {}),
        },
      }),
    },
    'none',
  );
  // The root certificate, to trust it: public by nature, but only signed-in users need it.
  r.add('/v2/desktop/tls/authority/?', {
    GET: () => {
      const ca = info.authority?.();
      if (!ca) throw notFound('Certificate authority');
      return {
        status: 200,
        body: {
          path: ca.path,
          fingerprint_sha256: ca.fingerprint,
          domain: ca.domain,
          certificate: ca.certificate,
        },
      };
    },
  });
}
