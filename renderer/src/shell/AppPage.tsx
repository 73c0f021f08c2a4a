/** One app: its name, state and the tabs for everything about it. */
import { ConfigEditor } from '../../features/config/ConfigEditor';
import { AppActivity } from '../../features/activity/Activity';
import { Builds } from '../../features/builds/Builds';
import { Console } from '../../features/console/Console';
import { Metrics } from '../../features/metrics/Metrics';
import { Domains } from '../../features/domains/Domains';
import { Logs } from '../../features/logs/Logs';
import { Overview } from '../../features/overview/Overview';
import { Collaborators } from '../../features/people/Collaborators';
import { Releases } from '../../features/releases/Releases';
import { AppServices } from '../../features/services/AppServices';
import { AppSettingsTab } from '../../features/settings/AppSettings';
import { AppTargetBar } from '../../features/targets/DeployTo';
import { APP_TABS, hrefOf, type AppTab } from '../route';

const LABELS: Record<AppTab, string> = {
  overview: 'Overview',
  metrics: 'Metrics',
  activity: 'Activity',
  console: 'Console',
  releases: 'Releases',
  config: 'Config',
  logs: 'Logs',
  builds: 'Builds',
  domains: 'Domains',
  collaborators: 'Collaborators',
  settings: 'Settings',
};

function TabBody({ app, tab }: { app: string; tab: AppTab }) {
  switch (tab) {
    case 'overview':
      return <Overview app={app} />;
    case 'metrics':
      return <Metrics app={app} />;
    case 'activity':
      return <AppActivity app={app} />;
    case 'console':
      return <Console app={app} />;
    case 'releases':
      return <Releases app={app} />;
    case 'config':
      return (
        <>
          <AppServices app={app} />
          <ConfigEditor app={app} />
        </>
      );
    case 'logs':
      return <Logs app={app} />;
    case 'builds':
      return <Builds app={app} />;
    case 'domains':
      return <Domains app={app} />;
    case 'collaborators':
      return <Collaborators app={app} />;
    case 'settings':
      return <AppSettingsTab app={app} />;
  }
}

export function AppPage({ app, tab }: { app: string; tab: AppTab }) {
  return (
    <div className="page">
      <div className="crumbs">
        <a href="#/apps">Apps</a> / <span>{app}</span>
      </div>
      <h1>{app}</h1>
      <AppTargetBar app={app} />
      <nav className="tabs" role="tablist">
        {APP_TABS.map((t) => (
          <a
            key={t}
            role="tab"
            aria-selected={t === tab}
            className={t === tab ? 'tab active' : 'tab'}
            href={hrefOf({ page: 'app', app, tab: t })}
          >
            {LABELS[t]}
          </a>
        ))}
      </nav>
      <div className="tab-body" key={`${app}/${tab}`}>
        <TabBody app={app} tab={tab} />
      </div>
    </div>
  );
}
