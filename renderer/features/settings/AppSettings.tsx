/** The app's settings: maintenance, routing, limits, health checks, and destroying it. */
import { useEffect, useState } from 'react';
import { messageOf } from '../../src/api';
import { useRoute } from '../../src/route';
import { Button, Notice, Section } from '../../src/ui/common';
import { useApps } from '../apps/store';
import { processTypes, useOverview } from '../overview/store';
import { useAppSettings } from './store';

/** Runs an action and keeps its outcome as a sentence. */
function useAction() {
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (work: () => Promise<void>, done: string) => {
    setResult(null);
    setBusy(true);
    try {
      await work();
      setResult({ ok: true, text: done });
    } catch (err) {
      setResult({ ok: false, text: messageOf(err) });
    } finally {
      setBusy(false);
    }
  };
  return { result, busy, run };
}

function Limits({ app, types }: { app: string; types: string[] }) {
  const { config, setLimit, setHealthcheck } = useAppSettings();
  const [edits, setEdits] = useState<Record<string, string>>({});
  const { result, busy, run } = useAction();
  const field = (kind: string, type: string, saved: string) => (
    <input
      className="mono"
      aria-label={`${kind} of ${type}`}
      placeholder={kind === 'memory' ? 'e.g. 512M' : kind === 'cpu' ? 'e.g. 500m' : '/healthz'}
      value={edits[`${kind}/${type}`] ?? saved}
      onChange={(e) => setEdits({ ...edits, [`${kind}/${type}`]: e.target.value })}
    />
  );
  const save = (type: string) =>
    run(async () => {
      const port = Number(config?.values.PORT ?? 5000);
      for (const kind of ['memory', 'cpu'] as const) {
        const value = edits[`${kind}/${type}`];
        if (value !== undefined) await setLimit(app, kind, type, value.trim());
      }
      const path = edits[`health/${type}`];
      if (path !== undefined) await setHealthcheck(app, type, path.trim(), port);
      setEdits({});
    }, `Saved the limits and checks of ${type}; a new release carries them.`);
  const probePath = (type: string): string => {
    const probe = config?.healthcheck[type]?.readinessProbe as { httpGet?: { path?: string } } | undefined;
    return probe?.httpGet?.path ?? '';
  };
  return (
    <Section title="Limits and health checks">
      {types.length === 0 ? (
        <p className="muted">Limits are set per process type; the app has none until its first build.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Type</th>
              <th>Memory</th>
              <th>CPU</th>
              <th>Readiness check (HTTP path)</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {types.map((t) => (
              <tr key={t}>
                <td className="strong">{t}</td>
                <td>{field('memory', t, config?.memory[t] ?? '')}</td>
                <td>{field('cpu', t, config?.cpu[t] ?? '')}</td>
                <td>{field('health', t, probePath(t))}</td>
                <td>
                  <Button busy={busy} onClick={() => void save(t)}>
                    Save
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {result && <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>}
    </Section>
  );
}

function Destroy({ app }: { app: string }) {
  const destroy = useAppSettings((s) => s.destroy);
  const reload = useApps((s) => s.load);
  const go = useRoute((s) => s.go);
  const [confirm, setConfirm] = useState('');
  const { result, busy, run } = useAction();
  return (
    <Section title="Destroy this app">
      <p className="muted">
        Stops its processes and deletes its releases, config and builds. Type <strong>{app}</strong> to
        confirm.
      </p>
      <div className="row">
        <input
          aria-label="Type the app name to confirm"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
        />
        <Button
          kind="danger"
          busy={busy}
          disabled={confirm !== app}
          onClick={() =>
            void run(async () => {
              await destroy(app);
              await reload();
              go({ page: 'apps' });
            }, `Destroyed ${app}.`)
          }
        >
          Destroy {app}
        </Button>
      </div>
      {result && !result.ok && <Notice kind="error">{result.text}</Notice>}
    </Section>
  );
}

export function AppSettingsTab({ app }: { app: string }) {
  const { settings, error, load, toggle } = useAppSettings();
  const overviewApp = useOverview((s) => s.app);
  const build = useOverview((s) => s.build);
  const loadOverview = useOverview((s) => s.load);
  const { result, run } = useAction();
  useEffect(() => {
    void load(app);
    void loadOverview(app);
  }, [app, load, loadOverview]);
  const types = processTypes(overviewApp, build);
  const switchRow = (field: 'maintenance' | 'routable', label: string, help: string) => (
    <label className="switch">
      <input
        type="checkbox"
        checked={settings?.[field] ?? false}
        onChange={(e) => {
          const on = e.target.checked;
          void run(() => toggle(app, field, on), `${label} ${on ? 'on' : 'off'}.`);
        }}
      />
      <span>
        <strong>{label}</strong> <span className="muted small">{help}</span>
      </span>
    </label>
  );
  return (
    <>
      {error && <Notice kind="error">{error}</Notice>}
      <Section title="Traffic">
        {switchRow('maintenance', 'Maintenance mode', 'The router answers 503 while you work on the app.')}
        {switchRow('routable', 'Routable', 'Off: the app runs but the router sends it no traffic.')}
        {result && <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>}
      </Section>
      <Limits app={app} types={types} />
      <Destroy app={app} />
    </>
  );
}
