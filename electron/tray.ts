/** The tray icon: the core's state, each app with its URL, open the window, and Quit. */
import { Menu, nativeImage, shell, Tray, type MenuItemConstructorOptions } from 'electron';
import type { CoreState } from './core-process';

// A 16×16 rounded square in the brand colour, so no image file has to ship for the tray.
const ICON =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAvklEQVR4nKXT7WaCARgG4Psw+rBSqWal0odKTWfWJElKMpM0SWrrw+tVeZWIkYhIRGJExohERH/v7BT2HMD180IiecPzy5Xx1IWx9JnRzImR7JHh3C9D+R8GCwcGinv6S9/0ve7ofdvSU97QXVnTVV1Bgvn0viQk+LG2ICTYWZ8TEuxozAgJtje/CAm2fUwJCba2J4QEWzpjQoLNPY2QYJMyICT4QVUJCTb2FUKCDcMuIcF67ZP4K/lfrBu1cAcOYYxB7QMvfwAAAABJRU5ErkJggg==';

export interface TrayApp {
  id: string;
  url: string;
}

export class DesktopTray {
  private readonly tray: Tray;
  private state: CoreState = { state: 'starting' };
  private apps: TrayApp[] = [];

  constructor(private readonly actions: { show(): void; quit(): void }) {
    this.tray = new Tray(nativeImage.createFromDataURL(ICON));
    this.tray.on('click', () => actions.show());
    this.render();
  }

  update(state: CoreState, apps: TrayApp[] = this.apps): void {
    this.state = state;
    this.apps = apps;
    this.render();
  }

  private statusLabel(): string {
    switch (this.state.state) {
      case 'starting':
        return 'Core: starting…';
      case 'ready':
        return `Core: running on ${this.state.access.apiUrl}`;
      case 'failed':
        return `Core: failed (${this.state.message})`;
      case 'stopped':
        return 'Core: stopped';
    }
  }

  private render(): void {
    const apps: MenuItemConstructorOptions[] = this.apps.length
      ? this.apps.map((a) => ({ label: `${a.id} — ${a.url}`, click: () => void shell.openExternal(a.url) }))
      : [{ label: 'No apps yet', enabled: false }];
    this.tray.setToolTip(`Deis Desktop — ${this.statusLabel()}`);
    this.tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: this.statusLabel(), enabled: false },
        { type: 'separator' },
        { label: 'Open Deis Desktop', click: () => this.actions.show() },
        { label: 'Apps', submenu: apps },
        { type: 'separator' },
        { label: 'Quit Deis Desktop', click: () => this.actions.quit() },
      ]),
    );
  }
}
