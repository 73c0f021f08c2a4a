/** The signed-in window: a dark sidebar (pages, apps) and the page the hash names. */
import { useEffect } from 'react';
import { ActivityScreen } from '../../features/activity/Activity';
import { AppsList } from '../../features/apps/AppsList';
import { useApps } from '../../features/apps/store';
import { Dashboard } from '../../features/dashboard/Dashboard';
import { KeysScreen } from '../../features/people/KeysScreen';
import { notifyFinishedWork } from '../../features/people/notifications';
import { UsersScreen } from '../../features/people/UsersScreen';
import { Preferences } from '../../features/preferences/Preferences';
import { DropOnApp } from '../../features/services/DropOnApp';
import { ServicesScreen } from '../../features/services/ServicesScreen';
import { useSession } from '../../features/session/store';
import { TargetsScreen } from '../../features/targets/TargetsScreen';
import { useTasks } from '../../features/tasks/store';
import { hrefOf, useRoute } from '../route';
import { AppPage } from './AppPage';

function Sidebar() {
  const route = useRoute((s) => s.route);
  const apps = useApps((s) => s.apps);
  const user = useSession((s) => s.user);
  const streaming = useTasks((s) => s.streaming);
  const link = (href: string, label: string, active: boolean) => (
    <a href={href} className={active ? 'nav active' : 'nav'}>
      {label}
    </a>
  );
  return (
    <aside className="sidebar">
      <div className="brand">
        <span className="logo" aria-hidden="true" />
        Deis Desktop
      </div>
      <nav>
        {link('#/', 'Dashboard', route.page === 'dashboard')}
        {link('#/apps', 'Apps', route.page === 'apps')}
        <div className="nav-apps">
          {apps.map(({ app }) => (
            // A service dragged from the Services screen can be dropped on any app here.
            <DropOnApp key={app.id} app={app.id} testId={`nav-drop-${app.id}`}>
              <a
                href={hrefOf({ page: 'app', app: app.id, tab: 'overview' })}
                className={
                  route.page === 'app' && route.app === app.id ? 'nav nav-app active' : 'nav nav-app'
                }
              >
                {app.id}
              </a>
            </DropOnApp>
          ))}
        </div>
        {link('#/services', 'Services', route.page === 'services')}
        {link('#/targets', 'Targets', route.page === 'targets')}
        {link('#/activity', 'Activity', route.page === 'activity')}
        {user?.is_superuser ? link('#/users', 'Users', route.page === 'users') : null}
        {link('#/keys', 'SSH keys', route.page === 'keys')}
        {link('#/preferences', 'Preferences', route.page === 'preferences')}
      </nav>
      <div className="sidebar-foot">
        <span
          className={streaming ? 'dot dot-ok' : 'dot'}
          title={streaming ? 'Live events connected' : 'Connecting to live events'}
        />
        {user?.username}
      </div>
    </aside>
  );
}

function Page() {
  const route = useRoute((s) => s.route);
  switch (route.page) {
    case 'dashboard':
      return <Dashboard />;
    case 'apps':
      return <AppsList />;
    case 'app':
      return <AppPage app={route.app} tab={route.tab} />;
    case 'services':
      return <ServicesScreen />;
    case 'targets':
      return <TargetsScreen />;
    case 'preferences':
      return <Preferences />;
    case 'activity':
      return <ActivityScreen />;
    case 'users':
      return <UsersScreen />;
    case 'keys':
      return <KeysScreen />;
  }
}

export function Shell() {
  const connect = useTasks((s) => s.connect);
  const disconnect = useTasks((s) => s.disconnect);
  const loadApps = useApps((s) => s.load);
  const finished = useTasks((s) => s.finished);
  useEffect(() => {
    connect();
    return disconnect;
  }, [connect, disconnect]);
  useEffect(notifyFinishedWork, []);
  // A build (from this window, a git push or the CLI) that ends changes the apps' releases.
  useEffect(() => {
    void loadApps();
  }, [loadApps, finished]);
  return (
    <div className="shell">
      <Sidebar />
      <main className="main">
        <Page />
      </main>
    </div>
  );
}
