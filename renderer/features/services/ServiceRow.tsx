/**
 * One service on the Services screen: kind and version, state, the apps it is attached to, and its
 * actions — backup download, restore from a file and destroy (both with the name typed again; a
 * destroy is refused while the service is attached, saying where to detach it).
 */
import { useEffect, useState } from 'react';
import {
  ServiceStatsSchema,
  type CatalogKind,
  type Service,
  type ServiceStats,
} from '../../../main/contract/services';
import { get, messageOf } from '../../src/api';
import { Badge, Button, Notice, Spinner } from '../../src/ui/common';
import { dragSourceProps } from './drag';
import { useServices } from './store';

function State({ service }: { service: Service }) {
  if (service.state === 'provisioning')
    return (
      <Badge tone="busy">
        <Spinner /> provisioning
      </Badge>
    );
  return <Badge tone={service.state === 'ready' ? 'ok' : 'bad'}>{service.state}</Badge>;
}

type Open = 'destroy' | 'restore' | null;

/** 1536 → "1.5 KiB". */
function bytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[i]}`;
}

/** Size on disk and connected clients, asked once the service is ready; nothing shown until known. */
function useStats(name: string, ready: boolean): ServiceStats | null {
  const [stats, setStats] = useState<ServiceStats | null>(null);
  useEffect(() => {
    if (!ready) return;
    let live = true;
    get(`/v2/services/${encodeURIComponent(name)}/stats/`, ServiceStatsSchema).then(
      (s) => live && setStats(s),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [name, ready]);
  return stats;
}

export function ServiceRow({ service: s, kind }: { service: Service; kind: CatalogKind | undefined }) {
  const destroy = useServices((st) => st.destroy);
  const backup = useServices((st) => st.backup);
  const restore = useServices((st) => st.restore);
  const [open, setOpen] = useState<Open>(null);
  const [confirm, setConfirm] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const ready = s.state === 'ready';
  const stats = useStats(s.name, ready);

  const run = async (what: string, work: () => Promise<string | null>) => {
    setBusy(what);
    setResult(null);
    try {
      const text = await work();
      if (text) setResult({ ok: true, text });
      setOpen(null);
      setConfirm('');
    } catch (err) {
      setResult({ ok: false, text: messageOf(err) });
    } finally {
      setBusy(null);
    }
  };
  const toggle = (what: Open) => {
    setResult(null);
    setConfirm('');
    // Destroying an attached service is refused before anything is typed, saying what to do.
    if (what === 'destroy' && s.apps.length) {
      setOpen(null);
      setResult({
        ok: false,
        text: `${s.name} is attached to ${s.apps.map((a) => a.app).join(', ')}; detach it first (on the app's Config tab).`,
      });
      return;
    }
    setOpen(open === what ? null : what);
  };

  return (
    <tr data-testid={`service-${s.name}`}>
      <td>
        <span
          className="svc-handle-inline"
          title={ready ? `Drag onto an app to attach ${s.name}` : undefined}
          {...(ready ? dragSourceProps({ service: s.name }, s.name) : {})}
        >
          <strong className="mono">{s.name}</strong>
        </span>
        <div className="muted small">
          {kind?.title ?? s.kind} {s.version}
        </div>
        {stats && (stats.size !== null || stats.connections !== null) && (
          <div className="muted small" data-testid={`service-${s.name}-stats`}>
            {[
              stats.size !== null ? `${bytes(stats.size)} on disk` : null,
              stats.connections !== null
                ? `${stats.connections} ${stats.connections === 1 ? 'client' : 'clients'} connected`
                : null,
            ]
              .filter(Boolean)
              .join(' · ')}
          </div>
        )}
      </td>
      <td>
        <State service={s} />
        {s.error && <div className="small field-error">{s.error}</div>}
      </td>
      <td className="mono">{s.target}</td>
      <td>
        {s.apps.length === 0 ? (
          <span className="muted">—</span>
        ) : (
          s.apps.map((a) => (
            <div key={a.app}>
              <a href={`#/apps/${a.app}/config`} className="mono">
                {a.app}
              </a>{' '}
              <code className="small">{a.var}</code>
            </div>
          ))
        )}
      </td>
      <td>
        <div className="row">
          {kind?.backup && (
            <Button
              disabled={!ready}
              busy={busy === 'backup'}
              onClick={() =>
                void run('backup', async () => {
                  await backup(s.name);
                  return `The backup of ${s.name} was downloaded.`;
                })
              }
            >
              Download backup
            </Button>
          )}
          {kind?.restore && (
            <Button disabled={!ready} onClick={() => toggle('restore')}>
              Restore…
            </Button>
          )}
          <Button kind="danger" onClick={() => toggle('destroy')}>
            Destroy…
          </Button>
        </div>
        {open === 'restore' && (
          <form
            className="svc-confirm"
            onSubmit={(e) => {
              e.preventDefault();
              if (file)
                void run('restore', async () => {
                  await restore(s.name, file, confirm);
                  return `${s.name} was restored from ${file.name}.`;
                });
            }}
          >
            <label>
              Backup file
              <input type="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
            </label>
            <label>
              This replaces the data of {s.name}; type its name to confirm
              <input className="mono" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
            </label>
            <Button
              type="submit"
              kind="danger"
              busy={busy === 'restore'}
              disabled={!file || confirm !== s.name}
            >
              Restore {s.name}
            </Button>
          </form>
        )}
        {open === 'destroy' && (
          <form
            className="svc-confirm"
            onSubmit={(e) => {
              e.preventDefault();
              void run('destroy', async () => {
                await destroy(s.name, confirm);
                return null;
              });
            }}
          >
            <label>
              This deletes {s.name} and its data; type its name to confirm
              <input className="mono" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
            </label>
            <Button type="submit" kind="danger" busy={busy === 'destroy'} disabled={confirm !== s.name}>
              Destroy {s.name}
            </Button>
          </form>
        )}
        {result && <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>}
      </td>
    </tr>
  );
}
