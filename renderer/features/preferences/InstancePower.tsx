/** Preferences → stop, start or remove everything Deis Desktop runs (administrators only). */
import { useEffect, useState } from 'react';
import { Badge, Button, Notice, Section } from '../../src/ui/common';
import { usePower } from './power-store';

export function InstancePower() {
  const { power, busy, result, load, stop, start, remove } = usePower();
  const [confirm, setConfirm] = useState('');
  useEffect(() => {
    void load();
  }, [load]);
  if (!power) return null;
  const stopped = power.state === 'stopped';
  return (
    <Section title="Everything Deis Desktop runs">
      <p data-testid="instance-state">
        <code>{power.instance}</code>:{' '}
        <Badge tone={power.state === 'running' ? 'ok' : stopped ? 'muted' : 'busy'}>{power.state}</Badge>
      </p>
      <p className="muted">
        Stopping ends the router and every app; they stay stopped, also after a restart, until you start them.
        Deploys, scaling and one-off commands wait for a start.
      </p>
      <div className="row">
        <Button busy={busy === 'stop'} disabled={stopped || busy !== null} onClick={() => void stop()}>
          Stop everything
        </Button>
        <Button
          kind="primary"
          busy={busy === 'start'}
          disabled={!stopped || busy !== null}
          onClick={() => void start()}
        >
          Start everything
        </Button>
      </div>
      <p className="muted">
        Removing stops everything, then deletes every container, network and volume of this instance and the
        images built for its apps from Docker. The apps, their releases and repositories stay: push again to
        run them. Type <strong>{power.instance}</strong> to confirm.
      </p>
      <div className="row">
        <input
          aria-label="Type the instance name to confirm"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
        />
        <Button
          kind="danger"
          busy={busy === 'remove'}
          disabled={confirm !== power.instance || busy !== null}
          onClick={() => void remove(confirm).then(() => setConfirm(''))}
        >
          Remove everything
        </Button>
      </div>
      {result && <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>}
    </Section>
  );
}
