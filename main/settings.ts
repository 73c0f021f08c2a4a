/** The core's settings, read once from the environment with defaults a fresh install can use. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_KEEP_RELEASE_IMAGES, MAX_KEEP_RELEASE_IMAGES } from './contract/limits';
import { parseSshUrl } from '../cluster/ssh/address';
import type { BastionSettings } from '../cluster/ssh/bastion';

export interface CoreSettings {
  home: string;
  /** The resources folder (bundled buildpacks, stack Dockerfile, CLI shim). */
  resources: string;
  apiPort: number;
  builderPort: number;
  routerPort: number;
  /** DEIS_ROUTER_TLS_PORT: the router's HTTPS port (0: any free port; unset in tests). */
  routerTlsPort?: number;
  /** DEIS_ROUTER_TLS_PORT was not set: when the default is taken, another port is used. */
  routerTlsPortDefault?: boolean;
  host: '127.0.0.1';
  /** DEIS_TARGET: where apps run (`docker`, `kubernetes`, or `fake` for API tests without an engine). */
  target?: 'docker' | 'fake' | 'kubernetes';
  /** DEIS_TARGET=kubernetes: the cluster and the registry its images go to. */
  kubernetes?: KubernetesSettings;
  /** DEIS_INSTANCE: names this installation's Docker network, router and labels. */
  instance?: string;
  /** DEIS_ROUTER_BASE: the Debian image the router's nginx is installed on. */
  routerBase?: string;
  /** DEIS_PLATFORM_DOMAIN: apps are served at `<app>.<domain>`. */
  platformDomain?: string;
  /** The built renderer served at the API's root; found next to the code when absent. */
  ui?: string;
  /** Started by the desktop app: keep a `desktop` admin and its token file (DEIS_DESKTOP_USER=1). */
  desktopUser?: boolean;
  /** DEIS_KEEP_RELEASE_IMAGES: how many of an app's newest releases keep their images. */
  keepReleaseImages?: number;
  /** Prepare a missing stack image in the background at startup (not for the fake target). */
  prepareStack?: boolean;
  /** DEIS_STACK_IMAGE when set here (tests use a throwaway tag); else read from the environment. */
  stackImage?: string;
}

export interface KubernetesSettings {
  /**
   * DEIS_KUBECONFIG (and DEIS_KUBE_CONTEXT, else the file's current context); DEIS_KUBE_BASTION
   * (`ssh://user@host[:port]`, and DEIS_KUBE_BASTION_IDENTITY) when the API server is behind a bastion.
   */
  kube: { kubeconfig: string; context?: string; bastion?: BastionSettings };
  /** DEIS_REGISTRY (`host:port[/prefix]`), DEIS_REGISTRY_USERNAME, DEIS_REGISTRY_PASSWORD. */
  registry: { address: string; username?: string; password?: string };
  /** DEIS_KUBE_INGRESS_CLASS: each routable app also gets an Ingress of this IngressClass. */
  ingressClass?: string;
  /** DEIS_KUBE_STORAGE_CLASS: the StorageClass of backing services' volumes (the cluster's default when unset). */
  storageClass?: string;
}

/** DEIS_TARGET: `docker` (the default), `kubernetes` or `fake`; anything else is refused by name. */
function targetKind(env: NodeJS.ProcessEnv): 'docker' | 'fake' | 'kubernetes' {
  const raw = env.DEIS_TARGET;
  if (raw === undefined || raw === '' || raw === 'docker') return 'docker';
  if (raw === 'fake' || raw === 'kubernetes') return raw;
  throw new Error(`DEIS_TARGET must be docker or kubernetes, not "${raw}".`);
}

/** A cluster object's name from `variable` (a DNS subdomain), or undefined when it is unset. */
function className(env: NodeJS.ProcessEnv, variable: string, what: string): string | undefined {
  const value = env[variable]?.trim() || undefined;
  if (value && (value.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)))
    throw new Error(
      `${variable} must name ${what} (lowercase letters, digits, '-' and '.'), not "${value}".`,
    );
  return value;
}

/** The cluster settings DEIS_TARGET=kubernetes needs; each missing one is named. */
export function kubernetesSettings(env: NodeJS.ProcessEnv): KubernetesSettings {
  const missing = ['DEIS_KUBECONFIG', 'DEIS_REGISTRY'].filter((name) => !env[name]);
  if (missing.length)
    throw new Error(
      `DEIS_TARGET=kubernetes needs ${missing.join(' and ')}: the kubeconfig file of the cluster and the registry (host:port[/prefix]) its images are pushed to.`,
    );
  const address = env.DEIS_REGISTRY!.trim();
  if (!/^[a-z0-9.-]+(:[0-9]{1,5})?(\/[a-z0-9._/-]+)?$/i.test(address))
    throw new Error(`DEIS_REGISTRY must be host:port[/prefix] with no scheme, not "${address}".`);
  const username = env.DEIS_REGISTRY_USERNAME || undefined;
  const password = env.DEIS_REGISTRY_PASSWORD || undefined;
  if (Boolean(username) !== Boolean(password))
    throw new Error(
      'Set both DEIS_REGISTRY_USERNAME and DEIS_REGISTRY_PASSWORD, or neither (a registry without a login).',
    );
  const ingressClass = className(env, 'DEIS_KUBE_INGRESS_CLASS', 'an IngressClass');
  const storageClass = className(env, 'DEIS_KUBE_STORAGE_CLASS', 'a StorageClass');
  const bastion = env.DEIS_KUBE_BASTION?.trim() || undefined;
  if (bastion)
    try {
      parseSshUrl(bastion, 'DEIS_KUBE_BASTION');
    } catch (err) {
      throw new Error((err as Error).message);
    }
  const identity = env.DEIS_KUBE_BASTION_IDENTITY?.trim() || undefined;
  if (identity && !bastion)
    throw new Error('DEIS_KUBE_BASTION_IDENTITY is set but DEIS_KUBE_BASTION is not.');
  return {
    kube: {
      kubeconfig: path.resolve(env.DEIS_KUBECONFIG!),
      context: env.DEIS_KUBE_CONTEXT || undefined,
      ...(bastion
        ? { bastion: { url: bastion, ...(identity ? { identity: path.resolve(identity) } : {}) } }
        : {}),
    },
    registry: { address, username, password },
    ...(ingressClass ? { ingressClass } : {}),
    ...(storageClass ? { storageClass } : {}),
  };
}

export const DEFAULT_INSTANCE = 'deis-desktop';
export const DEFAULT_ROUTER_BASE = 'debian:bookworm-slim';
export const DEFAULT_PLATFORM_DOMAIN = 'localhost';

export const DEFAULT_PORTS = { api: 8765, builder: 2222, router: 8080, routerTls: 8443 } as const;

/** The per-user app-data folder, where Electron's `userData` would also be. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Deis Desktop');
  if (process.platform === 'win32')
    return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Deis Desktop');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'deis-desktop');
}

/** DEIS_KEEP_RELEASE_IMAGES: a whole number from 1 to MAX_KEEP_RELEASE_IMAGES. */
function keepReleaseImages(env: NodeJS.ProcessEnv): number {
  const raw = env.DEIS_KEEP_RELEASE_IMAGES;
  if (raw === undefined || raw === '') return DEFAULT_KEEP_RELEASE_IMAGES;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_KEEP_RELEASE_IMAGES)
    throw new Error(
      `DEIS_KEEP_RELEASE_IMAGES must be a whole number from 1 to ${MAX_KEEP_RELEASE_IMAGES}, not "${raw}".`,
    );
  return n;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${name} must be a port number from 0 to 65535, not "${raw}".`);
  return n;
}

/**
 * Finds `resources/` from wherever this module runs: main/ under tsx, out/electron/ in the desktop
 * bundle, or an unpacked Electron app; DEIS_RESOURCES overrides.
 */
export function resourcesDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DEIS_RESOURCES) return path.resolve(env.DEIS_RESOURCES);
  let dir = import.meta.dirname;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'resources', 'buildpacks'))) return path.join(dir, 'resources');
    dir = path.dirname(dir);
  }
  return path.resolve('resources');
}

/** Finds the built renderer (`out/renderer`) from main/ under tsx or out/electron/; DEIS_UI_DIR overrides. */
export function rendererDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DEIS_UI_DIR) return path.resolve(env.DEIS_UI_DIR);
  let dir = import.meta.dirname;
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'out', 'renderer');
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve('out', 'renderer');
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): CoreSettings {
  const target = targetKind(env);
  return {
    home: path.resolve(env.DEIS_HOME || defaultHome(env)),
    resources: resourcesDir(env),
    apiPort: port(env, 'DEIS_API_PORT', DEFAULT_PORTS.api),
    builderPort: port(env, 'DEIS_BUILDER_PORT', DEFAULT_PORTS.builder),
    routerPort: port(env, 'DEIS_ROUTER_PORT', DEFAULT_PORTS.router),
    routerTlsPort: port(env, 'DEIS_ROUTER_TLS_PORT', DEFAULT_PORTS.routerTls),
    routerTlsPortDefault: !env.DEIS_ROUTER_TLS_PORT,
    host: '127.0.0.1',
    target,
    kubernetes: target === 'kubernetes' ? kubernetesSettings(env) : undefined,
    instance: env.DEIS_INSTANCE || DEFAULT_INSTANCE,
    routerBase: env.DEIS_ROUTER_BASE || DEFAULT_ROUTER_BASE,
    platformDomain: env.DEIS_PLATFORM_DOMAIN || DEFAULT_PLATFORM_DOMAIN,
    ui: rendererDir(env),
    desktopUser: env.DEIS_DESKTOP_USER === '1',
    keepReleaseImages: keepReleaseImages(env),
    prepareStack: env.DEIS_TARGET !== 'fake',
  };
}
