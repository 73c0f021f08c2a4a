/** The things that can be dragged onto an app: each catalog kind, and each service the user has. */
import { useEffect } from 'react';
import { dragSourceProps } from './drag';
import { useServices } from './store';

export function Tray({ exceptAttachedTo }: { exceptAttachedTo?: string }) {
  const catalog = useServices((s) => s.catalog);
  const services = useServices((s) => s.services);
  const loaded = useServices((s) => s.loaded);
  const load = useServices((s) => s.load);
  useEffect(() => {
    if (!loaded) void load();
  }, [loaded, load]);
  const mine = services.filter(
    (s) => s.state !== 'failed' && !s.apps.some((a) => a.app === exceptAttachedTo),
  );
  return (
    <div className="svc-tray">
      {catalog.map((k) => (
        <span
          key={k.kind}
          className="chip chip-new"
          data-testid={`tray-kind-${k.kind}`}
          title={`Drag onto an app to provision ${k.title} ${k.versions[0]} and set ${k.env_var}`}
          {...dragSourceProps({ kind: k.kind }, k.title)}
        >
          + {k.title} {k.versions[0]}
        </span>
      ))}
      {mine.map((s) => (
        <span
          key={s.name}
          className="chip"
          data-testid={`tray-service-${s.name}`}
          title={`Drag onto an app to attach ${s.name}`}
          {...dragSourceProps({ service: s.name }, s.name)}
        >
          {s.name}
        </span>
      ))}
    </div>
  );
}
