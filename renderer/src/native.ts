/** The desktop app's native calls when the preload provides them; in a plain browser, web fallbacks. */
import type { DesktopBridge } from '../../main/contract/ipc';

declare global {
  interface Window {
    deisDesktop?: DesktopBridge;
  }
}

export const bridge = (): DesktopBridge | undefined => window.deisDesktop;

export const inDesktop = (): boolean => bridge() !== undefined;

export function openUrl(url: string): void {
  const b = bridge();
  if (b) void b.openUrl(url);
  else window.open(url, '_blank', 'noopener,noreferrer');
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Tells the user about finished long work when the window is not in front. */
export function notify(title: string, body: string): void {
  if (document.hasFocus()) return;
  void bridge()?.notify(title, body);
}
