/** Every app at a glance (state, URL, processes, release), and where a new one is made. */
import { useEffect, useState } from 'react';
import { ago, appUrl } from '../../src/format';
import { Badge, Empty, Notice, Section } from '../../src/ui/common';
import { useSession } from '../session/store';
import { CreateApp } from './CreateApp';
import { DeployFolder } from './DeployFolder';
import { PushInstructions } from './PushInstructions';
import { appState, useApps, type AppSummary } from './store';

export const processesOf = (structure: Record<string, number>): string =>
  Object.entries(structure)
    .map(([type, n]) => `${type}=${n}`)
    .join(' ') || '—';

function AppRow({ s, routerPort }: { s: AppSummary; routerPort: number }) {
  const state = appState(s);
  const url = appUrl(s.app.id, routerPort);
  return (
    <tr data-testid={`app-row-${s.app.id}`}>
      <td>
        <a href={`#/apps/${s.app.id}/overview`} className="strong">
          {s.app.id}
        </a>
        <div className="muted small">owner {s.app.owner}</div>
      </td>
      <td>
        <Badge tone={state.tone}>{state.label}</Badge>
      </td>
      <td data-testid="app-target">{s.app.target ?? 'local'}</td>
      <td>
        {url ? (
          <a href={url} target="_blank" rel="noreferrer" className="mono small">
            {url}
          </a>
        ) : (
          <span className="muted small">no router yet</span>
        )}
      </td>
      <td className="mono small">{processesOf(s.app.structure)}</td>
      <td>
        {s.release ? (
          <>
            <strong>v{s.release.version}</strong> <span className="muted small">{s.release.summary}</span>
          </>
        ) : (
          '—'
        )}
      </td>
      <td className="muted">{ago(s.app.updated)}</td>
    </tr>
  );
}

export function AppsList() {
  const apps = useApps((s) => s.apps);
  const error = useApps((s) => s.error);
  const loading = useApps((s) => s.loading);
  const load = useApps((s) => s.load);
  const info = useSession((s) => s.info);
  const [created, setCreated] = useState<string | null>(null);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <div className="page">
      <h1>Apps</h1>
      <Section title="New app">
        <CreateApp onCreated={setCreated} />
        {created && info && (
          <div className="created" data-testid="created-app">
            <Notice kind="success">
              Created <strong>{created}</strong>. Push code with git, or deploy a folder from this machine.
            </Notice>
            <PushInstructions app={created} builderPort={info.builder_port} />
            <h3>Deploy a folder</h3>
            <DeployFolder app={created} onDone={() => void load()} />
          </div>
        )}
      </Section>
      <Section title={`Your apps${apps.length ? ` (${apps.length})` : ''}`}>
        {error && <Notice kind="error">{error}</Notice>}
        {apps.length === 0 && !loading ? (
          <Empty>No apps yet. Create one above.</Empty>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>App</th>
                <th>State</th>
                <th>Target</th>
                <th>URL</th>
                <th>Processes</th>
                <th>Release</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {apps.map((s) => (
                <AppRow key={s.app.id} s={s} routerPort={info?.router_port ?? 8080} />
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </div>
  );
}
