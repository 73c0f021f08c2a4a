/**
 * An app's collaborators: they may do everything with the app but destroy it. Everyone who can see
 * the app sees the list; its owner and administrators add and remove (the core refuses anyone else).
 */
import { useEffect, useState } from 'react';
import { messageOf } from '../../src/api';
import { Button, Empty, Notice, Section } from '../../src/ui/common';
import { useApps } from '../apps/store';
import { useSession } from '../session/store';
import { useCollaborators } from './collaborators-store';
import './people.css';

export function Collaborators({ app }: { app: string }) {
  const me = useSession((s) => s.user);
  const owner = useApps((s) => s.apps.find((a) => a.app.id === app)?.app.owner);
  const { users, loaded, error, load, add, remove } = useCollaborators();
  const [name, setName] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  useEffect(() => {
    void load(app);
  }, [app, load]);
  const manages = !!me && (me.is_superuser || me.username === owner);
  const act = async (what: string, work: () => Promise<void>) => {
    setBusy(what);
    setFailure(null);
    try {
      await work();
    } catch (err) {
      setFailure(messageOf(err));
    } finally {
      setBusy(null);
    }
  };
  return (
    <Section title="Collaborators">
      <p className="muted">
        {owner ? (
          <>
            Owned by <strong>{owner}</strong>.{' '}
          </>
        ) : null}
        Collaborators may push, configure, scale and run commands in {app}; only its owner or an administrator
        may destroy it or change who collaborates.
      </p>
      {manages && (
        <form
          className="row"
          aria-label="Add a collaborator"
          onSubmit={(e) => {
            e.preventDefault();
            void act('add', async () => {
              await add(app, name.trim());
              setName('');
            });
          }}
        >
          <input
            className="grow"
            aria-label="Username of the collaborator"
            placeholder="username"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <Button type="submit" kind="primary" busy={busy === 'add'} disabled={!name.trim()}>
            Add collaborator
          </Button>
        </form>
      )}
      {(failure || error) && <Notice kind="error">{failure ?? error}</Notice>}
      {loaded && !users.length && !error && <Empty>Nobody else works on {app}.</Empty>}
      {users.length > 0 && (
        <table className="table" data-testid="collaborators">
          <tbody>
            {users.map((u) => (
              <tr key={u} data-testid={`collaborator-${u}`}>
                <td className="mono">{u}</td>
                <td>
                  {manages && (
                    <Button busy={busy === u} onClick={() => void act(u, () => remove(app, u))}>
                      Remove {u}
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}
