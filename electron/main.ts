/**
 * The Electron shell: one instance, a window at once, the core in a utilityProcess, a tray that keeps
 * the core running when the window closes, and a clean stop of the core on Quit.
 */
import path from 'node:path';
import { app, BrowserWindow } from 'electron';
import { bundlePaths, CoreProcess, type CoreState } from './core-process';
import { registerIpc } from './ipc';
import { DesktopTray, type TrayApp } from './tray';
import { bootPage, createWindow } from './window';

const paths = bundlePaths(import.meta.dirname);
// The desktop app's data folder; DEIS_HOME overrides it like it does for `npm run serve`.
const home = process.env.DEIS_HOME || path.join(app.getPath('userData'), 'core');
const core = new CoreProcess(paths.coreEntry, home, paths.uiDir);
const origin = () => (core.state.state === 'ready' ? core.state.access.apiUrl : undefined);
let win: BrowserWindow | undefined;
let tray: DesktopTray | undefined;
let quitting = false;

function showWindow(): void {
  if (!win || win.isDestroyed()) {
    win = createWindow(paths.preload, origin);
    win.on('close', (event) => {
      // Closing the window keeps the core (and the apps' tools) in the tray.
      if (!quitting) {
        event.preventDefault();
        win?.hide();
      }
    });
    showState(core.state);
  }
  win.show();
  win.focus();
}

function showState(s: CoreState): void {
  if (!win || win.isDestroyed()) return;
  if (s.state === 'ready') void win.loadURL(`${s.access.apiUrl}/`);
  if (s.state === 'failed') void win.loadURL(bootPage(`The core could not start: ${s.message}`, true));
}

/** The tray lists the apps with their URLs; it asks the core like any client. */
async function refreshTray(): Promise<void> {
  const s = core.state;
  if (s.state !== 'ready') return tray?.update(s, []);
  try {
    const headers = { Authorization: `token ${s.access.token}` };
    const [apps, info] = await Promise.all([
      fetch(`${s.access.apiUrl}/v2/apps/?limit=100`, { headers }).then((r) => r.json()),
      // The router's port as the core reports it now (a target may pick it at start).
      fetch(`${s.access.apiUrl}/v2/desktop/info/`).then((r) => r.json()),
    ]);
    const routerPort = (info as { router_port?: number }).router_port ?? s.routerPort;
    const list: TrayApp[] = ((apps as { results?: { id: string }[] }).results ?? []).map((a) => ({
      id: a.id,
      url: `http://${a.id}.localhost:${routerPort}`,
    }));
    tray?.update(s, list);
  } catch {
    tray?.update(s);
  }
}

async function quit(): Promise<void> {
  quitting = true;
  await core.stop();
  app.exit(0);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', showWindow);
  app.on('web-contents-created', (_e, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  void app.whenReady().then(() => {
    registerIpc({
      access: () => core.access(),
      origin,
      cliTarget: path.join(paths.resources, 'bin', 'deis'),
    });
    showWindow();
    tray = new DesktopTray({ show: showWindow, quit: () => void quit() });
    core.onChange((s) => {
      showState(s);
      void refreshTray();
    });
    setInterval(() => void refreshTray(), 15_000);
    void core.start();
  });
  // The tray keeps the app alive with no window.
  app.on('window-all-closed', () => {});
  app.on('activate', showWindow);
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    void quit();
  });
}
