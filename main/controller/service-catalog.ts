/**
 * The catalog of backing services: one folder per kind under resources/services, holding its entry
 * (service.json) and a Dockerfile on Debian's packages used when the official image cannot be had.
 * Which image a kind runs is a setting: DEIS_SERVICE_IMAGE_<KIND> (a full reference), else the
 * official image tagged with the version.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CatalogEntry, type CatalogKind } from '../contract/services';
import type { ServiceExec, ServiceSpec } from '../../cluster/target';

export interface ServiceImageSettings {
  /** DEIS_SERVICE_IMAGE_<KIND>, by kind. */
  images: Record<string, string>;
  /** DEIS_SERVICE_BASE (else DEIS_STACK_BASE): the Debian 12 image fallback images are built on. */
  base: string;
}

export function serviceImageSettings(env: NodeJS.ProcessEnv = process.env): ServiceImageSettings {
  const images: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const m = /^DEIS_SERVICE_IMAGE_([A-Z0-9]+)$/.exec(k);
    if (m && v) images[m[1]!.toLowerCase()] = v;
  }
  return { images, base: env.DEIS_SERVICE_BASE || env.DEIS_STACK_BASE || 'debian:bookworm-slim' };
}

/** The values a service's templates are filled with. */
export interface ServiceCredentials {
  user: string;
  password: string;
  database: string;
}

/**
 * The values templates are filled with: the credentials, and `bucket`, the database's name as an S3
 * bucket may spell it (no underscores, at least 3 characters).
 */
function templateValues(creds: ServiceCredentials): ServiceCredentials & { bucket: string } {
  const bucket = creds.database.replace(/_/g, '-');
  return { ...creds, bucket: bucket.length >= 3 ? bucket : `${bucket}-data` };
}

/** `{name}` → value; unknown names stay as they are. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{([a-z]+)\}/g, (whole, key: string) => values[key] ?? whole);
}

const fillAll = (list: string[], values: Record<string, string>) => list.map((t) => fill(t, values));
const fillMap = (map: Record<string, string>, values: Record<string, string>) =>
  Object.fromEntries(Object.entries(map).map(([k, v]) => [k, fill(v, values)]));

export class ServiceCatalog {
  private readonly entries = new Map<string, { entry: CatalogEntry; dir: string }>();

  constructor(
    dir: string,
    private readonly settings: ServiceImageSettings = serviceImageSettings(),
  ) {
    if (!fs.existsSync(dir)) return;
    for (const kind of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, kind, 'service.json');
      if (!fs.existsSync(file)) continue;
      const entry = CatalogEntry.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
      this.entries.set(entry.kind, { entry, dir: path.join(dir, kind) });
    }
  }

  kinds(): CatalogKind[] {
    return [...this.entries.values()].map(({ entry }) => ({
      kind: entry.kind,
      title: entry.title,
      versions: entry.versions,
      env_var: entry.envVar,
    }));
  }

  get(kind: string): CatalogEntry | undefined {
    return this.entries.get(kind)?.entry;
  }

  /** The container a service of `kind` runs as, with its credentials filled in. */
  spec(name: string, kind: string, version: string, creds: ServiceCredentials): ServiceSpec {
    const { entry, dir } = this.entries.get(kind)!;
    const values: Record<string, string> = { ...templateValues(creds) };
    const debian = version === entry.debianVersion && fs.existsSync(path.join(dir, 'Dockerfile'));
    return {
      name,
      kind,
      image: this.settings.images[kind] ?? `${entry.image}:${version}`,
      fallback: debian
        ? {
            image: `deis-desktop/service-${kind}:${version}-bookworm`,
            dockerfileDir: dir,
            base: this.settings.base,
          }
        : undefined,
      env: fillMap(entry.env, values),
      command: entry.command ? fillAll(entry.command, values) : undefined,
      dataPath: entry.dataPath,
      port: entry.port,
      readiness: this.command(entry.readiness, creds),
    };
  }

  command(cmd: { command: string[]; env: Record<string, string> }, creds: ServiceCredentials): ServiceExec {
    const values = templateValues(creds);
    return { command: fillAll(cmd.command, { ...values }), env: fillMap(cmd.env, { ...values }) };
  }

  /** The URL an app (or, with `port`, a tool on this machine through a forward) connects with. */
  url(kind: string, creds: ServiceCredentials, host: string, port?: number): string {
    const entry = this.get(kind)!;
    return fill(entry.url, {
      user: encodeURIComponent(creds.user),
      password: encodeURIComponent(creds.password),
      database: encodeURIComponent(creds.database),
      bucket: templateValues(creds).bucket,
      host,
      port: String(port ?? entry.port),
    });
  }
}
