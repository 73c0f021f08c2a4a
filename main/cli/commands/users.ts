/** users:list — every account on the controller (admins only), admins marked with `*`. */
import type { User } from '../../contract/objects';
import { LIMIT_OPTION, type Command, type Topic } from '../command';
import { limitCount } from '../output';

const list: Command = {
  name: 'users:list',
  summary: 'list all registered users',
  description: 'Lists all registered users.\nRequires admin privilages.',
  options: [LIMIT_OPTION],
  async run(ctx, input) {
    const limit = ctx.limit(input);
    const page = await ctx.client().list<User>('/v2/users/', limit);
    ctx.out.print(`=== Users (*=admin)${limitCount(page.results.length, page.count)}`);
    for (const u of page.results) ctx.out.print(`${u.is_superuser ? '*' : ''}${u.username}\n`);
  },
};

export const usersTopic: Topic = {
  name: 'users',
  summary: 'manage users',
  commands: [list],
  defaultCommand: 'users:list',
};
