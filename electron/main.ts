/** The Electron shell: one instance, one window, and the core supervised in a utilityProcess. */
import path from 'node:path';
import { app, BrowserWindow, shell, utilityProcess } from 'electron';

const HERE = import.meta.dirname;
const CORE_ENTRY = path.join(HERE, 'core.js');

function startCore(): Electron.UtilityProcess {
  return utilityProcess.fork(CORE_ENTRY, [], { serviceName: 'Deis Desktop core', stdio: 'inherit' });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    title: 'Deis Desktop',
    webPreferences: {
      preload: path.join(HERE, '../preload/preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  // Links open in the system browser; the window never navigates away from the app.
  win.webContents.setWindowOpenHandler(({ url }) => {
    void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(path.join(HERE, '../renderer/index.html'));
  return win;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let core: Electron.UtilityProcess | undefined;
  app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.show());
  void app.whenReady().then(() => {
    createWindow();
    core = startCore();
  });
  app.on('before-quit', () => core?.kill());
}
