/**
 * Where the user is, kept in the URL's hash (#/apps/web/config), so the page works from file://,
 * from the core's address and after a reload, with no router package.
 */
import { create } from 'zustand';

export type AppTab =
  | 'overview'
  | 'metrics'
  | 'activity'
  | 'releases'
  | 'config'
  | 'logs'
  | 'console'
  | 'builds'
  | 'domains'
  | 'collaborators'
  | 'settings';
export const APP_TABS: AppTab[] = [
  'overview',
  'metrics',
  'activity',
  'releases',
  'config',
  'logs',
  'console',
  'builds',
  'domains',
  'collaborators',
  'settings',
];

export type Route =
  | { page: 'dashboard' }
  | { page: 'apps' }
  | { page: 'activity' }
  | { page: 'app'; app: string; tab: AppTab }
  | { page: 'services' }
  | { page: 'targets' }
  | { page: 'users' }
  | { page: 'keys' }
  | { page: 'preferences' };

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'apps' && parts[1]) {
    const tab = APP_TABS.find((t) => t === parts[2]) ?? 'overview';
    return { page: 'app', app: parts[1], tab };
  }
  if (parts[0] === 'apps') return { page: 'apps' };
  if (parts[0] === 'services') return { page: 'services' };
  if (parts[0] === 'targets') return { page: 'targets' };
  if (parts[0] === 'preferences') return { page: 'preferences' };
  if (parts[0] === 'activity') return { page: 'activity' };
  if (parts[0] === 'users') return { page: 'users' };
  if (parts[0] === 'keys') return { page: 'keys' };
  return { page: 'dashboard' };
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'dashboard':
      return '#/';
    case 'apps':
      return '#/apps';
    case 'services':
      return '#/services';
    case 'targets':
      return '#/targets';
    case 'preferences':
      return '#/preferences';
    case 'activity':
      return '#/activity';
    case 'users':
      return '#/users';
    case 'keys':
      return '#/keys';
    case 'app':
      return `#/apps/${encodeURIComponent(route.app)}/${route.tab}`;
  }
}

interface RouteState {
  route: Route;
  go(route: Route): void;
}

export const useRoute = create<RouteState>((set) => {
  window.addEventListener('hashchange', () => set({ route: parseHash(window.location.hash) }));
  return {
    route: parseHash(window.location.hash),
    go: (route) => {
      window.location.hash = hrefOf(route);
    },
  };
});
