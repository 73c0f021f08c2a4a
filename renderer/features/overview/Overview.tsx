/**
 * The app's overview: its URL, current release, a build as it runs, processes, their CPU and memory
 * as sparklines, and how to deploy.
 */
import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { appUrl } from '../../src/format';
import { openUrl } from '../../src/native';
import { Notice, Section } from '../../src/ui/common';
import { DeployFolder } from '../apps/DeployFolder';
import { PushInstructions } from '../apps/PushInstructions';
import { useSession } from '../session/store';
import { useTasks } from '../tasks/store';
import { TaskView } from '../tasks/TaskView';
import { ScaleControls } from './ScaleControls';
import { Sparklines } from './Sparklines';
import { useOverview } from './store';

/** How often the overview asks for the app's processes again. */
const PODS_REFRESH_MS = 3000;

export function Overview({ app }: { app: string }) {
  const release = useOverview((s) => s.release);
  const build = useOverview((s) => s.build);
  const error = useOverview((s) => s.error);
  const load = useOverview((s) => s.load);
  const info = useSession((s) => s.info);
  const finished = useTasks((s) => s.finished);
  // useShallow: the selector builds a new list, which must not count as a change unless its ids do.
  const building = useTasks(
    useShallow((s) => s.recent.filter((id) => s.tasks[id]?.app === app && s.tasks[id]?.state === 'running')),
  );
  const loadRecent = useTasks((s) => s.loadRecent);
  useEffect(() => {
    void load(app);
  }, [app, load, finished]);
  // Processes come and go without a request from here (a rollout retiring old ones, a crash, a
  // change made from the CLI): the list is asked for again while it is shown.
  const refreshPods = useOverview((s) => s.refreshPods);
  useEffect(() => {
    const timer = setInterval(() => void refreshPods(app), PODS_REFRESH_MS);
    return () => clearInterval(timer);
  }, [app, refreshPods]);
  useEffect(() => {
    void loadRecent({ app });
  }, [app, loadRecent]);
  const url = appUrl(app, info?.router_port ?? 8080);

  return (
    <>
      {error && <Notice kind="error">{error}</Notice>}
      <div className="facts">
        <div className="fact">
          <div className="fact-label">URL</div>
          <div className="fact-value">
            {url ? (
              <a
                href={url}
                className="mono"
                onClick={(e) => {
                  e.preventDefault();
                  openUrl(url);
                }}
              >
                {url}
              </a>
            ) : (
              <span className="muted">no router yet</span>
            )}
          </div>
        </div>
        <div className="fact">
          <div className="fact-label">Current release</div>
          <div className="fact-value" data-testid="current-release">
            {release ? `v${release.version}` : '—'} <span className="muted small">{release?.summary}</span>
          </div>
        </div>
        <div className="fact">
          <div className="fact-label">Build</div>
          <div className="fact-value mono small">
            {build ? build.sha.slice(0, 7) || build.image : 'none yet'}
          </div>
        </div>
      </div>
      {building.length > 0 && (
        <Section title="Building now">
          {building.map((id) => (
            <TaskView key={id} id={id} />
          ))}
        </Section>
      )}
      <Section title="Processes">
        <ScaleControls app={app} />
      </Section>
      <Section title="CPU and memory, last 10 minutes">
        <Sparklines app={app} />
      </Section>
      <Section title="Deploy">
        <DeployFolder app={app} onDone={() => void load(app)} />
        {info && <PushInstructions app={app} builderPort={info.builder_port} />}
      </Section>
    </>
  );
}
