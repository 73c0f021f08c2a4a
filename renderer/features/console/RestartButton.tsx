/**
 * Restarts one process from the process list: the core starts a fresh one and, for a routed
 * process, sends it traffic before the old one stops, so no request fails. What replaced it is said
 * under the list (the old process's row goes away with it).
 */
import { useState } from 'react';
import { create } from 'zustand';
import { PodSchema, type PodInfo } from '../../../main/contract/responses';
import { messageOf, post } from '../../src/api';
import { Notice, Spinner } from '../../src/ui/common';
import './console.css';

interface Restarts {
  /** The last restart's outcome, per app. */
  results: Record<string, { ok: boolean; text: string }>;
  say(app: string, result: { ok: boolean; text: string } | null): void;
}

const useRestarts = create<Restarts>((set) => ({
  results: {},
  say: (app, result) =>
    set((s) => {
      const results = { ...s.results };
      if (result) results[app] = result;
      else delete results[app];
      return { results };
    }),
}));

export function RestartButton({ app, pod, onDone }: { app: string; pod: PodInfo; onDone(): void }) {
  const [busy, setBusy] = useState(false);
  const say = useRestarts((s) => s.say);
  const restart = async () => {
    setBusy(true);
    say(app, null);
    try {
      const path = `/v2/apps/${encodeURIComponent(app)}/pods/${encodeURIComponent(pod.type)}/${encodeURIComponent(pod.name)}/restart/`;
      // Deis answers the type's processes once the fresh ones are up.
      const after = await post(path, PodSchema.array());
      const fresh = after.filter((p) => p.name !== pod.name).map((p) => p.name);
      say(app, {
        ok: true,
        text: `Restarted ${pod.name}${fresh.length ? `: ${pod.type} now runs ${fresh.join(', ')}` : ''}.`,
      });
      onDone();
    } catch (err) {
      say(app, { ok: false, text: `Could not restart ${pod.name}: ${messageOf(err)}` });
    } finally {
      setBusy(false);
    }
  };
  return (
    // Named for its process by aria-label, so the process's name is on the page once, in its cell.
    <button
      type="button"
      className="btn btn-plain"
      aria-label={`Restart ${pod.name}`}
      title={`Replace ${pod.name} with a fresh process`}
      disabled={busy}
      onClick={() => void restart()}
    >
      {busy && <Spinner />}
      Restart
    </button>
  );
}

/** What the last restart of the app's processes did. */
export function RestartNotice({ app }: { app: string }) {
  const result = useRestarts((s) => s.results[app]);
  if (!result) return null;
  return <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>;
}
