/** The app's overview: its URL, current release, processes by type with scale controls. */
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { messageOf } from '../../src/api';
import { ago, appUrl } from '../../src/format';
import { openUrl } from '../../src/native';
import { Badge, Button, Empty, Notice, Section } from '../../src/ui/common';
import { DeployFolder } from '../apps/DeployFolder';
import { PushInstructions } from '../apps/PushInstructions';
import { useSession } from '../session/store';
import { useTasks } from '../tasks/store';
import { TaskView } from '../tasks/TaskView';
import { processTypes, useOverview } from './store';

function ScaleControls({ app }: { app: string }) {
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
              <tr key={p.name}>
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
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function Overview({ app }: { app: string }) {
  const release = useOverview((s) => s.release);
  const build = useOverview((s) => s.build);
  const error = useOverview((s) => s.error);
  const load = useOverview((s) => s.load);
  const info = useSession((s) => s.info);
  const finished = useTasks((s) => s.finished);
  // useShallow: the selector builds a new list, which must not count as a change unless its ids do.
  const building = useTasks(
    useShallow((s) => s.recent.filter((id) => s.tasks[id]?.app === app && s.tasks[id]?.state === 'running')),
  );
  const loadRecent = useTasks((s) => s.loadRecent);
  useEffect(() => {
    void load(app);
  }, [app, load, finished]);
  useEffect(() => {
    void loadRecent({ app });
  }, [app, loadRecent]);
  const url = appUrl(app, info?.router_port ?? 8080);

  return (
    <>
      {error && <Notice kind="error">{error}</Notice>}
      <div className="facts">
        <div className="fact">
          <div className="fact-label">URL</div>
          <div className="fact-value">
            <a
              href={url}
              className="mono"
              onClick={(e) => {
                e.preventDefault();
                openUrl(url);
              }}
            >
              {url}
            </a>
          </div>
        </div>
        <div className="fact">
          <div className="fact-label">Current release</div>
          <div className="fact-value" data-testid="current-release">
            {release ? `v${release.version}` : '—'} <span className="muted small">{release?.summary}</span>
          </div>
        </div>
        <div className="fact">
          <div className="fact-label">Build</div>
          <div className="fact-value mono small">
            {build ? build.sha.slice(0, 7) || build.image : 'none yet'}
          </div>
        </div>
      </div>
      {building.length > 0 && (
        <Section title="Building now">
          {building.map((id) => (
            <TaskView key={id} id={id} />
          ))}
        </Section>
      )}
      <Section title="Processes">
        <ScaleControls app={app} />
      </Section>
      <Section title="Deploy">
        <DeployFolder app={app} onDone={() => void load(app)} />
        {info && <PushInstructions app={app} builderPort={info.builder_port} />}
      </Section>
    </>
  );
}
