/**
 * Writes the activity feed for every change made through the API: each route that changes an app
 * is wrapped, and once it has answered, who did what (and, when it failed, why) is recorded. Config
 * changes are described by their keys only; values never reach the feed. A request refused before
 * it touched the app (unknown app, no access, malformed input) is not activity.
 */
import type { ActivityAction } from '../contract/activity';
import { DeisError } from '../contract/errors';
import type { Controller } from '../controller';
import type { AppRow } from '../controller/apps';
import { targetFailures } from '../controller/scheduler';
import type { ApiRequest, ApiResponse, Handler, Method, Router } from './router';

const CHANGES: Method[] = ['POST', 'PUT', 'PATCH', 'DELETE'];
/**
 * A failure is activity when something was tried and went wrong: the target failed (a deploy that
 * crashed) or the core did (5xx). A request refused before any work (bad input, no access, "changed
 * nothing") left the app as it was, and leaves the feed as it was too.
 */
const tried = (err: unknown): boolean =>
  !(err instanceof DeisError) || err.status >= 500 || targetFailures.has(err);

interface Described {
  action: ActivityAction;
  summary: string;
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
/** At most this many names in one summary, then "and N more". */
const list = (names: string[], most = 20) =>
  names.length <= most
    ? names.join(', ')
    : `${names.slice(0, most).join(', ')} and ${names.length - most} more`;

/** "set A, B; unset C; limits memory": what a config change touched, by key. */
export function configKeys(body: unknown): string {
  const b = obj(body);
  const parts: string[] = [];
  const values = obj(b.values);
  const set = Object.keys(values).filter((k) => values[k] !== null);
  const unset = Object.keys(values).filter((k) => values[k] === null);
  if (set.length) parts.push(`set ${list(set)}`);
  if (unset.length) parts.push(`unset ${list(unset)}`);
  for (const field of ['memory', 'cpu', 'tags', 'registry', 'healthcheck'])
    if (Object.keys(obj(b[field])).length)
      parts.push(
        `${field === 'memory' || field === 'cpu' ? 'limits ' : ''}${field} ${list(Object.keys(obj(b[field])))}`,
      );
  return parts.join('; ') || 'no change';
}

function describe(
  c: Controller,
  app: AppRow,
  method: string,
  rest: string,
  body: unknown,
  ok: boolean,
): Described | undefined {
  const b = obj(body);
  const seg = rest.split('/').filter(Boolean);
  const current = () => (ok ? c.releases.current(app) : undefined);
  const version = () => {
    const r = current();
    return r ? `, now v${r.version}` : '';
  };
  switch (seg[0]) {
    case undefined:
      if (method === 'DELETE') return { action: 'destroy', summary: 'destroyed the app' };
      return { action: 'transfer', summary: `transferred the app to ${String(b.owner ?? '?')}` };
    case 'config':
      return { action: 'config', summary: `changed config: ${configKeys(body)}${version()}` };
    case 'scale':
      return {
        action: 'scale',
        summary: `scaled ${list(Object.entries(b).map(([type, n]) => `${type}=${String(n)}`))}`,
      };
    case 'pods':
      // The console's command may hold a secret too: only where it ran.
      if (seg.at(-1) === 'exec')
        return { action: 'run', summary: `ran a console command in ${seg[1] ?? '?'}` };
      if (seg.at(-1) === 'shell') return { action: 'run', summary: `opened a shell in ${seg[1] ?? '?'}` };
      if (seg.at(-1) !== 'restart') return undefined;
      if (seg.length === 2) return { action: 'restart', summary: 'restarted every process' };
      if (seg.length === 3) return { action: 'restart', summary: `restarted the ${seg[1]} processes` };
      return { action: 'restart', summary: `restarted ${seg[2]}` };
    case 'releases': {
      if (seg[1] !== 'rollback') return undefined;
      const to = /rolled back to (v\d+)/.exec(current()?.summary ?? '')?.[1];
      const asked = typeof b.version === 'number' ? `v${b.version}` : 'the previous release';
      return { action: 'rollback', summary: `rolled back to ${to ?? asked}${version()}` };
    }
    case 'builds':
      // A build that succeeded is recorded with its release (see recordReleases).
      if (ok) return undefined;
      return { action: 'build', summary: `deploy of image ${String(b.image ?? '?')}` };
    case 'domains':
      if (method === 'DELETE') return { action: 'domain', summary: `removed domain ${seg[1] ?? '?'}` };
      return { action: 'domain', summary: `added domain ${String(b.domain ?? '?')}` };
    case 'settings': {
      const shown = Object.entries(b).map(([k, v]) => (typeof v === 'boolean' ? `${k}=${v}` : k));
      return { action: 'settings', summary: `changed settings: ${list(shown)}` };
    }
    case 'whitelist': {
      const addresses = Array.isArray(b.addresses) ? b.addresses.map(String) : [];
      const verb = method === 'DELETE' ? 'removed from' : 'added to';
      return { action: 'whitelist', summary: `${verb} the whitelist: ${list(addresses)}` };
    }
    case 'tls':
      return {
        action: 'tls',
        summary: b.https_enforced ? 'enforced HTTPS' : 'stopped enforcing HTTPS',
      };
    case 'perms':
      if (method === 'DELETE') return { action: 'perms', summary: `removed ${seg[1] ?? '?'}'s access` };
      return { action: 'perms', summary: `shared the app with ${String(b.username ?? '?')}` };
    case 'run':
      // The command may hold a secret (`deis run -- curl -u me:password …`): not in the feed.
      return { action: 'run', summary: 'ran a one-off command' };
    case 'deploy':
      return { action: 'deploy', summary: `deployed a folder` };
    default:
      return undefined;
  }
}

/** The first sentence of a failure, without the app's log lines (an app may print its secrets). */
const reasonOf = (err: unknown): string =>
  (err instanceof DeisError ? err.message : 'The request failed; the core log says why.').split(
    '\n\nLast log lines:',
  )[0]!;

const APP_PATH = /^\/v2\/(?:desktop\/)?apps\/([a-z0-9-]+)(\/.*)?$/;

/** Wraps every route that changes an app so that the change is recorded once it has answered. */
export function recordActivity(r: Router, c: Controller): void {
  const note = (req: ApiRequest, before: AppRow | undefined, res: ApiResponse | undefined, err: unknown) => {
    const ok = err === undefined;
    if (!ok && !tried(err)) return;
    // POST /v2/apps/: the app exists only after.
    if (/^\/v2\/apps\/?$/.test(req.path)) {
      const id = obj(res?.body).id;
      const app = typeof id === 'string' ? c.apps.find(id) : undefined;
      if (ok && app)
        c.activity.record({ app, user: req.user.username, action: 'create', summary: 'created the app' });
      return;
    }
    const m = APP_PATH.exec(req.path);
    const app = before ?? (m ? c.apps.find(m[1]!) : undefined);
    if (!m || !app) return;
    const d = describe(c, app, req.method, m[2] ?? '', req.body, ok);
    if (!d) return;
    c.activity.record({
      app,
      user: req.user.username,
      ...d,
      ...(ok ? {} : { failure: reasonOf(err) }),
    });
  };
  for (const route of r.routes) {
    if (route.auth !== 'user') continue;
    for (const method of CHANGES) {
      const handler = route.handlers[method];
      if (!handler) continue;
      const wrapped: Handler = async (req) => {
        const m = APP_PATH.exec(req.path);
        // Whether the user may read the app is decided by the handler; the feed only records.
        const before = m ? c.apps.find(m[1]!) : undefined;
        const mayRead = () => {
          if (!before) return false;
          try {
            c.apps.access(req.user, before.id, 'GET');
            return true;
          } catch {
            return false;
          }
        };
        const readable = !m || mayRead();
        let res: ApiResponse;
        try {
          res = await handler(req);
        } catch (err) {
          if (readable) note(req, before, undefined, err);
          throw err;
        }
        if (res.status < 400 && (readable || !m)) note(req, before, res, undefined);
        return res;
      };
      route.handlers[method] = wrapped;
    }
  }
}
