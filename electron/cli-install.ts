/**
 * "Install the deis command": a symlink to the bundled resources/bin/deis in a folder the user picks
 * (one on their PATH). Nothing else changes: no shell rc edits, and an existing deis that is not ours
 * is left alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dialog, type BrowserWindow } from 'electron';

export async function installCli(
  win: BrowserWindow | null,
  target: string,
): Promise<{ linked: string } | null> {
  const options = {
    title: 'Where should the deis command go? Pick a folder on your PATH.',
    defaultPath: path.join(os.homedir(), '.local', 'bin'),
    properties: ['openDirectory' as const, 'createDirectory' as const],
  };
  const choice = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  const folder = choice.canceled ? undefined : choice.filePaths[0];
  if (!folder) return null;
  const link = path.join(folder, process.platform === 'win32' ? 'deis.cmd' : 'deis');
  const existing = fs.lstatSync(link, { throwIfNoEntry: false });
  if (existing && !existing.isSymbolicLink())
    throw new Error(
      `${link} already exists and is not a link to Deis Desktop; remove it or pick another folder.`,
    );
  try {
    if (existing) fs.unlinkSync(link);
    fs.symlinkSync(target, link);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM')
      throw new Error(
        `Deis Desktop may not write to ${folder}; pick a folder of yours, such as ~/.local/bin.`,
      );
    throw err;
  }
  return { linked: link };
}
