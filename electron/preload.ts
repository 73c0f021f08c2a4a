/** The only bridge between the page and the machine: the core's address and token, and a few native calls. */
import { contextBridge, ipcRenderer } from 'electron';
import type { DesktopBridge, IpcArg, IpcChannel, IpcResult } from '../main/contract/ipc';

const invoke = <C extends IpcChannel>(channel: C, arg?: IpcArg<C>): Promise<IpcResult<C>> =>
  ipcRenderer.invoke(channel, arg) as Promise<IpcResult<C>>;

const bridge: DesktopBridge = {
  access: () => invoke('core:access'),
  openUrl: (url) => invoke('native:open-url', url),
  pickFolder: () => invoke('native:pick-folder'),
  notify: (title, body) => invoke('native:notify', { title, body }),
  installCli: () => invoke('native:install-cli'),
};

contextBridge.exposeInMainWorld('deisDesktop', bridge);
