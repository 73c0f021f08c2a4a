/**
 * Targets, where apps run: the list every signed-in user sees, and what administrators do with them
 * (add a Kubernetes cluster from a kubeconfig's content, test, remove). Answers are parsed
 * leniently: a kind or state this UI does not know is shown as its word, never dropped.
 */
import { z } from 'zod';
import { KUBECONFIG_MAX_BYTES, TARGET_REGISTRY_PASSWORD_MAX } from '../../../main/contract/limits';
import type { PromoteResult } from '../../../main/contract/targets';
import { page } from '../../../main/contract/responses';
import { get, messageOf, post, send } from '../../src/api';
import { create } from 'zustand';

export { appUrlVia, kindWords, stateWords, targetNameProblem } from './words';

const text = z.string().catch('');

export const TargetSchema = z.object({
  name: z.string(),
  kind: z.string(),
  default: z.boolean().catch(false),
  state: z.string().catch('unknown'),
  message: text,
  server: text,
  context: text,
  server_version: text,
  registry: text,
  registry_username: text,
  router_url: text,
  router_https_url: z.string().nullable().catch(null),
  /** A kind target's cluster. */
  cluster: text,
  apps: z.number().catch(0),
});
export type Target = z.infer<typeof TargetSchema>;

const ContextsSchema = z.object({
  current_context: z.string(),
  contexts: z.array(
    z.object({
      name: z.string(),
      server: text,
      user: text,
      namespace: text,
      auth: text,
      current: z.boolean().catch(false),
    }),
  ),
});
export type KubeContexts = z.infer<typeof ContextsSchema>;

const CheckSchema = z.object({ name: z.string(), ok: z.boolean(), message: z.string() });
const TestResultSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  checks: z.array(CheckSchema),
  task: z.string(),
});
const AddedSchema = TargetSchema.extend({ checks: z.array(CheckSchema).catch([]) });
export type TargetCheck = z.infer<typeof CheckSchema>;

const PromoteResultSchema = z.object({
  app: z.string(),
  target: z.string(),
  version: z.number(),
  from: z.number(),
  image: z.string(),
  summary: z.string(),
}) satisfies z.ZodType<PromoteResult>;

/** Reads the file the user picked, refusing one larger than the core accepts before reading it. */
export async function readKubeconfig(file: File): Promise<string> {
  if (file.size > KUBECONFIG_MAX_BYTES)
    throw new Error(
      `${file.name} is ${file.size} bytes, more than the ${KUBECONFIG_MAX_BYTES} bytes a kubeconfig may be; pick a smaller file (kubectl config view --minify --flatten writes one context).`,
    );
  return file.text();
}

export interface AddInput {
  name: string;
  kubeconfig_content: string;
  context: string;
  registry: string;
  registry_username: string;
  registry_password: string;
}

/** Adopting (or creating) a local kind cluster as a target. */
export interface AddKindInput {
  name: string;
  cluster: string;
  create: boolean;
  /** host:port of the cluster's local registry (kind's recipe); without it, images are loaded into the nodes. */
  registry: string;
}

const PowerSchema = z.object({
  name: z.string(),
  action: z.string(),
  ok: z.boolean(),
  task: z.string(),
  steps: z.array(z.string()).catch([]),
});
export type PowerResult = z.infer<typeof PowerSchema>;

interface TargetsState {
  targets: Target[];
  loaded: boolean;
  error: string | null;
  load(): Promise<void>;
  contexts(content: string): Promise<KubeContexts>;
  add(input: AddInput): Promise<{ target: Target; checks: TargetCheck[] }>;
  addKind(input: AddKindInput): Promise<{ target: Target; checks: TargetCheck[] }>;
  /** Starts or stops a kind target's node containers. */
  power(name: string, action: 'start' | 'stop'): Promise<PowerResult>;
  test(name: string): Promise<{ ok: boolean; checks: TargetCheck[]; task: string }>;
  /** `deleteCluster`: a kind target's cluster is deleted too (the name is sent as confirmation). */
  remove(name: string, deleteCluster?: boolean): Promise<void>;
  promote(app: string, to: string): Promise<PromoteResult>;
}

export const REGISTRY_PASSWORD_MAX = TARGET_REGISTRY_PASSWORD_MAX;

export const useTargets = create<TargetsState>((set, getState) => ({
  targets: [],
  loaded: false,
  error: null,

  async load() {
    try {
      const list = await get('/v2/desktop/targets/?limit=100', page(TargetSchema));
      set({ targets: list.results, loaded: true, error: null });
    } catch (err) {
      set({ error: messageOf(err), loaded: true });
    }
  },

  contexts: (content) =>
    post('/v2/desktop/kubeconfig-contexts/', ContextsSchema, { kubeconfig_content: content }),

  async add(input) {
    const body: Record<string, string> = {
      name: input.name,
      kubeconfig_content: input.kubeconfig_content,
      registry: input.registry,
    };
    if (input.context) body.context = input.context;
    if (input.registry_username) body.registry_username = input.registry_username;
    if (input.registry_password) body.registry_password = input.registry_password;
    try {
      const { checks, ...target } = await post('/v2/desktop/targets/', AddedSchema, body);
      return { target, checks };
    } finally {
      await getState().load();
    }
  },

  async addKind(input) {
    const body: Record<string, unknown> = { name: input.name, kind: 'kind', cluster: input.cluster };
    if (input.create) body.create = true;
    if (input.registry) body.registry = input.registry;
    try {
      const { checks, ...target } = await post('/v2/desktop/targets/', AddedSchema, body);
      return { target, checks };
    } finally {
      await getState().load();
    }
  },

  async power(name, action) {
    try {
      return await post(`/v2/desktop/targets/${encodeURIComponent(name)}/${action}/`, PowerSchema, {});
    } finally {
      await getState().load();
    }
  },

  async test(name) {
    try {
      return await post(`/v2/desktop/targets/${encodeURIComponent(name)}/test/`, TestResultSchema);
    } finally {
      await getState().load();
    }
  },

  async remove(name, deleteCluster) {
    await send(
      'DELETE',
      `/v2/desktop/targets/${encodeURIComponent(name)}/`,
      deleteCluster ? { delete_cluster: true, confirm: name } : undefined,
    );
    await getState().load();
  },

  async promote(app, to) {
    try {
      return await post(`/v2/desktop/apps/${encodeURIComponent(app)}/promote/`, PromoteResultSchema, { to });
    } finally {
      await getState().load();
    }
  },
}));
