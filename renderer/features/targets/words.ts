/**
 * How targets read in the UI, as plain functions (no React, no requests): a state in words, a kind
 * (one this UI does not know is its own word), a name's problem, an app's address through a
 * target's router, an image's digest and where a promoted release came from.
 */
import { TARGET_NAME_MAX } from '../../../main/contract/limits';
import { TARGET_NAME_MESSAGE, TARGET_NAME_RE } from '../../../main/contract/targets';

/** A target's state in words (never colour alone) and the badge tone beside them. */
export function stateWords(t: { state: string }): {
  label: string;
  tone: 'ok' | 'bad' | 'busy' | 'muted';
} {
  switch (t.state) {
    case 'ready':
      return { label: 'Ready', tone: 'ok' };
    case 'starting':
      return { label: 'Starting', tone: 'busy' };
    case 'idle':
      return { label: 'Idle: connects when an app needs it', tone: 'muted' };
    case 'unavailable':
      return { label: 'Unavailable', tone: 'bad' };
    default:
      return { label: t.state, tone: 'muted' };
  }
}

/** The kind as a person reads it; a kind this UI does not know is its own word. */
export function kindWords(kind: string): string {
  switch (kind) {
    case 'docker':
      return 'Docker engine';
    case 'kubernetes':
      return 'Kubernetes';
    case 'kind':
      return 'kind cluster';
    default:
      return kind;
  }
}

export function targetNameProblem(name: string): string | null {
  if (name === '') return 'Give the target a name.';
  if (name.length > TARGET_NAME_MAX || !TARGET_NAME_RE.test(name)) return TARGET_NAME_MESSAGE;
  if (name === 'local') return 'local is the engine the core runs on; pick another name.';
  return null;
}

/** Where an app answers through a target's router: `<app>.localhost:<port>` for a router on this machine. */
export function appUrlVia(routerUrl: string, app: string): string | null {
  if (!routerUrl) return null;
  try {
    const u = new URL(routerUrl);
    const local = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
    u.hostname = local ? `${app}.localhost` : `${app}.${u.hostname}`;
    return u.toString();
  } catch {
    return null;
  }
}

/** The digest of `<registry>/<repo>@sha256:…`, or of a bare `sha256:…` image ID; null for a tag. */
export function digestOf(image: string): string | null {
  const m = /(sha256:[0-9a-f]{64})$/.exec(image);
  return m ? m[1]! : null;
}

/** `admin promoted v7 from local` → version and target. */
export function promotedFrom(summary: string): { version: number; target: string } | null {
  const m = / promoted v(\d+) from ([a-z0-9-]+)$/.exec(summary);
  return m ? { version: Number(m[1]), target: m[2]! } : null;
}
