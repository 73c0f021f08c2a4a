/**
 * The one map of IPC channels between the Electron shell and its preload: the core's address and
 * token, and a few native calls. The renderer never reaches the controller this way; it uses the
 * HTTP API like every other client. Both sides are typed from this map.
 */

export interface CoreAccess {
  apiUrl: string;
  token: string;
  /** The bundled CLI's own settings file, for DEIS_PROFILE (never ~/.deis/client.json). */
  cliProfile: string | null;
}

/** Channel → [argument, result] of `ipcRenderer.invoke` / `ipcMain.handle`. */
export interface IpcChannels {
  /** Resolves once the core is up, with the desktop user's token. */
  'core:access': [void, CoreAccess];
  'native:open-url': [string, void];
  /** The folder the user picked, or null when they cancelled. */
  'native:pick-folder': [void, string | null];
  'native:notify': [{ title: string; body: string }, void];
  /** Puts a link to the bundled `deis` in a folder the user picks; answers where, or null. */
  'native:install-cli': [void, { linked: string } | null];
}

export type IpcChannel = keyof IpcChannels;
export type IpcArg<C extends IpcChannel> = IpcChannels[C][0];
export type IpcResult<C extends IpcChannel> = IpcChannels[C][1];

export const IPC_CHANNELS = [
  'core:access',
  'native:open-url',
  'native:pick-folder',
  'native:notify',
  'native:install-cli',
] as const satisfies readonly IpcChannel[];

/** Messages between the shell and the core it runs in a utilityProcess (`process.parentPort`). */
export type CoreMessage =
  | {
      type: 'ready';
      apiUrl: string;
      builderPort: number;
      routerPort: number;
      tokenFile: string | null;
      cliProfile: string | null;
    }
  | { type: 'failed'; message: string };
export type ShellMessage = { type: 'stop' };

/** What the preload exposes on `window.deisDesktop` (only in the desktop app, never in a browser). */
export interface DesktopBridge {
  access(): Promise<CoreAccess>;
  openUrl(url: string): Promise<void>;
  pickFolder(): Promise<string | null>;
  notify(title: string, body: string): Promise<void>;
  installCli(): Promise<{ linked: string } | null>;
}
