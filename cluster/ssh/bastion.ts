/**
 * A Kubernetes API server reached through an SSH bastion: a port on 127.0.0.1 forwarded over ssh2
 * (`direct-tcpip`, as `ssh -L` makes) to the server's address as the bastion sees it. The kubeconfig's
 * cluster is pointed at that port with `tls-server-name` set to the server's real name, so its
 * certificate is still verified for that name, never skipped. One forward per bastion and server,
 * shared by every client of the process.
 */
import { parseSshUrl, showAddress } from './address';
import type { SshOptions } from './connect';
import { SshError } from './errors';
import { LocalForward } from './forward';
import { SshSessions } from './sessions';

export { ourKnownHosts } from './known-hosts';

export interface BastionSettings {
  /** `ssh://user@host[:port]` (DEIS_KUBE_BASTION, a target's `--bastion`). */
  url: string;
  /** A private key file (DEIS_KUBE_BASTION_IDENTITY); else the agent and ~/.ssh/id_*. */
  identity?: string;
  /** Our known_hosts in DEIS_HOME (read with the user's; the only one ever written). */
  knownHosts?: string;
}

const forwards = new Map<string, Promise<LocalForward>>();

/**
 * The local port that reaches host:port through the bastion, opened once and checked: the first
 * channel is opened before it is handed out, so an unknown host key, a refused login or a bastion
 * that does not forward there is an SshError here, not a hang in the Kubernetes client.
 */
export function forwardThroughBastion(
  bastion: BastionSettings,
  host: string,
  port: number,
): Promise<LocalForward> {
  const key = JSON.stringify([bastion.url, bastion.identity ?? '', bastion.knownHosts ?? '', host, port]);
  let made = forwards.get(key);
  if (!made) {
    made = (async () => {
      const address = parseSshUrl(bastion.url, 'The bastion');
      const options: SshOptions = { identity: bastion.identity, knownHosts: bastion.knownHosts };
      const sessions = new SshSessions(address, options);
      try {
        const probe = await sessions.forwardOut(host, port);
        probe.close();
      } catch (err) {
        sessions.close();
        if (err instanceof SshError && err.code === 'forward_refused')
          throw new SshError(
            'forward_refused',
            `The bastion ${showAddress(address)} does not forward to ${host}:${port} (${err.message.replace(/\.$/, '')}); check the kubeconfig's server address and the bastion's PermitOpen/AllowTcpForwarding.`,
          );
        throw err;
      }
      const forward = new LocalForward(sessions, { host, port }, true);
      await forward.listen(0);
      return forward;
    })();
    forwards.set(key, made);
    made.catch(() => forwards.delete(key));
  }
  return made;
}

/** Closes every bastion forward of this process (a core that stops; tests). */
export async function closeBastions(): Promise<void> {
  const all = [...forwards.values()];
  forwards.clear();
  for (const f of all) await f.then((x) => x.close()).catch(() => undefined);
}
