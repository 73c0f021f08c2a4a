/**
 * Backing services: the catalog, the services the user has, and the attachments being made. A
 * drop (or the keyboard's "Attach service…") becomes a job: provision when it is a catalog kind (on
 * the app's target), wait until the service accepts connections, attach it, each phase shown as it happens.
 */
import { create } from 'zustand';
import { AppSchema, page } from '../../../main/contract/responses';
import {
  CatalogKindSchema,
  ServiceAttachResultSchema,
  ServiceSchema,
  type CatalogKind,
  type Service,
} from '../../../main/contract/services';
import { SERVICE_BACKUP_MAX_BYTES } from '../../../main/contract/limits';
import { get, messageOf, post, request, send } from '../../src/api';
import { useApps } from '../apps/store';
import { useConfig } from '../config/store';
import { useTasks } from '../tasks/store';
import type { ServiceSource } from './drag';

export type JobPhase = 'provisioning' | 'attaching' | 'attached' | 'failed';

/** One "attach this to that app", from the drop to the release it cut. */
export interface AttachJob {
  id: number;
  app: string;
  service: string;
  kind: string;
  phase: JobPhase;
  /** The provisioning task, when this job provisions. */
  task: string | null;
  /** What went wrong, in the core's words. */
  error: string | null;
  var: string | null;
  release: number | null;
}

/** How often a job asks whether its service is ready (the task's steps arrive live meanwhile). */
const READY_POLL_MS = 1000;
/**
 * How long a job waits for a service: a first provisioning may build its image from Debian's
 * packages (minutes on a busy laptop); past this the service screen still shows how it ends.
 */
const READY_WAIT_MS = 20 * 60_000;

interface ServicesState {
  catalog: CatalogKind[];
  services: Service[];
  jobs: AttachJob[];
  loaded: boolean;
  error: string | null;
  load(): Promise<void>;
  /** Provisions a service of `kind` (on `target`, default local); answers it (state provisioning). */
  create(kind: string, name?: string, version?: string, target?: string): Promise<Service>;
  /** Attaches (provisioning first for a kind) and follows it as a job; never throws. */
  attachTo(app: string, source: ServiceSource, options?: { name?: string; as?: string }): Promise<void>;
  detach(service: string, app: string): Promise<number | null>;
  destroy(service: string, confirm: string): Promise<void>;
  /** Downloads a backup file through the browser. */
  backup(service: string): Promise<void>;
  restore(service: string, file: File, confirm: string): Promise<void>;
  dismiss(job: number): void;
}

let nextJob = 1;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const path = (service: string) => `/v2/services/${encodeURIComponent(service)}`;

/** The other stores that show what an attachment changed: the app's config and its release. */
function refreshApp(app: string): void {
  if (useConfig.getState().app === app) void useConfig.getState().load(app);
  void useApps.getState().load();
}

export const useServices = create<ServicesState>((set, getState) => {
  const update = (id: number, change: Partial<AttachJob>) =>
    set((s) => ({ jobs: s.jobs.map((j) => (j.id === id ? { ...j, ...change } : j)) }));
  const upsert = (service: Service) =>
    set((s) => ({
      services: s.services.some((x) => x.name === service.name)
        ? s.services.map((x) => (x.name === service.name ? service : x))
        : [...s.services, service],
    }));

  /** Polls the service until it is no longer provisioning; answers it. */
  async function settled(name: string): Promise<Service> {
    const deadline = Date.now() + READY_WAIT_MS;
    for (;;) {
      const s = await get(path(name) + '/', ServiceSchema);
      upsert(s);
      if (s.state !== 'provisioning') return s;
      if (Date.now() > deadline)
        throw new Error(`${name} is still being provisioned; the Services screen shows how it ends.`);
      await sleep(READY_POLL_MS);
    }
  }

  return {
    catalog: [],
    services: [],
    jobs: [],
    loaded: false,
    error: null,

    async load() {
      try {
        const [catalog, services] = await Promise.all([
          get('/v2/services/catalog/?limit=100', page(CatalogKindSchema)),
          get('/v2/services/?limit=100', page(ServiceSchema)),
        ]);
        set({ catalog: catalog.results, services: services.results, loaded: true, error: null });
      } catch (err) {
        set({ error: messageOf(err) });
      }
    },

    async create(kind, name, version, target) {
      const body: Record<string, string> = { kind };
      if (name) body.name = name;
      if (version) body.version = version;
      if (target) body.target = target;
      const service = await post('/v2/services/', ServiceSchema, body);
      upsert(service);
      if (service.task)
        void useTasks
          .getState()
          .watch(service.task)
          .catch(() => undefined);
      return service;
    },

    async attachTo(app, source, options = {}) {
      const id = nextJob++;
      if (!getState().loaded) await getState().load();
      const known = getState();
      const kind =
        'kind' in source ? source.kind : (known.services.find((s) => s.name === source.service)?.kind ?? '');
      // A drop from another page names things this window does not know: do nothing with it.
      if ('kind' in source ? !known.catalog.some((k) => k.kind === source.kind) : !kind) return;
      const job: AttachJob = {
        id,
        app,
        service: 'service' in source ? source.service : '',
        kind,
        phase: 'provisioning',
        task: null,
        error: null,
        var: null,
        release: null,
      };
      set((s) => ({ jobs: [...s.jobs, job] }));
      try {
        let service: Service;
        if ('kind' in source) {
          // On the app's target: an app reaches only services that live where it runs.
          const target =
            useApps.getState().apps.find((a) => a.app.id === app)?.app.target ??
            (await get(`/v2/apps/${encodeURIComponent(app)}/`, AppSchema)).target;
          service = await getState().create(source.kind, options.name, undefined, target);
          update(id, { service: service.name, task: service.task });
        } else service = known.services.find((s) => s.name === source.service)!;
        if (service.state === 'provisioning') service = await settled(service.name);
        if (service.state === 'failed')
          throw new Error(`${service.name} failed to provision: ${service.error ?? 'see its task'}.`);
        update(id, { phase: 'attaching' });
        const body: Record<string, string> = { app };
        if (options.as) body.as = options.as;
        const result = await post(`${path(service.name)}/apps/`, ServiceAttachResultSchema, body);
        update(id, { phase: 'attached', var: result.var, release: result.release });
        refreshApp(app);
      } catch (err) {
        update(id, { phase: 'failed', error: messageOf(err) });
      }
      await getState().load();
    },

    async detach(service, app) {
      const res = await request('DELETE', `${path(service)}/apps/${encodeURIComponent(app)}/`);
      const { release } = (await res.json()) as { release: number | null };
      refreshApp(app);
      await getState().load();
      return typeof release === 'number' ? release : null;
    },

    async destroy(service, confirm) {
      await send('DELETE', `${path(service)}/`, { confirm });
      set((s) => ({ services: s.services.filter((x) => x.name !== service) }));
    },

    async backup(service) {
      const res = await request('GET', `${path(service)}/backup/`);
      const disposition = res.headers.get('Content-Disposition') ?? '';
      const filename = /filename="([^"/\\]+)"/.exec(disposition)?.[1] ?? `${service}.backup`;
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },

    async restore(service, file, confirm) {
      if (file.size > SERVICE_BACKUP_MAX_BYTES)
        throw new Error(
          `${file.name} is larger than the ${SERVICE_BACKUP_MAX_BYTES / 1024 / 1024} MiB a backup may be here.`,
        );
      await request('POST', `${path(service)}/restore/?confirm=${encodeURIComponent(confirm)}`, file);
    },

    dismiss: (job) => set((s) => ({ jobs: s.jobs.filter((j) => j.id !== job) })),
  };
});
