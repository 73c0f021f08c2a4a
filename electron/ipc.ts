/**
 * The shell's side of the typed IPC map (main/contract/ipc.ts): each channel's handler, answered only
 * to the core's own UI, with errors passed back as plain messages.
 */
import { BrowserWindow, dialog, ipcMain, Notification, shell, type IpcMainInvokeEvent } from 'electron';
import type { CoreAccess, IpcArg, IpcChannel, IpcResult } from '../main/contract/ipc';
import { installCli } from './cli-install';

type Handlers = { [C in IpcChannel]: (arg: IpcArg<C>, event: IpcMainInvokeEvent) => Promise<IpcResult<C>> };

export interface IpcDeps {
  access(): Promise<CoreAccess>;
  /** The origin of the core's UI; other pages get no answers. */
  origin(): string | undefined;
  cliTarget: string;
}

export function registerIpc(deps: IpcDeps): void {
  const handlers: Handlers = {
    'core:access': () => deps.access(),
    'native:open-url': async (url) => {
      if (typeof url !== 'string' || !/^https?:\/\//i.test(url))
        throw new Error('Only web addresses can be opened.');
      await shell.openExternal(url);
    },
    'native:pick-folder': async (_arg, event) => {
      const win = BrowserWindow.fromWebContents(event.sender);
      const options = { title: 'Deploy a folder', properties: ['openDirectory' as const] };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    'native:notify': async ({ title, body }) => {
      if (Notification.isSupported()) new Notification({ title: String(title), body: String(body) }).show();
    },
    'native:install-cli': async (_arg, event) =>
      installCli(BrowserWindow.fromWebContents(event.sender), deps.cliTarget),
  };
  for (const channel of Object.keys(handlers) as IpcChannel[]) {
    ipcMain.handle(channel, async (event, arg) => {
      const origin = deps.origin();
      if (!origin || !event.senderFrame?.url.startsWith(origin + '/'))
        throw new Error('Not allowed from this page.');
      return (handlers[channel] as (a: unknown, e: IpcMainInvokeEvent) => Promise<unknown>)(arg, event);
    });
  }
}
