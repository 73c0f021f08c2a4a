/** kubectl against a test cluster's kubeconfig, for tests (the target will use a client library). */
import { execFile } from 'node:child_process';
import { haveCommand } from './run';

export function kubectlAvailable(): boolean {
  return haveCommand('kubectl');
}

export interface Kubectl {
  (args: string[], input?: string): Promise<string>;
  json<T = unknown>(args: string[]): Promise<T>;
}

export function kubectlFor(kubeconfig: string): Kubectl {
  const call = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile(
        'kubectl',
        [`--kubeconfig=${kubeconfig}`, ...args],
        { maxBuffer: 16 * 1024 * 1024, timeout: 180_000 },
        (err, stdout, stderr) =>
          err
            ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr.trim() || err.message}`))
            : resolve(stdout),
      );
      child.stdin?.end(input);
    });
  return Object.assign(call, {
    json: async <T>(args: string[]) => JSON.parse(await call([...args, '-o', 'json'])) as T,
  });
}
