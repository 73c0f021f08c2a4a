/**
 * Targets, where apps run: `local` (the core's own engine, always there), the Kubernetes clusters
 * a user adds from a kubeconfig, each with the registry its images are pushed to, and Docker engines
 * on other hosts reached over SSH. The API's request schemas and answers; a registry password is
 * accepted and never answered.
 */
import { z } from 'zod';
import { charField } from './drf';
import {
  KIND_CLUSTER_NAME_MAX,
  KUBECONFIG_MAX_BYTES,
  TARGET_CONTEXT_MAX,
  SSH_URL_MAX_CHARS,
  TARGET_KUBECONFIG_PATH_MAX,
  TARGET_NAME_MAX,
  TARGET_REGISTRY_MAX,
  TARGET_REGISTRY_PASSWORD_MAX,
  TARGET_REGISTRY_USERNAME_MAX,
  TARGET_TRUST_FINGERPRINT_CHARS,
} from './limits';

/** The target every app runs on unless told otherwise: the engine the core itself uses. */
export const LOCAL_TARGET = 'local';

/** A target's name is a folder under DEIS_HOME/targets and shown in lists: a DNS label. */
export const TARGET_NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
export const TARGET_NAME_MESSAGE = `Use up to ${TARGET_NAME_MAX} lower-case letters, digits and dashes, starting and ending with a letter or digit.`;

/** `host[:port][/prefix]`, no scheme: as `docker push` names a registry. */
export const REGISTRY_RE = /^[a-z0-9.-]+(:[0-9]{1,5})?(\/[a-z0-9._/-]+)?$/i;
export const REGISTRY_MESSAGE =
  'Give the registry as host:port[/prefix], with no scheme (registry.example.com:5000).';

export type TargetKind = 'docker' | 'kubernetes' | 'kind';

/** kind's own rule for cluster names (lower-case DNS labels). */
export const KIND_CLUSTER_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
export const KIND_CLUSTER_MESSAGE = `Use up to ${KIND_CLUSTER_NAME_MAX} lower-case letters, digits and dashes, starting and ending with a letter or digit.`;

/** A host key's fingerprint as `ssh` prints it: `SHA256:` and 43 characters of base64. */
export const HOST_KEY_FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** The host key an SSH host presented that no known_hosts file knows (a 409's `host_key`). */
export interface UnknownHostKey {
  /** `host` or `[host]:port`, as known_hosts names it. */
  host: string;
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, … */
  type: string;
  /** `SHA256:…`: send it back as `trust_host_key` to trust exactly this key. */
  fingerprint: string;
}
/**
 * A kubeconfig's text sent in the request (a browser page can send a file's content, not its path):
 * bounded by KUBECONFIG_MAX_BYTES in characters here, and in UTF-8 bytes where it is parsed.
 */
const kubeconfigContent = z
  .string({ error: 'Not a valid string.' })
  .min(1, 'The kubeconfig you sent is empty; pick a kubeconfig file.')
  .max(
    KUBECONFIG_MAX_BYTES,
    `The kubeconfig you sent is larger than ${KUBECONFIG_MAX_BYTES} bytes; pick a smaller file (kubectl config view --minify --flatten writes one context).`,
  );

/** A kubeconfig is given one way: a path on this machine (`kubeconfig`) or the file's text (`kubeconfig_content`). */
const oneKubeconfig = (v: { kubeconfig?: string; kubeconfig_content?: string }, ctx: z.RefinementCtx) => {
  if (v.kubeconfig === undefined && v.kubeconfig_content === undefined)
    ctx.issues.push({
      code: 'custom',
      input: v,
      path: ['kubeconfig'],
      message:
        'Give the kubeconfig as a file path on this machine (kubeconfig) or as its content (kubeconfig_content).',
    });
  if (v.kubeconfig !== undefined && v.kubeconfig_content !== undefined)
    ctx.issues.push({
      code: 'custom',
      input: v,
      path: ['kubeconfig_content'],
      message: 'Give the kubeconfig as a path or as its content, not both.',
    });
};

export const AddTargetRequest = z
  .object({
    name: charField({ max: TARGET_NAME_MAX, pattern: [TARGET_NAME_RE, TARGET_NAME_MESSAGE] }),
    /** `kubernetes` (with `kubeconfig`), `docker` (with `docker`) or `kind` (with `cluster`); inferred from which is given. */
    kind: z.enum(['kubernetes', 'docker', 'kind'], { error: 'Give kubernetes, docker or kind.' }).optional(),
    /** A local kind cluster (kind `kind`): its name; the target's name when absent. */
    cluster: charField({
      max: KIND_CLUSTER_NAME_MAX,
      pattern: [KIND_CLUSTER_RE, KIND_CLUSTER_MESSAGE],
    }).optional(),
    /** Create the kind cluster (it must not exist); without it, an existing cluster is adopted. */
    create: z.boolean({ error: 'Must be a valid boolean.' }).optional(),
    /** A kubeconfig file on this machine; it is copied into DEIS_HOME and never written. */
    kubeconfig: charField({ max: TARGET_KUBECONFIG_PATH_MAX }).optional(),
    /** A Docker engine on another host: `ssh://user@host[:port]` (kind `docker`). */
    docker: charField({ max: SSH_URL_MAX_CHARS }).optional(),
    /** The private key file the Docker host is logged in with; the SSH agent and ~/.ssh/id_* when absent. */
    identity: charField({ max: TARGET_KUBECONFIG_PATH_MAX }).optional(),
    /**
     * The fingerprint (`SHA256:…`) of the unknown host key (the Docker host's or the bastion's) to
     * trust, as a 409 named it: recorded in DEIS_HOME/ssh/known_hosts only if the host presents
     * exactly that key. A changed key is never accepted this way.
     */
    trust_host_key: charField({
      max: TARGET_TRUST_FINGERPRINT_CHARS,
      pattern: [HOST_KEY_FINGERPRINT_RE, 'Give the fingerprint as ssh prints it: SHA256: and 43 characters.'],
    }).optional(),
    /** Or the kubeconfig's text (the UI in a browser); its chosen context is copied into DEIS_HOME the same way. */
    kubeconfig_content: kubeconfigContent.optional(),
    /** One of its contexts; its current-context when absent. */
    context: charField({ max: TARGET_CONTEXT_MAX }).optional(),
    registry: charField({ max: TARGET_REGISTRY_MAX, pattern: [REGISTRY_RE, REGISTRY_MESSAGE] }).optional(),
    registry_username: charField({ max: TARGET_REGISTRY_USERNAME_MAX }).optional(),
    registry_password: z
      .string({ error: 'Not a valid string.' })
      .min(1, 'This field may not be blank.')
      .max(
        TARGET_REGISTRY_PASSWORD_MAX,
        `Ensure this field has no more than ${TARGET_REGISTRY_PASSWORD_MAX} characters.`,
      )
      .optional(),
    /** An SSH bastion (`ssh://user@host[:port]`) through which the API server is reached. */
    bastion: charField({ max: SSH_URL_MAX_CHARS }).optional(),
    /** The private key file the bastion is logged in with; the SSH agent and ~/.ssh/id_* when absent. */
    bastion_identity: charField({ max: TARGET_KUBECONFIG_PATH_MAX }).optional(),
  })
  .superRefine((v, ctx) => {
    const issue = (field: string, message: string) =>
      ctx.issues.push({ code: 'custom', input: v, path: [field], message });
    const kind = targetKindOf(v);
    if (kind !== 'kind')
      for (const field of ['cluster', 'create'] as const)
        if (v[field] !== undefined) issue(field, 'Only a kind target takes a cluster name or create.');
    if (kind === 'kind') {
      for (const field of [
        'kubeconfig',
        'kubeconfig_content',
        'context',
        'docker',
        'identity',
        'trust_host_key',
        'bastion',
        'bastion_identity',
      ] as const)
        if (v[field] !== undefined)
          issue(
            field,
            'A kind target takes its cluster name, create, and a local registry: kind gives its kubeconfig.',
          );
      if (Boolean(v.registry_username) !== Boolean(v.registry_password))
        issue(
          v.registry_username ? 'registry_password' : 'registry_username',
          'Give both the registry username and password, or neither (a registry without a login).',
        );
      return;
    }
    if (kind === 'docker') {
      if (!v.docker) issue('docker', 'A Docker target needs its address: ssh://user@host[:port].');
      for (const field of [
        'kubeconfig',
        'kubeconfig_content',
        'context',
        'registry',
        'registry_username',
        'registry_password',
        'bastion',
        'bastion_identity',
      ] as const)
        if (v[field] !== undefined)
          issue(field, 'A Docker target over SSH takes no kubeconfig, registry or bastion.');
      return;
    }
    oneKubeconfig(v, ctx);
    if (v.docker !== undefined) issue('docker', 'A Kubernetes target takes no Docker address.');
    if (v.identity !== undefined)
      issue('identity', 'A Kubernetes target takes no identity; give bastion_identity for its bastion.');
    if (v.bastion_identity && !v.bastion)
      ctx.issues.push({
        code: 'custom',
        input: v,
        path: ['bastion_identity'],
        message: 'A bastion identity needs the bastion it is for (ssh://user@host[:port]).',
      });
    if (Boolean(v.registry_username) !== Boolean(v.registry_password))
      ctx.issues.push({
        code: 'custom',
        input: v,
        path: [v.registry_username ? 'registry_password' : 'registry_username'],
        message: 'Give both the registry username and password, or neither (a registry without a login).',
      });
    if (v.registry_username && !v.registry)
      ctx.issues.push({
        code: 'custom',
        input: v,
        path: ['registry'],
        message: 'A registry login needs the registry it is for (host:port).',
      });
  });
export type AddTargetRequest = z.infer<typeof AddTargetRequest>;

/** The kind an add request asks for: `kind`, else `docker` when a Docker address is given, `kind` when a kind cluster is. */
export function targetKindOf(v: { kind?: TargetKind; docker?: string; cluster?: string }): TargetKind {
  return v.kind ?? (v.docker !== undefined ? 'docker' : v.cluster !== undefined ? 'kind' : 'kubernetes');
}

/**
 * `DELETE /v2/desktop/targets/<name>/` (a body is optional): a kind target's cluster is deleted
 * with it only when asked, and only with the target's name typed again (`confirm`).
 */
export const RemoveTargetRequest = z.object({
  delete_cluster: z.boolean({ error: 'Must be a valid boolean.' }).optional(),
  confirm: charField({ max: TARGET_NAME_MAX }).optional(),
});
export type RemoveTargetRequest = z.infer<typeof RemoveTargetRequest>;

/** What starting or stopping a kind target answers: the task whose steps say what was done. */
export interface TargetPowerResult {
  name: string;
  /** `start` or `stop`. */
  action: 'start' | 'stop';
  ok: boolean;
  task: string;
  /** One line per step, with its time: `✓ Stopping nodes (1/1) 0.4 s`. */
  steps: string[];
}

/** `POST /v2/desktop/kubeconfig-contexts/`: the contexts of a kubeconfig, to choose one before adding a target. */
export const KubeconfigContextsRequest = z
  .object({
    kubeconfig: charField({ max: TARGET_KUBECONFIG_PATH_MAX }).optional(),
    kubeconfig_content: kubeconfigContent.optional(),
  })
  .superRefine(oneKubeconfig);
export type KubeconfigContextsRequest = z.infer<typeof KubeconfigContextsRequest>;

/** One context of a kubeconfig, as the chooser shows it (no credentials). */
export interface KubeconfigContextInfo {
  name: string;
  cluster: string;
  server: string;
  user: string;
  namespace: string;
  /** How the user authenticates: client certificate, token, exec (<command>), … */
  auth: string;
  /** The file's current-context. */
  current: boolean;
}

export interface KubeconfigContextsResult {
  current_context: string;
  contexts: KubeconfigContextInfo[];
}

/** `POST /v2/desktop/apps/<app>/promote/`: the release (`7` or `v7`; default the current one) and where to. */
export const PromoteRequest = z.object({
  to: charField({ max: TARGET_NAME_MAX }),
  version: z
    .union([z.number(), z.string()], { error: 'Give the release as a number or vN.' })
    .transform((v, ctx) => {
      const n = typeof v === 'number' ? v : Number(v.replace(/^v/i, ''));
      if (!Number.isInteger(n) || n < 1 || n > 1_000_000_000) {
        ctx.issues.push({ code: 'custom', input: v, message: 'Give the release as a number or vN (v7).' });
        return z.NEVER;
      }
      return n;
    })
    .optional(),
});
export type PromoteRequest = z.infer<typeof PromoteRequest>;

/** What a promotion answers: the copy on the destination and the release it runs. */
export interface PromoteResult {
  /** The copy of the app on the destination (`<app>-<target>`). */
  app: string;
  target: string;
  /** The release cut on the copy. */
  version: number;
  /** The source release's version. */
  from: number;
  /** What the destination runs: `<registry>/<app>@sha256:…` (or the image ID on local). */
  image: string;
  summary: string;
}

/** Whether the core can use a target now. */
export type TargetState =
  /** Connected and converged (`local`: its engine is up). */
  | 'ready'
  /** Being connected (a first deploy, or the core's start). */
  | 'starting'
  /** Not connected yet: it connects when one of its apps needs it. */
  | 'idle'
  /** It could not be reached the last time it was tried; `message` says why. */
  | 'unavailable';

export interface TargetInfo {
  name: string;
  kind: TargetKind;
  /** `local`: true. */
  default: boolean;
  state: TargetState;
  /** Why it is unavailable (or what it is doing), one sentence. */
  message: string;
  /** The API server (Kubernetes) or the engine's address (`ssh://user@host[:port]` for a Docker host). */
  server: string;
  context: string;
  /** The server's version as last seen (`v1.20.2`); empty when unknown. */
  server_version: string;
  registry: string;
  registry_username: string;
  /** The SSH bastion its API server is reached through (`ssh://user@host[:port]`); empty when none. */
  bastion: string;
  /** A kind target's cluster (`kind get clusters` names it); empty for other kinds. */
  cluster: string;
  /**
   * Where apps on it answer through its router, once it runs; empty otherwise. For a Docker host
   * over SSH, a port of its own on this machine's 127.0.0.1 forwarded to that host's router (send
   * `Host: <app>.<platform domain>`).
   */
  router_url: string;
  /** Where they answer HTTPS (`https://…`, for a Docker host over SSH another forwarded port); null when nowhere. */
  router_https_url: string | null;
  /** How many apps run on it. */
  apps: number;
  created: string;
}

/** One answer of a target check: a step that passed or failed, in a sentence. */
export interface TargetCheck {
  name: string;
  ok: boolean;
  message: string;
}

export interface TargetTestResult {
  name: string;
  ok: boolean;
  checks: TargetCheck[];
  /** The task that recorded the checks as named steps. */
  task: string;
}
