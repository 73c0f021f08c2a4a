/**
 * The main window: shown at once with a boot screen while the core starts, then the UI served by the
 * core. Locked down: context isolation, sandbox, no Node, no navigation away, no new windows (links
 * go to the system browser), no permissions but notifications and clipboard writes.
 */
import { BrowserWindow, session, shell } from 'electron';

const BOOT_CSP = "default-src 'none'; style-src 'unsafe-inline'";

/** A page of our own, so the window has something to say before the core answers. */
export function bootPage(message: string, failed = false): string {
  const html = `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${BOOT_CSP}">
<title>Deis Desktop</title><style>body{margin:0;height:100vh;display:flex;align-items:center;justify-content:center;
background:linear-gradient(160deg,#141a26,#1f2b44);color:#d6deeb;font:15px system-ui,sans-serif}
div{text-align:center;max-width:520px}h1{font-size:20px;color:#fff}p{color:${failed ? '#f5a3a3' : '#aab4c8'}}</style></head>
<body><div><h1>Deis Desktop</h1><p>${message.replace(/[<>&]/g, '')}</p></div></body></html>`;
  return `data:text/html;charset=utf-8,${encodeURIComponent(html)}`;
}

const isWebUrl = (url: string) => /^https?:\/\//i.test(url);

export function createWindow(preload: string, allowedOrigin: () => string | undefined): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 840,
    minWidth: 900,
    minHeight: 600,
    title: 'Deis Desktop',
    backgroundColor: '#141a26',
    show: true,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isWebUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // The page may only move within the core's UI; anything else opens in the system browser.
  win.webContents.on('will-navigate', (event, url) => {
    const origin = allowedOrigin();
    if (origin && url.startsWith(origin + '/')) return;
    event.preventDefault();
    if (isWebUrl(url)) void shell.openExternal(url);
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) =>
    callback(permission === 'notifications' || permission === 'clipboard-sanitized-write'),
  );
  void win.loadURL(bootPage('Starting the core…'));
  return win;
}
