/**
 * DRF LimitOffsetPagination: `?limit=&offset=` → `{count, next, previous, results}`. The links start
 * with the core's own URL (`req.origin`), never the request's Host, which a client chooses.
 */
import type { Paginated } from '../contract/objects';
import type { ApiRequest } from './router';

export const DEFAULT_PAGE_SIZE = 100;

function positiveInt(raw: string | null, fallback: number, strict: boolean): number {
  if (raw === null || !/^\d+$/.test(raw.trim())) return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isSafeInteger(n) || (strict && n === 0)) return fallback;
  return n;
}

export function paginate<T>(req: ApiRequest, items: readonly T[]): Paginated<T> {
  const limit = positiveInt(req.query.get('limit'), DEFAULT_PAGE_SIZE, true);
  const offset = positiveInt(req.query.get('offset'), 0, false);
  const count = items.length;
  const link = (o: number) => {
    const q = new URLSearchParams(req.query);
    q.set('limit', String(limit));
    if (o <= 0) q.delete('offset');
    else q.set('offset', String(o));
    return `${req.origin}${req.path}?${q.toString()}`;
  };
  return {
    count,
    next: offset + limit < count ? link(offset + limit) : null,
    previous: offset <= 0 ? null : link(Math.min(offset - limit, count - limit)),
    results: items.slice(offset, offset + limit),
  };
}
