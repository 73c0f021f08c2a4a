/**
 * Restarts one process from the process list: the core starts a fresh one and, for a routed
 * process, sends it traffic before the old one stops, so no request fails. Says what replaced it.
 */
import { useState } from 'react';
import { PodSchema, type PodInfo } from '../../../main/contract/responses';
import { messageOf, post } from '../../src/api';
import { Button } from '../../src/ui/common';
import './console.css';

export function RestartButton({ app, pod, onDone }: { app: string; pod: PodInfo; onDone(): void }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const restart = async () => {
    setBusy(true);
    setResult(null);
    try {
      const path = `/v2/apps/${encodeURIComponent(app)}/pods/${encodeURIComponent(pod.type)}/${encodeURIComponent(pod.name)}/restart/`;
      const after = await post(path, PodSchema.array());
      const pods = after;
      const fresh = pods.filter((p) => p.name !== pod.name).map((p) => p.name);
      setResult({
        ok: true,
        text: `Restarted ${pod.name}${fresh.length ? `: ${pod.type} now runs ${fresh.join(', ')}` : ''}.`,
      });
      onDone();
    } catch (err) {
      setResult({ ok: false, text: messageOf(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button busy={busy} onClick={() => void restart()} title={`Replace ${pod.name} with a fresh process`}>
        <span className="sr-only">Restart {pod.name}</span>
        <span aria-hidden="true">Restart</span>
      </Button>
      {result && (
        <span
          className={`restart-result small ${result.ok ? 'muted' : 'field-error'}`}
          role={result.ok ? 'status' : 'alert'}
        >
          {result.text}
        </span>
      )}
    </>
  );
}
