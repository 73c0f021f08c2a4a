/**
 * Checking a Docker engine on another host before (and whenever) a user relies on it, each step a
 * sentence a person can act on: the host's key is known, the login works, the engine answers (and
 * its version), and we may load an image and create a network and a container there (what every
 * deploy does). Each step gives up after TARGET_CHECK_STEP_MS; what the last step made is removed.
 */
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { TargetCheck } from '../../main/contract/targets';
import { LABEL_ROLE } from '../docker/labels';
import { tarOf } from '../docker/tar';
import { within } from '../kubernetes/check';
import { parseSshUrl, showAddress, type SshAddress } from './address';
import { connectSsh, probeHostKey, type SshOptions } from './connect';
import { dockerOverSsh } from './docker-engine';
import { SshError, type PresentedHostKey } from './errors';

export interface DockerHostCheckOptions {
  /** `ssh://user@host[:port]` */
  url: string;
  ssh: SshOptions;
  /** Called as each step starts (a task's named step). */
  step?: (name: string) => void;
  /**
   * The host presented a key no known_hosts file has: return true once it has been trusted (the
   * check then reads it again), false to stop here with the key in the answer.
   */
  unknownKey?: (key: PresentedHostKey) => boolean;
}

export interface DockerHostCheckResult {
  ok: boolean;
  checks: TargetCheck[];
  /** The engine's version (`27.5.1`), when it answered. */
  version?: string;
  /** The key the host presented, when it is not known (and was not trusted). */
  unknownKey?: PresentedHostKey;
}

const CHECK_IMAGE = 'deis-desktop-check';

/** Runs every check in order; a check that cannot run because an earlier one failed is skipped. */
export async function checkDockerHost(o: DockerHostCheckOptions): Promise<DockerHostCheckResult> {
  const checks: TargetCheck[] = [];
  const step = o.step ?? (() => {});
  const fail = (name: string, err: unknown, extra: Partial<DockerHostCheckResult> = {}) => {
    checks.push({ name, ok: false, message: (err as Error).message });
    return { ok: false, checks, ...extra };
  };
  let address: SshAddress;
  try {
    address = parseSshUrl(o.url, 'The Docker host');
  } catch (err) {
    return fail('host-key', err);
  }
  const shown = showAddress(address);

  step(`Checking the host key of ${shown}`);
  try {
    let probe = await probeHostKey(address, o.ssh);
    if (probe.refusal?.code === 'host_key_unknown' && o.unknownKey?.(probe.key))
      probe = await probeHostKey(address, o.ssh);
    if (probe.refusal)
      return fail(
        'host-key',
        probe.refusal,
        probe.refusal.code === 'host_key_unknown' ? { unknownKey: probe.key } : {},
      );
    checks.push({
      name: 'host-key',
      ok: true,
      message: `The host ${probe.key.name} is known: its ${probe.key.type} key is ${probe.key.fingerprint}.`,
    });
  } catch (err) {
    return fail('host-key', err);
  }

  step(`Logging in as ${address.user}`);
  try {
    const client = await connectSsh(address, o.ssh);
    client.end();
  } catch (err) {
    return fail('login', err);
  }
  checks.push({
    name: 'login',
    ok: true,
    message: `${address.user} logs in to ${shown} with ${o.ssh.identity ? `the key ${o.ssh.identity}` : 'the SSH agent or a default key'}.`,
  });

  const engine = dockerOverSsh(o.url, o.ssh);
  try {
    step('Asking the Docker engine its version');
    let version: string;
    try {
      const v = await within(`The Docker engine on ${shown}`, engine.docker.version());
      version = v.Version;
      checks.push({
        name: 'engine',
        ok: true,
        message: `The Docker engine on ${shown} answers: Docker ${v.Version} (API ${v.ApiVersion}, ${v.Os}/${v.Arch}).`,
      });
    } catch (err) {
      return fail('engine', engineFailure(shown, err));
    }

    step('Creating a network and a container there');
    try {
      await within(`The Docker engine on ${shown}`, createAndRemove(engine.docker));
    } catch (err) {
      return {
        ...fail(
          'create',
          new Error(
            `Cannot create a network and a container on ${shown}: ${reason(err)}; check that ${address.user} may use its Docker engine.`,
          ),
        ),
        version,
      };
    }
    checks.push({
      name: 'create',
      ok: true,
      message: `An image, a network and a container were created on ${shown}, and removed.`,
    });
    return { ok: true, checks, version };
  } finally {
    engine.close();
  }
}

function reason(err: unknown): string {
  const json = (err as { json?: { message?: string } }).json;
  return String(json?.message ?? (err as Error).message)
    .split('\n')[0]!
    .replace(/\.$/, '')
    .slice(0, 300);
}

function engineFailure(shown: string, err: unknown): Error {
  if (err instanceof SshError) return err;
  return new Error(`The Docker engine on ${shown} does not answer: ${reason(err)}.`);
}

/** What a deploy does there, in small: load an image, make a network, put a container on it; then none of it is left. */
async function createAndRemove(docker: Docker): Promise<void> {
  const tag = `probe-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const image = `${CHECK_IMAGE}:${tag}`;
  const labels = { [LABEL_ROLE]: 'check' };
  let network: Docker.Network | undefined;
  let container: Docker.Container | undefined;
  try {
    const tar = tarOf([{ name: CHECK_IMAGE, content: 'made by Deis Desktop to check the Docker host\n' }]);
    const stream = (await docker.importImage(Readable.from([tar]), {
      repo: CHECK_IMAGE,
      tag,
    })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
    );
    network = await docker.createNetwork({ Name: `${CHECK_IMAGE}-${tag}`, Labels: labels });
    container = await docker.createContainer({
      name: `${CHECK_IMAGE}-${tag}`,
      Image: image,
      Cmd: [`/${CHECK_IMAGE}`],
      Labels: labels,
      HostConfig: { NetworkMode: `${CHECK_IMAGE}-${tag}` },
    });
  } finally {
    await container?.remove({ force: true }).catch(() => undefined);
    await network?.remove().catch(() => undefined);
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  }
}
