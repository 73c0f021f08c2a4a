/**
 * Loading images into the test cluster's nodes without a registry, as `kind load docker-image`
 * does in a kind node: `docker save <ref> | ctr -n k8s.io images import -` against the cluster's
 * private containerd. An image the node has by that name already is not loaded again (kind skips
 * it the same way, comparing image IDs; our loaded names carry the ID).
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { ImageLoader } from '../../../cluster/kubernetes/delivery';
import { runningInfo } from './cluster';

const run = promisify(execFile);

/** The test cluster's containerd socket, when it is the cluster built here and it runs. */
export function testClusterContainerd(): string | undefined {
  return runningInfo()?.containerdSocket;
}

/** Whether the node's containerd has an image by exactly this name. */
export async function nodeHasImage(socket: string, ref: string): Promise<boolean> {
  const { stdout } = await run('ctr', ['--address', socket, '-n', 'k8s.io', 'images', 'ls', '-q']);
  return stdout.split('\n').includes(ref);
}

/** Removes a loaded image from the node (afterAll). */
export async function removeNodeImage(socket: string, ref: string): Promise<void> {
  await run('ctr', ['--address', socket, '-n', 'k8s.io', 'images', 'rm', ref]).catch(() => undefined);
}

/** `docker save <ref> | ctr import -`, once; rejects with ctr's or docker's last words. */
export function saveAndImport(
  socket: string,
  ref: string,
  log: (line: string) => void = () => {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const save = spawn('docker', ['save', '--', ref], { stdio: ['ignore', 'pipe', 'pipe'] });
    const load = spawn('ctr', ['--address', socket, '-n', 'k8s.io', 'images', 'import', '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    save.stdout.pipe(load.stdin);
    let said = '';
    const keep = (c: Buffer) => (said = (said + c.toString('utf8')).slice(-2000));
    save.stderr.on('data', keep);
    load.stderr.on('data', keep);
    load.stdout.on('data', (c: Buffer) =>
      c
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .forEach((l) => log(l)),
    );
    const closed = (child: ReturnType<typeof spawn>) =>
      new Promise<number | null>((done, fail) => {
        child.on('error', fail);
        child.on('close', done);
      });
    Promise.all([closed(save), closed(load)]).then(([saved, loaded]) => {
      if (saved === 0 && loaded === 0) resolve();
      else reject(new Error(`docker save | ctr import exited ${saved}/${loaded}: ${said.trim()}`));
    }, reject);
  });
}

/** A loader for the test cluster; `loaded` records every name actually loaded (skips are not). */
export function ctrLoader(socket: string, loaded: string[] = []): ImageLoader {
  return async (ref, log) => {
    if (await nodeHasImage(socket, ref)) {
      log(`${ref} is on the node already`);
      return;
    }
    await saveAndImport(socket, ref, log);
    loaded.push(ref);
  };
}
