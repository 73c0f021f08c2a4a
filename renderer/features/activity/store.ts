/**
 * The activity feed: the newest entries from the core, then new ones as they happen through the
 * server-sent events of /v2/desktop/activity/events/ (followed again after a break, and the list
 * loaded again so nothing done during the break is missing). One app's feed or every readable app's.
 */
import { useEffect, useState } from 'react';
import { z } from 'zod';
import { ApiError, follow, get, messageOf } from '../../src/api';

export const ActivityEntrySchema = z.object({
  id: z.number(),
  app: z.string(),
  user: z.string(),
  action: z.string(),
  summary: z.string(),
  ok: z.boolean(),
  reason: z.string(),
  created: z.string(),
});
export type ActivityEntry = z.infer<typeof ActivityEntrySchema>;

const ListSchema = z.object({ count: z.number(), results: z.array(ActivityEntrySchema) });
const EventSchema = z.object({ type: z.literal('activity'), entry: ActivityEntrySchema });

/** Entries kept on screen: the newest page; older ones are a scroll through the CLI (`deis activity`). */
export const SHOWN = 100;
const RECONNECT_MS = 2_000;

export interface Feed {
  entries: ActivityEntry[];
  live: boolean;
  error: string | null;
}

/** Newest first, without duplicates (an entry may come both in the list and as an event). */
function merge(entries: ActivityEntry[], more: ActivityEntry[]): ActivityEntry[] {
  const byId = new Map<number, ActivityEntry>();
  for (const e of [...more, ...entries]) if (!byId.has(e.id)) byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, SHOWN);
}

export function useActivity(app?: string): Feed {
  const [feed, setFeed] = useState<Feed>({ entries: [], live: false, error: null });
  useEffect(() => {
    const abort = new AbortController();
    const listPath = app
      ? `/v2/apps/${encodeURIComponent(app)}/activity/?limit=${SHOWN}`
      : `/v2/desktop/activity/?limit=${SHOWN}`;
    const eventsPath = `/v2/desktop/activity/events/${app ? `?app=${encodeURIComponent(app)}` : ''}`;
    const load = async () => {
      try {
        const list = await get(listPath, ListSchema);
        if (!abort.signal.aborted)
          setFeed((f) => ({ ...f, entries: merge(f.entries, list.results), error: null }));
      } catch (err) {
        if (!abort.signal.aborted) setFeed((f) => ({ ...f, error: messageOf(err) }));
      }
    };
    const onData = (data: string) => {
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        return;
      }
      const parsed = EventSchema.safeParse(json);
      if (parsed.success) setFeed((f) => ({ ...f, entries: merge(f.entries, [parsed.data.entry]) }));
    };
    const loop = async () => {
      while (!abort.signal.aborted) {
        try {
          await follow(
            eventsPath,
            {
              // Connected: whatever happened while the stream was down is in the list.
              onOpen: () => {
                setFeed((f) => ({ ...f, live: true }));
                void load();
              },
              onData,
            },
            abort.signal,
          );
        } catch (err) {
          if (abort.signal.aborted) return;
          if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 404)) {
            setFeed((f) => ({ ...f, live: false, error: err.message }));
            return;
          }
        }
        if (abort.signal.aborted) return;
        setFeed((f) => ({ ...f, live: false }));
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
      }
    };
    void loop();
    return () => abort.abort();
  }, [app]);
  return feed;
}
