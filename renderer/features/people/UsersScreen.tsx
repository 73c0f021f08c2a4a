/**
 * Administrators' Users screen: everyone with an account on this core, a form for a new one, and per
 * user: make or unmake administrator, a new API token (shown once), and removal (typed to confirm).
 * Anyone else is told that only administrators manage users, and nothing is asked of the core.
 */
import { useEffect, useState } from 'react';
import type { User } from '../../../main/contract/objects';
import { messageOf } from '../../src/api';
import { ago } from '../../src/format';
import { Badge, Button, CopyButton, Empty, Notice, Section } from '../../src/ui/common';
import { useSession } from '../session/store';
import { CreateUser } from './CreateUser';
import { useUsers } from './users-store';
import './people.css';

/** A token, shown once in the page until dismissed; it is not kept anywhere else in the UI. */
function OneTimeToken({ user, token, onDone }: { user: string; token: string; onDone: () => void }) {
  return (
    <div className="one-time" role="region" aria-label={`New token of ${user}`} data-testid="new-token">
      <p>
        The new token of <strong>{user}</strong>; every earlier one no longer works. It is shown this once:
        copy it now.
      </p>
      <div className="row">
        <code className="mono grow" data-testid="token-value">
          {token}
        </code>
        <CopyButton text={token} label="Copy token" />
        <Button onClick={onDone}>Done</Button>
      </div>
    </div>
  );
}

function UserRow({ u, me, onToken }: { u: User; me: string; onToken: (token: string) => void }) {
  const { setAdmin, remove, regenerate } = useUsers();
  const [open, setOpen] = useState<'remove' | null>(null);
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = async (what: string, work: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(null);
    }
  };
  const self = u.username === me;
  return (
    <tr data-testid={`user-${u.username}`}>
      <td className="mono">
        {u.username}
        {self && <span className="muted"> (you)</span>}
      </td>
      <td>{u.email || <span className="muted">none</span>}</td>
      <td>{u.is_superuser ? <Badge tone="ok">administrator</Badge> : <span className="muted">user</span>}</td>
      <td title={u.date_joined}>{ago(u.date_joined)}</td>
      <td>
        <div className="row people-actions">
          <Button
            busy={busy === 'admin'}
            onClick={() => void act('admin', () => setAdmin(u.username, !u.is_superuser))}
          >
            {u.is_superuser ? 'Unmake admin' : 'Make admin'}
          </Button>
          <Button
            busy={busy === 'token'}
            onClick={() => void act('token', async () => onToken(await regenerate(u.username)))}
          >
            New token
          </Button>
          {!self && (
            <Button kind="danger" onClick={() => setOpen(open === 'remove' ? null : 'remove')}>
              Remove…
            </Button>
          )}
        </div>
        {open === 'remove' && (
          <form
            className="people-confirm"
            onSubmit={(e) => {
              e.preventDefault();
              void act('remove', () => remove(u.username));
            }}
          >
            <label>
              This deletes the account {u.username} and its SSH keys; type the name to confirm
              <input
                className="mono"
                value={confirm}
                autoFocus
                onChange={(e) => setConfirm(e.target.value)}
              />
            </label>
            <Button type="submit" kind="danger" busy={busy === 'remove'} disabled={confirm !== u.username}>
              Remove {u.username}
            </Button>
          </form>
        )}
        {error && <Notice kind="error">{error}</Notice>}
      </td>
    </tr>
  );
}

export function UsersScreen() {
  const me = useSession((s) => s.user);
  const { users, count, loaded, error, load } = useUsers();
  const [created, setCreated] = useState<string | null>(null);
  const [token, setToken] = useState<{ user: string; token: string } | null>(null);
  const admin = !!me?.is_superuser;
  useEffect(() => {
    if (admin) void load();
  }, [admin, load]);
  if (!admin)
    return (
      <div className="page">
        <h1>Users</h1>
        <Notice kind="info">
          Only administrators manage users. Ask one of them to add or change an account.
        </Notice>
      </div>
    );
  return (
    <div className="page">
      <h1>Users</h1>
      <Section title="New user">
        <CreateUser onDone={setCreated} />
        {created && (
          <Notice kind="success">
            {created} can sign in now, with the password you gave (share it with them privately).
          </Notice>
        )}
      </Section>
      <Section title={`Users (${count})`}>
        {token && <OneTimeToken {...token} onDone={() => setToken(null)} />}
        {error && <Notice kind="error">{error}</Notice>}
        {loaded && !users.length && !error && <Empty>No users yet.</Empty>}
        {users.length > 0 && (
          <table className="table" data-testid="users">
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <UserRow
                  key={u.username}
                  u={u}
                  me={me.username}
                  onToken={(t) => setToken({ user: u.username, token: t })}
                />
              ))}
            </tbody>
          </table>
        )}
        {count > users.length && (
          <p className="muted">
            Showing the first {users.length} of {count} users; `deis users:list` lists them all.
          </p>
        )}
      </Section>
    </div>
  );
}
