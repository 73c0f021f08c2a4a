/** The only bridge between the page and the machine: the core's address and a few native calls. */
import { contextBridge, ipcRenderer } from 'electron';

contextBridge.exposeInMainWorld('deisDesktop', {
  apiUrl: (): Promise<string> => ipcRenderer.invoke('core:api-url'),
});
