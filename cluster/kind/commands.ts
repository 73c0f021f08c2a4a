/**
 * The `kind` command lines the core runs, built from checked names only. Every command that could
 * touch a kubeconfig is given `--kubeconfig` in DEIS_HOME, so kind never reads or writes
 * `~/.kube/config` (its default, or $KUBECONFIG).
 */
import path from 'node:path';
import { KIND_CLUSTER_NAME_MAX, KIND_WAIT_FOR_READY_SECONDS } from '../../main/contract/limits';

export class KindInputError extends Error {}

/** kind's own rule for cluster names (lower-case DNS labels), within its length advice. */
const CLUSTER_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** An image reference: registry/name[:tag][@digest]; never an option. */
const IMAGE_REF = /^[a-z0-9][a-z0-9._/:@-]*$/i;

export function checkClusterName(name: string): string {
  if (!CLUSTER_NAME.test(name) || name.length > KIND_CLUSTER_NAME_MAX)
    throw new KindInputError(
      `"${name.slice(0, 80)}" is not a kind cluster name: use up to ${KIND_CLUSTER_NAME_MAX} lower-case letters, digits and dashes, starting and ending with a letter or digit.`,
    );
  return name;
}

export function checkImage(ref: string): string {
  if (!IMAGE_REF.test(ref) || ref.length > 512)
    throw new KindInputError(
      `"${ref.slice(0, 80)}" is not an image reference: use name[:tag] or name@sha256:<digest>, as \`docker images\` shows it.`,
    );
  return ref;
}

/** Where a kind cluster's files live in DEIS_HOME. */
export function kindDir(home: string, name: string): string {
  return path.join(home, 'kind', checkClusterName(name));
}

/** The kubeconfig of a kind cluster, kept in DEIS_HOME (mode 0600). */
export function kindKubeconfigPath(home: string, name: string): string {
  return path.join(kindDir(home, name), 'kubeconfig');
}

export interface CreateOptions {
  name: string;
  /** kindest/node:<version>[@sha256:…]; default: the one kind was released with. */
  image?: string;
  /** How long kind waits for the control plane to be Ready (kind's --wait). */
  waitSeconds?: number;
  /** Where kind writes the kubeconfig (in DEIS_HOME); DEIS_HOME/kind/<name>/kubeconfig when absent. */
  kubeconfig?: string;
}

export function createArgs(home: string, o: CreateOptions): string[] {
  const args = [
    'create',
    'cluster',
    '--name',
    checkClusterName(o.name),
    '--kubeconfig',
    o.kubeconfig ?? kindKubeconfigPath(home, o.name),
    '--wait',
    `${o.waitSeconds ?? KIND_WAIT_FOR_READY_SECONDS}s`,
  ];
  if (o.image) args.push('--image', checkImage(o.image));
  return args;
}

export function deleteArgs(home: string, name: string, kubeconfig?: string): string[] {
  return [
    'delete',
    'cluster',
    '--name',
    checkClusterName(name),
    '--kubeconfig',
    kubeconfig ?? kindKubeconfigPath(home, name),
  ];
}

/** Prints the cluster's kubeconfig on stdout (it writes nothing). */
export function getKubeconfigArgs(name: string): string[] {
  return ['get', 'kubeconfig', '--name', checkClusterName(name)];
}

export function getClustersArgs(): string[] {
  return ['get', 'clusters'];
}

/** Names the nodes (containers) of a cluster, one a line. */
export function getNodesArgs(name: string): string[] {
  return ['get', 'nodes', '--name', checkClusterName(name)];
}

/** `kind load docker-image`: the image goes from the local engine into every node; `--` ends the options. */
export function loadImageArgs(name: string, image: string): string[] {
  return ['load', 'docker-image', '--name', checkClusterName(name), '--', checkImage(image)];
}

export function versionArgs(): string[] {
  return ['version'];
}

/** The label kind puts on each node container: `docker stop`/`start` of these stop and start a cluster. */
export const KIND_CLUSTER_LABEL = 'io.x-k8s.kind.cluster';
