/** The Preferences switch for desktop notifications: off until turned on, which asks for the permission. */
import { Notice, Section } from '../../src/ui/common';
import { useNotifications } from './notifications';

export function NotificationsSwitch() {
  const { wanted, permission, enable, disable } = useNotifications();
  const on = wanted && permission === 'granted';
  return (
    <Section title="Notifications">
      <label className="switch">
        <input
          type="checkbox"
          role="switch"
          aria-checked={on}
          checked={on}
          disabled={permission === 'unsupported'}
          onChange={(e) => {
            if (e.target.checked) void enable();
            else disable();
          }}
        />
        Tell me when a build or deploy I started ends
      </label>
      <p className="muted small">
        A git push or a folder deploy of yours: which app, which release, and whether it worked. Click the
        notification to open the app.
      </p>
      {permission === 'denied' && (
        <Notice kind="warning">
          Notifications are blocked for Deis Desktop; allow them in your system&apos;s (or browser&apos;s)
          settings, then turn this on again.
        </Notice>
      )}
      {permission === 'unsupported' && <Notice kind="info">This browser cannot show notifications.</Notice>}
    </Section>
  );
}
