/** The account, the deis command, HTTPS trust, signing out, and (for administrators) stopping everything. */
import { useEffect } from 'react';
import { inDesktop } from '../../src/native';
import { NotificationsSwitch } from '../people/NotificationsSwitch';
import { Button, Code, Notice, Section } from '../../src/ui/common';
import { useSession } from '../session/store';
import { HttpsTrust } from './HttpsTrust';
import { InstancePower } from './InstancePower';
import { usePreferences } from './store';

export function Preferences() {
  const user = useSession((s) => s.user);
  const logout = useSession((s) => s.logout);
  const { cli, cliProfile, load, installCli } = usePreferences();
  useEffect(() => {
    void load();
  }, [load]);
  const origin = window.location.origin;
  return (
    <div className="page">
      <h1>Preferences</h1>
      <Section title="Account">
        <p>
          Signed in as <strong>{user?.username}</strong>
          {user?.is_superuser ? ' (administrator)' : ''}.
        </p>
        {!inDesktop() && <Button onClick={logout}>Sign out</Button>}
      </Section>
      <Section title="The deis command">
        {inDesktop() ? (
          <>
            <p className="muted">
              Links the bundled <code>deis</code> into a folder on your PATH that you pick (such as
              /usr/local/bin or ~/bin). Nothing else on your system changes.
            </p>
            <Button kind="primary" onClick={() => void installCli()}>
              Install the deis command…
            </Button>
            {cli && <Notice kind={cli.ok ? 'success' : 'error'}>{cli.text}</Notice>}
            {cliProfile && (
              <>
                <p className="muted">
                  It signs in as the desktop user with its own profile, so your ~/.deis/client.json stays as
                  it is:
                </p>
                <Code text={`DEIS_PROFILE=${cliProfile} deis apps`} />
              </>
            )}
          </>
        ) : (
          <>
            <p className="muted">Point any Deis client (ours or the original) at this core:</p>
            <Code text={`deis login ${origin}`} />
          </>
        )}
      </Section>
      <NotificationsSwitch />
      <HttpsTrust />
      {user?.is_superuser ? <InstancePower /> : null}
    </div>
  );
}
