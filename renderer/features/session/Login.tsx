/** Sign in to the core, or on first run create the administrator account. */
import { useState } from 'react';
import { Button, Notice } from '../../src/ui/common';
import { useSession } from './store';

export function Login() {
  const { info, busy, error, login, createAdmin } = useSession();
  const firstRun = info?.first_run ?? false;
  const [username, setUsername] = useState(firstRun ? 'admin' : '');
  const [password, setPassword] = useState('');
  const [email, setEmail] = useState('');
  const [remember, setRemember] = useState(false);

  return (
    <div className="login">
      <form
        className="login-card"
        onSubmit={(e) => {
          e.preventDefault();
          void (firstRun ? createAdmin(username, password, email) : login(username, password, remember));
        }}
      >
        <div className="brand brand-large">
          <span className="logo" aria-hidden="true" />
          Deis Desktop
        </div>
        <h1>{firstRun ? 'Create the administrator account' : 'Sign in'}</h1>
        <p className="muted">
          {firstRun
            ? 'No one has an account on this Deis yet. The first account administers it; others can register later with the deis CLI.'
            : `Your Deis account on this machine's core${info ? ` (API ${info.api_version})` : ''}.`}
        </p>
        <label>
          Username
          <input
            autoFocus
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete={firstRun ? 'new-password' : 'current-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {firstRun ? (
          <label>
            Email (optional)
            <input
              type="email"
              autoComplete="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </label>
        ) : (
          <label className="check">
            <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} /> Keep
            me signed in on this browser
          </label>
        )}
        {error && <Notice kind="error">{error}</Notice>}
        <Button type="submit" kind="primary" busy={busy} disabled={!username || !password}>
          {firstRun ? 'Create account and sign in' : 'Sign in'}
        </Button>
      </form>
    </div>
  );
}
