/** Processes by type with steppers to scale them, and the processes the target reports. */
import { useState } from 'react';
import { messageOf } from '../../src/api';
import { ago } from '../../src/format';
import { Badge, Button, Empty, Notice } from '../../src/ui/common';
import { RestartButton, RestartNotice } from '../console/RestartButton';
import { processTypes, useOverview } from './store';

export function ScaleControls({ app }: { app: string }) {
  const state = useOverview();
  const types = processTypes(state.app, state.build);
  const [wanted, setWanted] = useState<Record<string, number>>({});
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const current = (t: string) => wanted[t] ?? state.app?.structure[t] ?? 0;
  const changed = types.filter((t) => current(t) !== (state.app?.structure[t] ?? 0));

  const apply = async () => {
    setBusy(true);
    setResult(null);
    try {
      const text = await state.scale(app, Object.fromEntries(changed.map((t) => [t, current(t)])));
      setResult({ ok: true, text });
      setWanted({});
      await state.load(app);
    } catch (err) {
      setResult({ ok: false, text: messageOf(err) });
    } finally {
      setBusy(false);
    }
  };

  if (types.length === 0)
    return <Empty>No processes until the app has a build. Deploy a folder or push with git.</Empty>;
  return (
    <>
      <table className="table">
        <thead>
          <tr>
            <th>Type</th>
            <th>Command</th>
            <th>Running</th>
            <th>Scale</th>
          </tr>
        </thead>
        <tbody>
          {types.map((t) => {
            const pods = state.pods?.filter((p) => p.type === t) ?? null;
            return (
              <tr key={t} data-testid={`proc-${t}`}>
                <td className="strong">{t}</td>
                <td className="mono small">
                  {state.build?.procfile[t] ?? (state.build?.dockerfile ? 'Dockerfile CMD' : '')}
                </td>
                <td>
                  {pods === null ? (
                    <span className="muted">—</span>
                  ) : (
                    `${pods.filter((p) => p.state === 'up').length} up of ${state.app?.structure[t] ?? 0}`
                  )}
                </td>
                <td>
                  <div className="stepper">
                    <button
                      type="button"
                      aria-label={`fewer ${t}`}
                      onClick={() => setWanted({ ...wanted, [t]: Math.max(0, current(t) - 1) })}
                    >
                      −
                    </button>
                    <span data-testid={`scale-${t}`}>{current(t)}</span>
                    <button
                      type="button"
                      aria-label={`more ${t}`}
                      onClick={() => setWanted({ ...wanted, [t]: current(t) + 1 })}
                    >
                      +
                    </button>
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="row">
        <Button kind="primary" busy={busy} disabled={changed.length === 0} onClick={() => void apply()}>
          Apply scale
        </Button>
        {result && <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>}
      </div>
      {state.pods && state.pods.length > 0 && (
        <table className="table small">
          <tbody>
            {state.pods.map((p) => (
              <tr key={p.name} data-testid={`pod-${p.name}`}>
                <td className="mono">{p.name}</td>
                <td>
                  <Badge
                    tone={
                      p.state === 'up' ? 'ok' : p.state === 'crashed' || p.state === 'error' ? 'bad' : 'busy'
                    }
                  >
                    {p.state}
                  </Badge>
                </td>
                <td>{p.release}</td>
                <td className="muted">{ago(p.started)}</td>
                <td>
                  <RestartButton app={app} pod={p} onDone={() => void state.load(app)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <RestartNotice app={app} />
    </>
  );
}
