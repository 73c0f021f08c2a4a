/**
 * Config: the environment, limits, tags, registry credentials and health checks of an app. Configs
 * are immutable rows; a change merges onto the current release's config and cuts a new release.
 */
import type { NodeLabels } from '../../cluster/target';
import { badRequest, conflict, DeisError, notFound } from '../contract/errors';
import type { Config, Healthchecks } from '../contract/objects';
import type { Store } from '../store/db';
import { timestamp, uuid } from '../store/clock';
import type { AppRow } from './apps';
import { checkBuildConfig } from './build-config';
import { mergeConfig, normalizeHealthchecks, type ConfigChange, type ConfigData } from './config-merge';
import type { ReleaseRow, Releases } from './releases';
import { configChanges, joinSummary } from './summary';
import type { UserRow } from './users';

export interface ConfigRow {
  uuid: string;
  app_uuid: string;
  owner_id: number;
  /** The owner's username. */
  owner: string;
  /** JSON text columns. */
  values: string;
  memory: string;
  cpu: string;
  tags: string;
  registry: string;
  healthcheck: string;
  created: string;
  updated: string;
}

const SELECT_CONFIG =
  'SELECT configs.*, users.username AS owner FROM configs JOIN users ON users.id = configs.owner_id';

/** Deis renders every value of these maps with str(); ours are stored as strings already. */
function stringMap(json: string): Record<string, string> {
  const parsed = JSON.parse(json) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : String(v)]),
  );
}

export function configData(row: ConfigRow): ConfigData {
  return {
    values: stringMap(row.values),
    memory: stringMap(row.memory),
    cpu: stringMap(row.cpu),
    tags: stringMap(row.tags),
    registry: stringMap(row.registry),
    healthcheck: normalizeHealthchecks(JSON.parse(row.healthcheck) as Healthchecks),
  };
}

export function configJson(row: ConfigRow, appId: string): Config {
  return {
    uuid: row.uuid,
    created: row.created,
    updated: row.updated,
    owner: row.owner,
    app: appId,
    ...configData(row),
  };
}

/** Asks the target for the labels of the nodes apps may run on (see Target.nodeLabels). */
export type NodeLabelSource = () => Promise<NodeLabels[]>;

/**
 * Deis's check of `tags:set`: the app's tags, all of them, must select at least one node, else the
 * app could never be placed. The message names the tags and, when some were set before, the new
 * ones that broke it, word for word as Deis (its CLI keys on "No nodes matched the provided labels").
 */
export function checkTags(
  tags: Record<string, string>,
  previous: Record<string, string>,
  nodes: NodeLabels[],
): void {
  const wanted = Object.entries(tags);
  if (wanted.length === 0) return;
  if (nodes.some((node) => wanted.every(([k, v]) => Object.hasOwn(node, k) && node[k] === v))) return;
  const labels = wanted.map(([k, v]) => `${k}=${v}`);
  let message = `No nodes matched the provided labels: ${labels.join(', ')}`;
  const old = new Set(Object.entries(previous).map(([k, v]) => `${k}=${v}`));
  const added = labels.filter((l) => !old.has(l));
  if (old.size > 0 && added.length > 0) message += ` - Addition of ${added.join(', ')} is the cause`;
  throw badRequest(message);
}

export class Configs {
  private nodes: NodeLabelSource | undefined;

  /** Wires the target whose nodes tags are checked against; without one, tags are not checked. */
  useNodeLabels(source: NodeLabelSource): void {
    this.nodes = source;
  }

  constructor(
    private readonly store: Store,
    private readonly releases: Releases,
  ) {}

  get(id: string): ConfigRow {
    const row = this.store.db.prepare(`${SELECT_CONFIG} WHERE configs.uuid = ?`).get(id) as
      ConfigRow | undefined;
    if (!row) throw notFound('Config');
    return row;
  }

  /** The config of the release the app should be running. */
  current(app: AppRow): ConfigRow {
    return this.get(this.releases.current(app).config_uuid);
  }

  /**
   * Applies a change (`null` removes a key) and cuts a release with the current build and the new
   * config. Nothing changed → 409; nothing is stored when the change is rejected.
   */
  async set(
    app: AppRow,
    user: UserRow,
    change: ConfigChange,
    /** The release's summary, when the change has a name of its own (`alice attached db as DATABASE_URL`). */
    summary?: string,
  ): Promise<{ config: ConfigRow; release: ReleaseRow }> {
    checkBuildConfig(change.values);
    if (change.tags && this.nodes) await this.checkTagsOnNodes(app, change);
    const result = this.store.tx(() => {
      const base = this.releases.current(app);
      const previous = configData(this.get(base.config_uuid));
      const next = mergeConfig(previous, change);
      const parts = configChanges(user.username, previous, next);
      if (parts.length === 0) throw conflict(`${user.username} changed nothing - release stopped`);
      const config = this.insert(app, user, next);
      const release = this.releases.insert(app, user, {
        config: config.uuid,
        build: base.build_uuid,
        summary: summary ?? joinSummary(parts),
      });
      return { config, release };
    });
    await this.releases.announce({ app, release: result.release, cause: 'config' });
    return result;
  }

  /** Tags are checked against the nodes before anything is stored (the merge is redone in the transaction). */
  private async checkTagsOnNodes(app: AppRow, change: ConfigChange): Promise<void> {
    const previous = configData(this.current(app));
    const next = mergeConfig(previous, change);
    if (Object.keys(next.tags).length === 0) return;
    let nodes: NodeLabels[];
    try {
      nodes = await this.nodes!();
    } catch (err) {
      throw new DeisError(
        'unavailable',
        `Tags cannot be checked against the nodes now (${(err as Error).message}); try again when the target answers.`,
      );
    }
    checkTags(next.tags, previous.tags, nodes);
  }

  private insert(app: AppRow, user: UserRow, data: ConfigData): ConfigRow {
    const now = timestamp();
    const id = uuid();
    this.store.db
      .prepare(
        'INSERT INTO configs (uuid, app_uuid, owner_id, "values", memory, cpu, tags, registry, healthcheck, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        id,
        app.uuid,
        user.id,
        JSON.stringify(data.values),
        JSON.stringify(data.memory),
        JSON.stringify(data.cpu),
        JSON.stringify(data.tags),
        JSON.stringify(data.registry),
        JSON.stringify(data.healthcheck),
        now,
        now,
      );
    return this.get(id);
  }
}
