/**
 * Promotion: the exact release that ran on one target goes to another. The release's image is
 * pushed by digest to the destination's registry, and the app's copy there — `<app>-<target>`, made
 * on the first promotion, owned by the app's owner with its collaborators — gets a release with the
 * same image and the same config, whose summary says where it came from (`admin promoted v7 from
 * local`); the copy's target rolls it out as any deploy. The source keeps running, untouched.
 *
 * Why a copy app rather than the same app on two targets: an app's name is its namespace, its host
 * name and its log, and every Deis endpoint takes one app to one place; the copy keeps each of
 * those single-valued (so the original CLI works on both unchanged), keeps its own release
 * history on its own target, and records where each release came from.
 */
import type Docker from 'dockerode';
import { pushImage, repositoryFor } from '../../cluster/kubernetes/push';
import { badRequest, conflict, forbidden, invalid } from '../contract/errors';
import { LOCAL_TARGET } from '../contract/targets';
import type { Store } from '../store/db';
import { timestamp, uuid } from '../store/clock';
import type { AppRow, Apps } from './apps';
import type { Builds } from './builds';
import type { Releases, ReleaseRow } from './releases';
import type { Targets } from './targets';
import type { UserRow, Users } from './users';

export interface PromotionResult {
  /** The copy on the destination, and the release cut there. */
  app: AppRow;
  release: ReleaseRow;
  /** The source release's version. */
  from: number;
  /** What the destination runs: `<registry>/<copy>@sha256:…`, or the image ID on `local`. */
  image: string;
}

export class Promotions {
  constructor(
    private readonly store: Store,
    private readonly apps: Apps,
    private readonly users: Users,
    private readonly builds: Builds,
    private readonly releases: Releases,
    private readonly targets: Targets,
    private readonly docker: () => Docker,
  ) {}

  /** The copy of `source` on `to`: its name, and the app if it exists (refused when the name is someone else's). */
  private copyOf(source: AppRow, to: string): { name: string; app: AppRow | undefined } {
    const name = `${source.id}-${to}`;
    if (name.length > 63)
      throw badRequest(
        `The copy of ${source.id} on ${to} would be named ${name}, longer than an app name may be (63); use a shorter target name.`,
      );
    const app = this.apps.find(name);
    if (app && (app.promoted_from !== source.uuid || app.target !== to))
      throw conflict(
        `The app ${name} already exists and is not the copy of ${source.id} on ${to}; rename or destroy it first.`,
      );
    return { name, app };
  }

  /**
   * Promotes release `version` (default: the current one) of `source` to the target `to`; the
   * answer comes once the copy serves it (a failed rollout marks that release failed and throws).
   */
  async promote(user: UserRow, source: AppRow, to: string, version?: number): Promise<PromotionResult> {
    if (!this.apps.mayChange(user, source)) throw forbidden();
    if (!this.targets.exists(to))
      throw invalid('to', `There is no target named ${to}; see deis targets for the ones there are.`);
    if (to === source.target)
      throw invalid('to', `${source.id} runs on ${to} already; promote it to another target.`);
    const release =
      version === undefined ? this.releases.current(source) : this.releases.get(source, version);
    if (release.failed) throw badRequest(`v${release.version} failed; promote a release that ran.`);
    if (!release.build_uuid)
      throw badRequest(`v${release.version} has no build to promote; push the app first.`);
    const build = this.builds.get(source, release.build_uuid);
    const local = build.image_id || build.image;
    const { name } = this.copyOf(source, to);

    // The image by digest in the destination's registry (a cluster); `local` runs the image ID
    // itself, and so does a cluster whose nodes get images loaded (kind): its target loads that ID
    // on deploy and names it by the ID there.
    let image = local;
    const added = to === LOCAL_TARGET ? undefined : this.targets.settingsOf(to);
    if (added && (added.delivery?.kind ?? 'registry') === 'registry')
      image = await pushImage(
        this.docker(),
        local,
        added.registry,
        repositoryFor(added.registry, name),
        `v${release.version}`,
      );

    const owner = this.users.get(source.owner);
    const cut = this.store.tx(() => {
      let copy = this.copyOf(source, to).app;
      if (!copy) {
        copy = this.apps.create(owner, name, { name: to, exists: (t) => this.targets.exists(t) });
        const db = this.store.db;
        db.prepare('UPDATE apps SET promoted_from = ?, structure = ? WHERE uuid = ?').run(
          source.uuid,
          source.structure,
          copy.uuid,
        );
        db.prepare(
          'INSERT INTO app_perms (app_uuid, user_id, created) SELECT ?, user_id, ? FROM app_perms WHERE app_uuid = ?',
        ).run(copy.uuid, timestamp(), source.uuid);
        copy = this.apps.find(name)!;
      }
      const config = copyRow(this.store, 'configs', release.config_uuid, copy, user);
      const buildId = copyRow(this.store, 'builds', build.uuid, copy, user, {
        image,
        image_id: build.image_id,
      });
      const promoted = this.releases.insert(copy, user, {
        config,
        build: buildId,
        summary: `${user.username} promoted v${release.version} from ${source.target}`,
      });
      return { copy, promoted };
    });
    await this.releases.announce({ app: cut.copy, release: cut.promoted, cause: 'build' });
    return { app: cut.copy, release: cut.promoted, from: release.version, image };
  }
}

/**
 * Copies one row of `table` (a config or a build) to the app `to`, every column as it is but its
 * identity, app, owner and times (and `override`); returns the new row's uuid. Copying columns by
 * name keeps a promotion whole when a later migration adds one.
 */
function copyRow(
  store: Store,
  table: 'configs' | 'builds',
  from: string,
  to: AppRow,
  owner: UserRow,
  override: Record<string, string> = {},
): string {
  const columns = (store.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[])
    .map((c) => c.name)
    .filter(
      (c) => !['uuid', 'app_uuid', 'owner_id', 'created', 'updated', ...Object.keys(override)].includes(c),
    );
  const id = uuid();
  const now = timestamp();
  const quoted = columns.map((c) => `"${c}"`).join(', ');
  const extra = Object.keys(override);
  store.db
    .prepare(
      `INSERT INTO ${table} (uuid, app_uuid, owner_id, created, updated${columns.length ? `, ${quoted}` : ''}${extra.map((c) => `, "${c}"`).join('')})
       SELECT ?, ?, ?, ?, ?${columns.length ? `, ${quoted}` : ''}${extra.map(() => ', ?').join('')} FROM ${table} WHERE uuid = ?`,
    )
    .run(id, to.uuid, owner.id, now, now, ...extra.map((c) => override[c]), from);
  return id;
}
