/**
 * Formation rules, as Deis's scheduler applies them: the default scale of a first deploy, what a
 * new build does to an existing structure, and which scale requests are valid. Pure.
 */
import { badRequest } from '../contract/errors';
import { MAX_PROCESSES_PER_APP, MAX_PROCESSES_PER_TYPE, MAX_SCALE_TYPES } from '../contract/limits';
import { PROCESS_TYPE_RE } from '../contract/pods';
import type { Procfile } from '../contract/objects';

export type Formation = Record<string, number>;

/** The types a build can run: its Procfile's, and the image's own `cmd` for Dockerfile or pulled images. */
export function buildTypes(procfile: Procfile, docker: boolean): string[] {
  const types = Object.keys(procfile);
  if (docker && !types.includes('cmd')) types.push('cmd');
  return types;
}

/** `web:1` with a web type; `cmd:1` for Dockerfile/image builds; nothing for a buildpack Procfile without web. */
export function defaultFormation(procfile: Procfile, docker: boolean): Formation {
  if ('web' in procfile) return { web: 1 };
  if (docker) return { cmd: 1 };
  if (Object.keys(procfile).length > 0) return {};
  return { web: 1 };
}

/**
 * The formation a new release runs with: the default when nothing was scaled yet or the build type
 * changed, else the current structure minus types the new build no longer has.
 */
export function formationFor(
  structure: Formation,
  procfile: Procfile,
  docker: boolean,
  previousDocker: boolean | undefined,
): Formation {
  const fresh = Object.keys(structure).length === 0;
  if (fresh) return defaultFormation(procfile, docker);
  const types = buildTypes(procfile, docker);
  const next: Formation = {};
  for (const [type, count] of Object.entries(structure)) if (types.includes(type)) next[type] = count;
  if (previousDocker !== undefined && previousDocker !== docker) {
    delete next.web;
    delete next.cmd;
    Object.assign(next, defaultFormation(procfile, docker));
  }
  return next;
}

/** A user's text in a message: at most 40 characters of it. */
const shown = (raw: string) => (raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);

/**
 * Checks a scale request against the build and the limits, before anything runs, and returns the
 * counts as integers: each a whole number (Deis's int(): digits, an optional sign, spaces around)
 * from 0 to MAX_PROCESSES_PER_TYPE, for at most MAX_SCALE_TYPES types the build has.
 */
export function parseScale(body: Record<string, number | string>, types: string[], app: string): Formation {
  const entries = Object.entries(body);
  if (entries.length > MAX_SCALE_TYPES)
    throw badRequest(
      `Invalid scaling format: ${entries.length} process types in one request; scale at most ${MAX_SCALE_TYPES} at once.`,
    );
  const counts: Formation = {};
  for (const [type, raw] of entries) {
    const count =
      typeof raw === 'number' ? raw : raw.length <= 40 && /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(count))
      throw badRequest(
        `Invalid scaling format: invalid literal for int() with base 10: '${shown(String(raw))}'`,
      );
    if (!PROCESS_TYPE_RE.test(type))
      throw badRequest(
        `Invalid scaling format: ${shown(type)} is not a valid process type: it must contain only lowercase letters, digits and hyphens`,
      );
    if (count < 0) throw badRequest('Invalid scaling format: Must be greater than or equal to zero');
    if (count > MAX_PROCESSES_PER_TYPE)
      throw badRequest(
        `Cannot scale ${type} to ${count} processes: a process type may run at most ${MAX_PROCESSES_PER_TYPE} on Deis Desktop.`,
      );
    counts[type] = count;
  }
  for (const type of Object.keys(counts))
    if (type !== 'cmd' && !types.includes(type))
      // Deis's words (which its client matches), then what the user can scale instead.
      throw badRequest(
        `Container type ${shown(type)} does not exist in application ${app} (its types: ${types.join(', ') || 'none yet'})`,
      );
  return counts;
}

/** Refuses a formation with more processes in all than an app may run. */
export function checkAppSize(formation: Formation): void {
  const total = Object.values(formation).reduce((sum, n) => sum + n, 0);
  if (total > MAX_PROCESSES_PER_APP)
    throw badRequest(
      `Cannot scale to ${total} processes in all: an app may run at most ${MAX_PROCESSES_PER_APP} on Deis Desktop.`,
    );
}
