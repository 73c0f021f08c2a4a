/**
 * What one process of a release looks like as a container: its command, environment, port and
 * limits, as Deis's scheduler builds a pod. Pure, so the rules are easy to test.
 */
import type { ReleaseSpec } from '../target';

export const DEFAULT_PORT = 5000;

/** The port the app listens on: config PORT, else (Dockerfile images) the image's first EXPOSE, else 5000. */
export function appPort(release: ReleaseSpec, exposed?: number): number {
  const configured = Number(release.values.PORT);
  if (Number.isInteger(configured) && configured > 0 && configured < 65536) return configured;
  if (release.dockerfile && exposed) return exposed;
  return DEFAULT_PORT;
}

/** The environment every process of the release gets; the app's own values win, as in Deis. */
export function processEnv(release: ReleaseSpec, port: number): Record<string, string> {
  const env: Record<string, string> = {
    DEIS_APP: release.app,
    WORKFLOW_RELEASE: `v${release.version}`,
    WORKFLOW_RELEASE_SUMMARY: release.summary,
    WORKFLOW_RELEASE_CREATED_AT: release.created,
    PORT: String(port),
  };
  if (release.sha) env.SOURCE_VERSION = release.sha;
  return { ...env, ...release.values };
}

export interface ProcessCommand {
  entrypoint?: string[];
  cmd?: string[];
}

/**
 * Buildpack images start a type through `/runner/init <type>`; a Dockerfile image runs its
 * Procfile command with bash, and its `cmd` type runs the image's own command unchanged.
 */
export function processCommand(release: ReleaseSpec, type: string): ProcessCommand {
  if (!release.dockerfile) return { entrypoint: ['/runner/init'], cmd: [type] };
  const command = release.procfile[type];
  if (command) return { entrypoint: ['/bin/bash', '-c'], cmd: [command] };
  return {};
}

/** The one-off command of `deis run`, with the same environment setup as the app's processes. */
export function runCommand(release: ReleaseSpec, command: string): ProcessCommand {
  if (!release.dockerfile) return { entrypoint: ['/runner/init'], cmd: ['bash', '-c', command] };
  return { entrypoint: ['/bin/bash', '-c'], cmd: [command] };
}

/** The process types a release can run: its Procfile's, plus the image's own `cmd` for Dockerfile images. */
export function processTypes(release: ReleaseSpec): string[] {
  const types = Object.keys(release.procfile);
  if (release.dockerfile && !types.includes('cmd')) types.push('cmd');
  return types;
}

/** Only these get HTTP traffic; `web` wins when both exist (Deis's Service selector). */
export function routedType(types: Iterable<string>): 'web' | 'cmd' | undefined {
  const all = [...types];
  if (all.includes('web')) return 'web';
  if (all.includes('cmd')) return 'cmd';
  return undefined;
}

const UNIT: Record<string, number> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** Deis memory (`512M`, `1G`, `256M/512M` = request/limit, `0` = none) in bytes. */
export function memoryBytes(spec: string | undefined): { limit?: number; request?: number } {
  if (!spec) return {};
  const parse = (s: string): number | undefined => {
    const m = /^([0-9]+)([BKMG])?B?$/i.exec(s.trim());
    if (!m) return undefined;
    const n = Number(m[1]) * (UNIT[(m[2] ?? 'B').toUpperCase()] ?? 1);
    return n > 0 ? n : undefined;
  };
  const [a, b] = spec.split('/');
  if (b === undefined) return { limit: parse(a!) };
  return { request: parse(a!), limit: parse(b) };
}

/** Deis cpu (`500m`, `1`, `250m/1` = request/limit) in cores. */
export function cpuCores(spec: string | undefined): { limit?: number; request?: number } {
  if (!spec) return {};
  const parse = (s: string): number | undefined => {
    const m = /^([-+]?[0-9]*\.?[0-9]+)(m?)$/.exec(s.trim());
    if (!m) return undefined;
    const n = Number(m[1]) / (m[2] ? 1000 : 1);
    return n > 0 ? n : undefined;
  };
  const [a, b] = spec.split('/');
  if (b === undefined) return { limit: parse(a!) };
  return { request: parse(a!), limit: parse(b) };
}
