/**
 * The first screen: the core's health, the engine and targets when the core reports them, the latest
 * activity across apps (live), recent work.
 */
import { useEffect } from 'react';
import { ago, elapsed } from '../../src/format';
import { Badge, Empty, Notice, Section } from '../../src/ui/common';
import { taskApp } from '../../../main/contract/tasks';
import { useTasks } from '../tasks/store';
import { TaskState } from '../tasks/TaskView';
import { hrefOf } from '../../src/route';
import { ActivityFeed } from '../activity/Activity';
import { stateWords, useTargets } from '../targets/store';
import { useDashboard } from './store';

/** Entries of the activity feed the dashboard shows: the newest, as they happen. */
const ACTIVITY_SHOWN = 8;

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="fact">
      <div className="fact-label">{label}</div>
      <div className="fact-value">{children}</div>
    </div>
  );
}

function RecentTasks() {
  const recent = useTasks((s) => s.recent);
  const tasks = useTasks((s) => s.tasks);
  const loadRecent = useTasks((s) => s.loadRecent);
  useEffect(() => {
    void loadRecent();
  }, [loadRecent]);
  const shown = recent.slice(0, 10).flatMap((id) => (tasks[id] ? [tasks[id]] : []));
  if (!shown.length)
    return <Empty>No builds or deploys yet. Create an app and deploy a folder to start.</Empty>;
  return (
    <table className="table" data-testid="recent-tasks">
      <thead>
        <tr>
          <th>Work</th>
          <th>State</th>
          <th>Steps</th>
          <th>Started</th>
        </tr>
      </thead>
      <tbody>
        {shown.map((t) => {
          const app = taskApp(t);
          return (
            <tr key={t.id} data-testid={`task-${t.id}`}>
              <td>
                {/* A destroyed app has no page to link to (a new app of its name is another app). */}
                {app && !app.destroyed ? <a href={`#/apps/${app.name}/builds`}>{t.title}</a> : t.title}
                {app?.destroyed && (
                  <>
                    {' '}
                    <Badge tone="muted">app destroyed</Badge>
                  </>
                )}
                {t.error && <div className="muted small">{t.error}</div>}
              </td>
              <td>
                <TaskState task={t} />
              </td>
              <td className="small">
                {t.steps
                  .map((s) => `${s.name}${s.elapsedMs === undefined ? '' : ` ${elapsed(s.elapsedMs)}`}`)
                  .join(' → ')}
              </td>
              <td className="muted">{ago(t.created)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function Dashboard() {
  const health = useDashboard((s) => s.health);
  const info = useDashboard((s) => s.info);
  const refresh = useDashboard((s) => s.refresh);
  const streaming = useTasks((s) => s.streaming);
  const targets = useTargets((s) => s.targets);
  const loadTargets = useTargets((s) => s.load);
  useEffect(() => {
    const both = () => {
      void refresh();
      void loadTargets();
    };
    both();
    const timer = setInterval(both, 10_000);
    return () => clearInterval(timer);
  }, [refresh, loadTargets]);

  return (
    <div className="page">
      <h1>Dashboard</h1>
      <div className="facts">
        <Fact label="Core">
          {health ? (
            <Badge tone={health.ok ? 'ok' : 'bad'}>
              {health.ok ? `healthy · ${health.ms} ms` : health.message}
            </Badge>
          ) : (
            '…'
          )}
        </Fact>
        <Fact label="Live events">
          <Badge tone={streaming ? 'ok' : 'muted'}>{streaming ? 'connected' : 'reconnecting'}</Badge>
        </Fact>
        <Fact label="Docker engine">
          {info?.docker ? (
            <Badge tone={info.docker.state === 'running' ? 'ok' : 'bad'}>
              {info.docker.state}
              {info.docker.version ? ` · ${info.docker.version}` : ''}
            </Badge>
          ) : (
            <span className="muted">not reported by this core</span>
          )}
        </Fact>
        <Fact label="Builder (git push)">{info ? `ssh on 127.0.0.1:${info.builder_port}` : '…'}</Fact>
        <Fact label="Router (apps)">
          {!info ? (
            '…'
          ) : info.router_port ? (
            `http://*.localhost:${info.router_port}`
          ) : (
            <span className="muted">not running</span>
          )}
        </Fact>
        <Fact label="API">
          {info ? `Deis v${info.api_version} · platform ${info.platform_version}` : '…'}
        </Fact>
      </div>
      {info?.docker?.message && info.docker.state !== 'running' && (
        <Notice kind="warning">{info.docker.message}</Notice>
      )}
      {targets.length > 0 && (
        <Section title="Targets">
          <table className="table" data-testid="dashboard-targets">
            <tbody>
              {targets.map((t) => {
                const state = stateWords(t);
                return (
                  <tr key={t.name} data-testid={`dashboard-target-${t.name}`}>
                    <td>
                      <a href={hrefOf({ page: 'targets' })}>{t.name}</a>
                    </td>
                    <td>
                      <Badge tone={state.tone}>{state.label}</Badge>
                      {t.message && <div className="muted small">{t.message}</div>}
                    </td>
                    <td className="mono small">
                      {t.router_url || <span className="muted">no router yet</span>}
                      {t.router_https_url && <div>{t.router_https_url}</div>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </Section>
      )}
      <Section title="Latest activity">
        <div data-testid="dashboard-activity">
          <ActivityFeed limit={ACTIVITY_SHOWN} />
        </div>
        <p className="small">
          <a href={hrefOf({ page: 'activity' })}>Every change to every app you can see</a>
        </p>
      </Section>
      <Section title="Recent work">
        <RecentTasks />
      </Section>
    </div>
  );
}
