/** The signed-in user's SSH keys: each by name and fingerprint (never the whole key), add and remove. */
import { useEffect, useState } from 'react';
import type { Key } from '../../../main/contract/objects';
import { messageOf } from '../../src/api';
import { ago } from '../../src/format';
import { Button, Empty, Notice, Section } from '../../src/ui/common';
import { useSession } from '../session/store';
import { AddKey } from './AddKey';
import { useKeys } from './keys-store';
import './people.css';

function KeyRow({ k }: { k: Key }) {
  const remove = useKeys((s) => s.remove);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <tr data-testid={`key-${k.id}`}>
      <td className="mono">{k.id}</td>
      <td className="mono small">{k.fingerprint}</td>
      <td className="muted">{k.public.split(/\s+/)[0]}</td>
      <td title={k.created}>{ago(k.created)}</td>
      <td>
        {confirming ? (
          <div className="row people-actions">
            <span>Remove {k.id}? Pushes with it stop working.</span>
            <Button
              kind="danger"
              busy={busy}
              onClick={() => {
                setBusy(true);
                setError(null);
                remove(k.id).catch((err: unknown) => {
                  setError(messageOf(err));
                  setBusy(false);
                });
              }}
            >
              Remove {k.id}
            </Button>
            <Button onClick={() => setConfirming(false)}>Keep it</Button>
          </div>
        ) : (
          <Button onClick={() => setConfirming(true)}>Remove…</Button>
        )}
        {error && <Notice kind="error">{error}</Notice>}
      </td>
    </tr>
  );
}

export function KeysScreen() {
  const user = useSession((s) => s.user);
  const { keys, loaded, error, load } = useKeys();
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <div className="page">
      <h1>SSH keys</h1>
      <p className="muted">
        git push authenticates you as {user?.username} with any of these keys (the builder checks the private
        key that matches).
      </p>
      <Section title="Add a key">
        <AddKey />
      </Section>
      <Section title={`Your keys (${keys.length})`}>
        {error && <Notice kind="error">{error}</Notice>}
        {loaded && !keys.length && !error && <Empty>No keys yet: add one above to git push.</Empty>}
        {keys.length > 0 && (
          <table className="table" data-testid="keys">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Fingerprint (MD5)</th>
                <th scope="col">Type</th>
                <th scope="col">Added</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <KeyRow key={k.id} k={k} />
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </div>
  );
}
