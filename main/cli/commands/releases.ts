/** releases:* — an app's numbered releases: history, details, rollback (`deis rollback`). */
import type { Release } from '../../contract/objects';
import { APP_OPTION, LIMIT_OPTION, type Command, type Topic } from '../command';
import { CliError } from '../errors';
import { limitCount, tabwrite } from '../output';

/** `v3` or `3` → 3. */
export function parseVersion(raw: string): number {
  const digits = raw.startsWith('v') ? raw.slice(1) : raw;
  if (raw === 'v') throw new CliError(`${raw} is not in the form 'v#'`);
  if (!/^[-+]?\d+$/.test(digits)) throw new CliError(`strconv.Atoi: parsing "${digits}": invalid syntax`);
  return Number.parseInt(digits, 10);
}

const list: Command = {
  name: 'releases:list',
  summary: "list an application's release history",
  description: 'Lists release history for an application.',
  options: [APP_OPTION, LIMIT_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const page = await ctx.client().list<Release>(`/v2/apps/${app}/releases/`, ctx.limit(input));
    ctx.out.print(`=== ${app} Releases${limitCount(page.results.length, page.count)}`);
    ctx.out.print(
      tabwrite(
        page.results.map((r) => [`v${r.version}`, r.created, r.summary]),
        '\t',
      ),
    );
  },
};

const info: Command = {
  name: 'releases:info',
  summary: 'print information about a specific release',
  description: 'Prints info about a particular release.',
  args: [{ name: 'version', help: "the release of the application, such as 'v1'." }],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const version = parseVersion(input.arg('version')!);
    const r = await ctx.client().get<Release>(`/v2/apps/${app}/releases/v${version}/`);
    ctx.out.print(`=== ${app} Release v${version}\n`);
    if (r.build) ctx.out.println('build:   ', r.build);
    ctx.out.println('config:  ', r.config);
    ctx.out.println('owner:   ', r.owner);
    ctx.out.println('created: ', r.created);
    ctx.out.println('summary: ', r.summary);
    ctx.out.println('updated: ', r.updated);
    ctx.out.println('uuid:    ', r.uuid);
  },
};

const rollback: Command = {
  name: 'releases:rollback',
  summary: 'return to a previous release',
  description: 'Rolls back to a previous application release.',
  args: [{ name: 'version', optional: true, help: "the release of the application, such as 'v1'." }],
  options: [{ ...APP_OPTION, help: 'the uniquely identifiable name of the application.' }],
  async run(ctx, input) {
    const app = ctx.app(input);
    const raw = input.arg('version');
    const version = raw === undefined ? undefined : parseVersion(raw);
    ctx.out.print(version === undefined ? 'Rolling back one release... ' : `Rolling back to v${version}... `);
    const res = await ctx.out.progress(
      ctx
        .client()
        .post<{ version: number }>(
          `/v2/apps/${app}/releases/rollback/`,
          version === undefined ? {} : { version },
        ),
    );
    ctx.out.print(`done, v${res.version}\n`);
  },
};

export const releasesTopic: Topic = {
  name: 'releases',
  summary: 'manage releases of an application',
  commands: [list, info, rollback],
  defaultCommand: 'releases:list',
};
