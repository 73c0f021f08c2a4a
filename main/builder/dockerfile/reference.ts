/**
 * Image references as Docker reads them (docker/distribution's `ParseAnyReference` and
 * `ParseNormalizedNamed`): `debian` is `docker.io/library/debian:latest`, a first component with a
 * `.` or `:` (or `localhost`) is a registry, 64 hex digits or `sha256:...` is an image ID.
 */

export const DOCKER_HUB = 'docker.io';

export type ImageRef =
  { kind: 'id'; id: string } | { kind: 'named'; domain: string; path: string; tag?: string; digest?: string };

const NAME_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${NAME_COMPONENT}(?:/${NAME_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);
const ID = /^[a-f0-9]{64}$/;
const DIGEST_ONLY = /^sha256:[a-f0-9]{64}$/;

export class ReferenceError extends Error {
  override readonly name = 'ReferenceError';
}

export function parseImageRef(ref: string): ImageRef {
  if (ID.test(ref)) return { kind: 'id', id: `sha256:${ref}` };
  if (DIGEST_ONLY.test(ref)) return { kind: 'id', id: ref };
  const slash = ref.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = slash < 0 ? '' : ref.slice(0, slash);
  if (slash < 0 || (!/[.:]/.test(first) && first !== 'localhost')) {
    domain = DOCKER_HUB;
    remainder = ref;
  } else {
    domain = first;
    remainder = ref.slice(slash + 1);
  }
  if (domain === 'index.docker.io') domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !remainder.includes('/')) remainder = `library/${remainder}`;
  const colon = remainder.indexOf(':');
  const repo = colon < 0 ? remainder : remainder.slice(0, colon);
  if (repo.toLowerCase() !== repo)
    throw new ReferenceError(`invalid reference format: repository name must be lowercase: ${ref}`);
  const m = REFERENCE.exec(`${domain}/${remainder}`);
  if (!m) throw new ReferenceError(`invalid reference format: ${ref}`);
  const name = m[1]!;
  const path = name.slice(domain.length + 1);
  if (name.length > 255)
    throw new ReferenceError(`repository name must not be more than 255 characters: ${ref}`);
  return { kind: 'named', domain, path, tag: m[2], digest: m[3] };
}

/** `docker.io/library/debian:latest` — the full name a tag lookup uses (a missing tag means latest). */
export function fullName(ref: Extract<ImageRef, { kind: 'named' }>): string {
  const base = `${ref.domain}/${ref.path}`;
  if (ref.digest) return `${base}@${ref.digest}`;
  return `${base}:${ref.tag ?? 'latest'}`;
}

/** The full name of each RepoTags / RepoDigests entry of an inspected image. */
export function fullNames(names: string[] | null | undefined): Set<string> {
  const out = new Set<string>();
  for (const n of names ?? []) {
    try {
      const r = parseImageRef(n);
      if (r.kind === 'named') out.add(fullName(r));
    } catch {
      // A name Docker itself would not parse cannot be asked for by name either.
    }
  }
  return out;
}
