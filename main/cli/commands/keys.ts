/** keys:* — the SSH public keys that may `git push` as the logged-in user. */
import fs from 'node:fs';
import path from 'node:path';
import type { Key } from '../../contract/objects';
import { LIMIT_OPTION, type Command, type Topic } from '../command';
import type { Context } from '../context';
import { CliError } from '../errors';
import { limitCount, tabwrite } from '../output';
import { homeDir } from '../settings';

export interface PublicKey {
  /** The key's name: its comment, else the file name up to the first dot. */
  id: string;
  /** The key line as the controller stores it (`type base64 [comment]`). */
  public: string;
  file: string;
}

const KEY_TYPE =
  /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

export function parsePublicKey(file: string, contents: string): PublicKey {
  const line =
    contents
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  const fields = line.split(/\s+/);
  const [type, data] = fields;
  if (!type || !data || !KEY_TYPE.test(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(data))
    throw new CliError(`${file} is not a valid ssh key`);
  const id = fields.length > 2 ? fields.slice(2).join(' ') : path.basename(file).split('.')[0]!;
  return { id, public: line, file };
}

function readKey(file: string): PublicKey {
  let contents: string;
  try {
    contents = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(
      `open ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
    );
  }
  return parsePublicKey(file, contents);
}

/** `~/.ssh/*.pub`, in name order; unreadable or invalid ones are reported and skipped. */
function localKeys(ctx: Context): PublicKey[] {
  const folder = path.join(homeDir(ctx.env), '.ssh');
  let names: string[];
  try {
    names = fs.readdirSync(folder).sort();
  } catch {
    throw new CliError(`open ${folder}: no such file or directory`);
  }
  const keys: PublicKey[] = [];
  for (const name of names.filter((n) => path.extname(n) === '.pub')) {
    try {
      keys.push(readKey(path.join(folder, name)));
    } catch (err) {
      ctx.out.println((err as Error).message);
    }
  }
  return keys;
}

async function chooseKey(ctx: Context, keys: PublicKey[]): Promise<PublicKey> {
  ctx.out.println('Found the following SSH public keys:');
  keys.forEach((k, i) => ctx.out.print(`${i + 1}) ${path.basename(k.file)} ${k.id}\n`));
  ctx.out.println('0) Enter path to pubfile (or use keys:add <key_path>)');
  const selected = (await ctx.prompt.ask('Which would you like to use with Deis? ')).trim();
  if (!/^[-+]?\d+$/.test(selected)) throw new CliError(`${selected} is not a valid integer`);
  const n = Number.parseInt(selected, 10);
  if (n < 0 || n > keys.length) throw new CliError(`${n} is not a valid option`);
  if (n > 0) return keys[n - 1]!;
  return readKey((await ctx.prompt.ask('Enter the path to the pubkey file: ')).trim());
}

const list: Command = {
  name: 'keys:list',
  summary: 'list SSH keys for the logged in user',
  description: 'Lists SSH keys for the logged in user.',
  options: [LIMIT_OPTION],
  async run(ctx, input) {
    const limit = ctx.limit(input);
    const page = await ctx.client().list<Key>('/v2/keys/', limit);
    ctx.out.print(`=== ${ctx.settings().username} Keys${limitCount(page.results.length, page.count)}`);
    ctx.out.print(
      tabwrite(page.results.map((k) => [k.id, `${k.public.slice(0, 16)}...${k.public.slice(-10)}`])),
    );
  },
};

const add: Command = {
  name: 'keys:add',
  summary: 'add an SSH key',
  description:
    'Adds SSH keys for the logged in user.\n\n<name> and <key> can be used in either order and are both optional',
  args: [
    { name: 'name', optional: true, help: 'name of the SSH key' },
    {
      name: 'key',
      optional: true,
      help: 'a local file path to an SSH public key used to push application code.',
    },
  ],
  async run(ctx, input) {
    const client = ctx.client();
    let name = input.arg('name');
    let location = input.arg('key');
    // `keys:add ~/.ssh/id.pub`: a lone argument naming a file is the key, not its name.
    if (name && !location && fs.existsSync(path.resolve(ctx.cwd, name))) {
      location = name;
      name = undefined;
    }
    const key = location ? readKey(path.resolve(ctx.cwd, location)) : await chooseKey(ctx, localKeys(ctx));
    ctx.out.print(`Uploading ${path.basename(key.file)} to deis...`);
    try {
      await client.post<Key>('/v2/keys/', { id: name || key.id, public: key.public });
    } catch (err) {
      ctx.out.println();
      throw err;
    }
    ctx.out.println(' done');
  },
};

const remove: Command = {
  name: 'keys:remove',
  summary: 'remove an SSH key',
  description: 'Removes an SSH key for the logged in user.',
  args: [{ name: 'key', help: 'the SSH public key to revoke source code push access.' }],
  async run(ctx, input) {
    const id = input.arg('key')!;
    ctx.out.print(`Removing ${id} SSH Key...`);
    try {
      await ctx.client().delete(`/v2/keys/${encodeURIComponent(id)}`);
    } catch (err) {
      ctx.out.println();
      throw err;
    }
    ctx.out.println(' done');
  },
};

export const keysTopic: Topic = {
  name: 'keys',
  summary: "manage ssh keys used for 'git push' deployments",
  commands: [list, add, remove],
  defaultCommand: 'keys:list',
};
