/**
 * An app's backing services (on its Config tab): each attachment with its variable and URL (masked
 * until revealed), detach, and two ways to attach one — drop a service here, or "Attach service…"
 * from the keyboard.
 */
import { useEffect, useRef, useState } from 'react';
import { messageOf } from '../../src/api';
import { Button, Empty, Notice, Section } from '../../src/ui/common';
import { useConfig } from '../config/store';
import { DropOnApp } from './DropOnApp';
import { Jobs } from './Jobs';
import { maskCredentials } from './mask';
import { useServices } from './store';
import { Tray } from './Tray';

const NEW = 'new:';

/** The keyboard way: choose a service (or a new one of a kind), optionally its name, and attach. */
function AttachForm({ app, onClose }: { app: string; onClose: () => void }) {
  const catalog = useServices((s) => s.catalog);
  const services = useServices((s) => s.services);
  const attachTo = useServices((s) => s.attachTo);
  const first = useRef<HTMLSelectElement>(null);
  const free = services.filter((s) => s.state !== 'failed' && !s.apps.some((a) => a.app === app));
  const [choice, setChoice] = useState(free[0] ? free[0].name : `${NEW}${catalog[0]?.kind ?? ''}`);
  const [name, setName] = useState('');
  useEffect(() => first.current?.focus(), []);
  const isNew = choice.startsWith(NEW);
  return (
    <form
      className="svc-attach"
      aria-label={`Attach a service to ${app}`}
      onSubmit={(e) => {
        e.preventDefault();
        const source = isNew ? { kind: choice.slice(NEW.length) } : { service: choice };
        void attachTo(app, source, { name: isNew && name ? name : undefined });
        onClose();
      }}
    >
      <label>
        Service to attach
        <select
          ref={first}
          aria-label="Service to attach"
          value={choice}
          onChange={(e) => setChoice(e.target.value)}
        >
          {free.length > 0 && (
            <optgroup label="Your services">
              {free.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name} ({s.kind} {s.version})
                </option>
              ))}
            </optgroup>
          )}
          <optgroup label="New from the catalog">
            {catalog.map((k) => (
              <option key={k.kind} value={`${NEW}${k.kind}`}>
                New {k.title} {k.versions[0]} ({k.env_var})
              </option>
            ))}
          </optgroup>
        </select>
      </label>
      {isNew && (
        <label>
          Name (optional)
          <input className="mono" value={name} onChange={(e) => setName(e.target.value.trim())} />
        </label>
      )}
      <Button type="submit" kind="primary">
        Attach
      </Button>
      <Button onClick={onClose}>Cancel</Button>
    </form>
  );
}

/** One attachment's URL: masked, or the whole of it once the user asks. */
function AttachedValue({ value, variable }: { value: string | undefined; variable: string }) {
  const [shown, setShown] = useState(false);
  if (value === undefined) return <span className="muted">not set (unset by hand?)</span>;
  return (
    <span className="row svc-value">
      <code className="mono" data-testid={`attached-value-${variable}`}>
        {shown ? value : maskCredentials(value)}
      </code>
      <button
        type="button"
        className="btn btn-plain btn-small"
        aria-pressed={shown}
        onClick={() => setShown(!shown)}
        aria-label={`${shown ? 'Hide' : 'Reveal'} ${variable}`}
      >
        {shown ? 'Hide' : 'Reveal'}
      </button>
    </span>
  );
}

export function AppServices({ app }: { app: string }) {
  const services = useServices((s) => s.services);
  const load = useServices((s) => s.load);
  const detach = useServices((s) => s.detach);
  const values = useConfig((s) => (s.app === app ? s.saved : null));
  const [attaching, setAttaching] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const opener = useRef<HTMLDivElement>(null);
  useEffect(() => {
    void load();
  }, [load]);
  const attached = services.flatMap((s) =>
    s.apps.filter((a) => a.app === app).map((a) => ({ service: s, var: a.var })),
  );

  const onDetach = async (service: string, variable: string) => {
    setBusy(service);
    setResult(null);
    try {
      const release = await detach(service, app);
      setResult({
        ok: true,
        text: `Detached ${service}: ${variable} is no longer set${release ? `; ${app} now runs release v${release}` : ''}. Its data is kept.`,
      });
    } catch (err) {
      setResult({ ok: false, text: messageOf(err) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <Section
      title="Services"
      actions={
        <div ref={opener}>
          <Button onClick={() => setAttaching(!attaching)}>Attach service…</Button>
        </div>
      }
    >
      <DropOnApp app={app} className="drop-zone drop-zone-app svc-scope" testId="drop-app-page">
        {attaching && (
          <AttachForm
            app={app}
            onClose={() => {
              setAttaching(false);
              opener.current?.querySelector('button')?.focus();
            }}
          />
        )}
        {attached.length === 0 ? (
          <Empty>No services attached. Drag one here from below, or choose Attach service….</Empty>
        ) : (
          <table className="table" data-testid="attachments">
            <thead>
              <tr>
                <th>Variable</th>
                <th>Service</th>
                <th>Value</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {attached.map(({ service, var: variable }) => (
                <tr key={service.name} data-testid={`attachment-${variable}`}>
                  <td className="mono">{variable}</td>
                  <td>
                    <a href="#/services" className="mono">
                      {service.name}
                    </a>{' '}
                    <span className="muted small">
                      {service.kind} {service.version}
                    </span>
                  </td>
                  <td>{values && <AttachedValue value={values[variable]} variable={variable} />}</td>
                  <td>
                    <Button
                      busy={busy === service.name}
                      onClick={() => void onDetach(service.name, variable)}
                      title={`Remove ${variable} from ${app}; ${service.name} keeps its data`}
                    >
                      Detach {service.name}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Jobs app={app} />
        {result && <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>}
        <div className="svc-tray-head muted small">Drag onto this app:</div>
        <Tray exceptAttachedTo={app} />
      </DropOnApp>
    </Section>
  );
}
