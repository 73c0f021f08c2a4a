/**
 * activity — a Deis Desktop extension: who changed what in an app and when (builds, releases, config
 * keys, scale, restarts, rollbacks, domains, settings), failures with their reason; newest first.
 * `--all` shows every app the user may read.
 */
import type { ActivityEntry } from '../../contract/activity';
import { APP_OPTION, LIMIT_OPTION, type Command, type Topic } from '../command';
import { CliError } from '../errors';
import { renderTable } from '../table';

export function formatActivity(title: string, entries: ActivityEntry[], withApp: boolean): string {
  let text = `=== ${title}\n`;
  if (entries.length === 0) return `${text}No activity yet.\n`;
  const header = ['WHEN', 'USER', ...(withApp ? ['APP'] : []), 'ACTION', 'WHAT'];
  const rows = entries.map((e) => [
    e.created,
    e.user,
    ...(withApp ? [e.app] : []),
    e.action,
    e.ok ? e.summary : `FAILED: ${e.summary}: ${e.reason.split('\n')[0]}`,
  ]);
  text += renderTable(header, rows);
  return text;
}

const show: Command = {
  name: 'activity:list',
  summary: 'list who changed what in an app, and what failed',
  description:
    'Lists the changes made to an application, newest first: builds, releases, config changes\n(keys only), scaling, restarts, rollbacks, domains and settings, and failures with their reason.',
  options: [APP_OPTION, { long: 'all', help: 'every app you may read, not one.' }, LIMIT_OPTION],
  async run(ctx, input) {
    const raw = input.opt('limit');
    if (raw !== undefined && !/^[0-9]+$/.test(raw))
      throw new CliError(`The limit must be a whole number, not "${raw}".`);
    const query = raw === undefined ? '' : `?limit=${raw}`;
    if (input.flag('all')) {
      const page = await ctx.client().get<{ results: ActivityEntry[] }>(`/v2/desktop/activity/${query}`);
      ctx.out.print(formatActivity('Activity', page.results, true));
      return;
    }
    const app = ctx.app(input);
    const page = await ctx.client().get<{ results: ActivityEntry[] }>(`/v2/apps/${app}/activity/${query}`);
    ctx.out.print(formatActivity(`${app} Activity`, page.results, false));
  },
};

export const activityTopic: Topic = {
  name: 'activity',
  summary: 'view who changed what in an app',
  commands: [show],
  defaultCommand: 'activity:list',
};
