/**
 * The Services screen: the catalog (drag a kind onto an app, or create one by name), the apps to drop
 * on, what is being attached, and the services the user has with their state, apps and actions.
 */
import { useEffect, useState } from 'react';
import { SERVICE_NAME_MESSAGE, SERVICE_NAME_RE, type CatalogKind } from '../../../main/contract/services';
import { messageOf } from '../../src/api';
import { Button, Empty, Notice, Section } from '../../src/ui/common';
import { useApps } from '../apps/store';
import { useTasks } from '../tasks/store';
import { dragSourceProps } from './drag';
import { DropOnApp } from './DropOnApp';
import { Jobs } from './Jobs';
import { ServiceRow } from './ServiceRow';
import { useServices } from './store';

function CatalogCard({ kind }: { kind: CatalogKind }) {
  const create = useServices((s) => s.create);
  const [name, setName] = useState('');
  const [version, setVersion] = useState(kind.versions[0] ?? '');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const problem = name && !SERVICE_NAME_RE.test(name) ? SERVICE_NAME_MESSAGE : null;
  const submit = async () => {
    setBusy(true);
    setResult(null);
    try {
      const s = await create(kind.kind, name || undefined, version);
      setResult({ ok: true, text: `Provisioning ${s.name}; it is listed below.` });
      setName('');
    } catch (err) {
      setResult({ ok: false, text: messageOf(err) });
    } finally {
      setBusy(false);
    }
  };
  const nameId = `svc-name-${kind.kind}`;
  return (
    <li className="svc-card" data-testid={`catalog-${kind.kind}`}>
      <div
        className="svc-handle"
        data-testid={`drag-${kind.kind}`}
        title={`Drag onto an app to provision ${kind.title} and attach it`}
        {...dragSourceProps({ kind: kind.kind }, kind.title)}
      >
        <span className="grip" aria-hidden="true">
          ⠿
        </span>
        <strong>{kind.title}</strong>
        <span className="muted small">{kind.versions.join(', ')}</span>
      </div>
      <div className="small">
        sets <code>{kind.env_var}</code>
      </div>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label className="sr-only" htmlFor={nameId}>
          Name of the new {kind.title} service
        </label>
        <input
          id={nameId}
          className="mono svc-name"
          placeholder="name (optional)"
          value={name}
          aria-invalid={problem ? true : undefined}
          onChange={(e) => setName(e.target.value.trim())}
        />
        {kind.versions.length > 1 && (
          <select
            aria-label={`${kind.title} version`}
            value={version}
            onChange={(e) => setVersion(e.target.value)}
          >
            {kind.versions.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        )}
        <Button type="submit" busy={busy} disabled={!!problem} title={`Create a ${kind.title} service`}>
          Create
        </Button>
      </form>
      {problem && <div className="field-error">{problem}</div>}
      {result && <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>}
    </li>
  );
}

function AppTargets() {
  const apps = useApps((s) => s.apps);
  const services = useServices((s) => s.services);
  if (!apps.length)
    return <Empty>No apps yet: create one on the Apps page, then drop a service on it.</Empty>;
  return (
    <ul className="svc-apps">
      {apps.map(({ app }) => {
        const attached = services.flatMap((s) =>
          s.apps.filter((a) => a.app === app.id).map((a) => `${s.name} (${a.var})`),
        );
        return (
          <li key={app.id}>
            <DropOnApp app={app.id} className="drop-zone" testId={`drop-app-${app.id}`}>
              <a href={`#/apps/${app.id}/config`} className="strong mono">
                {app.id}
              </a>
              <div className="muted small">{attached.length ? attached.join(', ') : 'no services'}</div>
            </DropOnApp>
          </li>
        );
      })}
    </ul>
  );
}

export function ServicesScreen() {
  const catalog = useServices((s) => s.catalog);
  const services = useServices((s) => s.services);
  const loaded = useServices((s) => s.loaded);
  const error = useServices((s) => s.error);
  const load = useServices((s) => s.load);
  const loadApps = useApps((s) => s.load);
  // A provisioning that ends (from here, the CLI or another window) changes a service's state.
  const finished = useTasks((s) => s.finished);
  useEffect(() => {
    void load();
  }, [load, finished]);
  useEffect(() => {
    void loadApps();
  }, [loadApps]);

  return (
    <div className="page svc-scope">
      <h1>Services</h1>
      <p className="svc-intro">
        Databases and caches attached to apps through an environment variable. Drag one onto an app (below, or
        in the sidebar) to provision it and attach it; on an app&apos;s Config tab,{' '}
        <strong>Attach service…</strong> does the same from the keyboard.
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      <div className="svc-layout">
        <Section title="Catalog">
          <ul className="svc-catalog" aria-label="Catalog">
            {catalog.map((k) => (
              <CatalogCard key={k.kind} kind={k} />
            ))}
          </ul>
        </Section>
        <Section title="Apps">
          <p className="muted small">Drop a service here to attach it.</p>
          <AppTargets />
        </Section>
      </div>
      <Jobs />
      <Section title={`Your services${services.length ? ` (${services.length})` : ''}`}>
        {loaded && services.length === 0 ? (
          <Empty>No services yet. Create one from the catalog, or drag one onto an app.</Empty>
        ) : (
          <table className="table" data-testid="services">
            <thead>
              <tr>
                <th>Service</th>
                <th>State</th>
                <th>Target</th>
                <th>Attached to</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {services.map((s) => (
                <ServiceRow key={s.name} service={s} kind={catalog.find((k) => k.kind === s.kind)} />
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </div>
  );
}
