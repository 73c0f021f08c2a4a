/** Who did what to an app, and when: per app (a tab of the app page) and across apps (its own screen). */
import { ago } from '../../src/format';
import { hrefOf } from '../../src/route';
import { Badge, Empty, Notice, Section } from '../../src/ui/common';
import { useActivity, type ActivityEntry } from './store';
import './activity.css';

function Entry({ entry, showApp }: { entry: ActivityEntry; showApp: boolean }) {
  return (
    <li className="activity-entry" data-testid={`activity-${entry.id}`}>
      <div className="activity-text">
        {showApp && (
          <>
            <a href={hrefOf({ page: 'app', app: entry.app, tab: 'activity' })} className="strong">
              {entry.app}
            </a>
            {': '}
          </>
        )}
        <span className="strong">{entry.user}</span> {entry.summary}
        {!entry.ok && (
          <>
            {' '}
            <Badge tone="bad">failed</Badge>
            {entry.reason && <div className="activity-reason">{entry.reason}</div>}
          </>
        )}
      </div>
      <time className="muted small" dateTime={entry.created} title={entry.created}>
        {ago(entry.created)}
      </time>
    </li>
  );
}

/** The feed of one app, or of every app; `limit` shows only the newest few (the dashboard's). */
export function ActivityFeed({ app, limit }: { app?: string; limit?: number }) {
  const feed = useActivity(app);
  const { live, error } = feed;
  const entries = limit === undefined ? feed.entries : feed.entries.slice(0, limit);
  return (
    <>
      <p className="muted small" data-testid="activity-status">
        <span className={live ? 'dot dot-ok' : 'dot'} aria-hidden="true" /> {live ? 'live' : 'connecting…'}
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      {entries.length === 0 ? (
        <Empty>
          {app
            ? 'Nothing has happened to this app yet. Deploys, config changes, scaling, restarts and rollbacks show up here as they happen.'
            : 'Nothing has happened yet. Changes to every app you can see show up here as they happen, with who made them.'}
        </Empty>
      ) : (
        <ol className="activity" data-testid="activity" aria-label={app ? `Activity of ${app}` : 'Activity'}>
          {entries.map((e) => (
            <Entry key={e.id} entry={e} showApp={!app} />
          ))}
        </ol>
      )}
    </>
  );
}

export function AppActivity({ app }: { app: string }) {
  return <ActivityFeed app={app} />;
}

export function ActivityScreen() {
  return (
    <div className="page">
      <h1>Activity</h1>
      <Section title="Every app you can see">
        <ActivityFeed />
      </Section>
    </div>
  );
}
