/**
 * services:* — backing services (a Deis Desktop extension): databases and caches provisioned on the
 * app's target and attached to apps through an environment variable. (Hephy's `services:add/list/
 * remove` managed process-type routes; this CLI does not implement those.)
 */
import fs from 'node:fs';
import nodePath from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Service, ServiceStats } from '../../contract/services';
import { SERVICE_LOG_LINES_DEFAULT, SERVICE_LOG_LINES_MAX } from '../../contract/limits';
import { FileBody } from '../client';
import type { TaskWithLog } from '../../contract/tasks';
import { APP_OPTION, LIMIT_OPTION, type Command, type Topic } from '../command';
import type { Context } from '../context';
import { CliError } from '../errors';
import { renderTable } from '../table';

const path = (name: string) => `/v2/services/${encodeURIComponent(name)}/`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const list: Command = {
  name: 'services:list',
  summary: 'list backing services',
  description: 'Lists your backing services, their state and the apps they are attached to.',
  options: [LIMIT_OPTION],
  async run(ctx, input) {
    const page = await ctx.client().list<Service>('/v2/services/', ctx.limit(input));
    if (page.results.length === 0) {
      ctx.out.println('No services; create one with deis services:create postgres');
      return;
    }
    const rows = page.results.map((s) => [
      s.name,
      `${s.kind} ${s.version}`,
      s.state,
      s.apps.map((a) => `${a.app} (${a.var})`).join(', '),
      s.target,
    ]);
    ctx.out.print(renderTable(['Name', 'Kind', 'State', 'Attached to', 'Target'], rows));
  },
};

/** Shows the provisioning task's steps as they start, until the service is ready or failed. */
async function follow(ctx: Context, service: Service): Promise<Service> {
  const client = ctx.client();
  let shown = 0;
  let current = service;
  for (;;) {
    if (current.task) {
      const task = await client.get<TaskWithLog>(`/v2/desktop/tasks/${current.task}/`);
      for (const step of task.steps.slice(shown)) ctx.out.println(`-----> ${step.name}`);
      shown = task.steps.length;
    }
    if (current.state !== 'provisioning') return current;
    await sleep(1000);
    current = await client.get<Service>(path(service.name));
  }
}

const create: Command = {
  name: 'services:create',
  summary: 'provision a backing service',
  description:
    'Provisions a backing service (postgres, redis, memcached, ...) and waits until it accepts\nconnections. The first service of a kind may take minutes: its image is pulled or built.\nIt lives on one target (local by default): only apps on that target can be attached to it.',
  args: [{ name: 'kind', help: 'the kind of service: postgres, redis, memcached, ...' }],
  options: [
    { long: 'name', short: 'n', value: '<name>', help: 'the name of the service (a random one by default).' },
    {
      long: 'version',
      value: '<version>',
      help: "the version, one of the catalog's (its first by default).",
    },
    {
      long: 'target',
      value: '<target>',
      help: 'where it runs: local (the default) or a target of deis targets, the one of the apps it serves.',
    },
  ],
  async run(ctx, input) {
    const body: Record<string, string> = { kind: input.arg('kind')! };
    if (input.opt('name')) body.name = input.opt('name')!;
    if (input.opt('version')) body.version = input.opt('version')!;
    if (input.opt('target')) body.target = input.opt('target')!;
    const created = await ctx.client().post<Service>('/v2/services/', body);
    ctx.out.println(
      `Creating ${created.name} (${created.kind} ${created.version})${created.target && created.target !== 'local' ? ` on ${created.target}` : ''}...`,
    );
    const done = await follow(ctx, created);
    if (done.state === 'failed') throw new CliError(`${done.name} failed: ${done.error ?? 'unknown error'}`);
    ctx.out.println(`${done.name} is ready; attach it with deis services:attach ${done.name} -a <app>`);
  },
};

const info: Command = {
  name: 'services:info',
  summary: 'view a backing service',
  description: 'Shows a backing service: its kind, image, state and attachments (never its credentials).',
  args: [{ name: 'service', help: 'the name of the service.' }],
  async run(ctx, input) {
    const s = await ctx.client().get<Service>(path(input.arg('service')!));
    const stats =
      s.state === 'ready' ? await ctx.client().get<ServiceStats>(`${path(s.name)}stats/`) : undefined;
    ctx.out.println(`=== ${s.name}`);
    ctx.out.println(`kind:     ${s.kind} ${s.version}`);
    ctx.out.println(`target:   ${s.target}`);
    ctx.out.println(`image:    ${s.image || '(not yet)'}`);
    ctx.out.println(`state:    ${s.state}${s.error ? ` (${s.error})` : ''}`);
    if (stats) {
      ctx.out.println(`size:     ${stats.size === null ? '(unknown)' : formatBytes(stats.size)}`);
      ctx.out.println(`clients:  ${stats.connections === null ? '(unknown)' : stats.connections}`);
    }
    ctx.out.println(`owner:    ${s.owner}`);
    ctx.out.println(`created:  ${s.created}`);
    ctx.out.println('');
    ctx.out.println(`=== ${s.name} Attachments`);
    for (const a of s.apps) ctx.out.println(`${a.app} ${a.var}`);
  },
};

/** 1536 → "1.5 KiB": sizes as a person reads them. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[i]}`;
}

const logs: Command = {
  name: 'services:logs',
  summary: "view a backing service's log",
  description: "Prints the last lines the service's container wrote (its server's own log).",
  args: [{ name: 'service', help: 'the name of the service.' }],
  options: [
    {
      long: 'lines',
      short: 'n',
      value: '<n>',
      help: `the number of lines to show (${SERVICE_LOG_LINES_DEFAULT} by default, ${SERVICE_LOG_LINES_MAX} at most).`,
    },
  ],
  async run(ctx, input) {
    const n = input.opt('lines');
    const query = n === undefined ? '' : `?lines=${encodeURIComponent(n)}`;
    const r = await ctx.client().get<{ lines: string[] }>(`${path(input.arg('service')!)}logs/${query}`);
    for (const line of r.lines) ctx.out.println(line);
  },
};

const promote: Command = {
  name: 'services:promote',
  summary: "make a backing service the app's main one of its kind",
  description:
    "Gives the service, attached under an alias, the kind's main variable (DATABASE_URL, REDIS_URL,\n...); the service that had it keeps its attachment under its own alias. Deploys one new release.",
  args: [{ name: 'service', help: 'the name of the service.' }],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const service = input.arg('service')!;
    ctx.out.print(`Promoting ${service} on ${app}... `);
    const r = await ctx.out.progress(
      ctx.client().post<{ var: string; release: number }>(`${path(service)}promote/`, { app }),
    );
    ctx.out.println('done');
    ctx.out.println(`${service} is now ${r.var} on ${app}, v${r.release}`);
  },
};

const connect: Command = {
  name: 'services:connect',
  summary: 'forward a local port to a backing service',
  description:
    "Listens on 127.0.0.1 and carries each connection to the service through Deis Desktop (nothing is\npublished on the host's network), and prints the URL a desktop tool (psql, TablePlus, redis-cli)\nconnects with. Runs until Ctrl-C.",
  args: [{ name: 'service', help: 'the name of the service.' }],
  options: [
    {
      long: 'port',
      short: 'p',
      value: '<port>',
      help: 'the local port on 127.0.0.1 (a free one by default).',
    },
  ],
  async run(ctx, input) {
    const service = input.arg('service')!;
    const text = input.opt('port');
    if (text !== undefined && !/^\d{1,5}$/.test(text))
      throw new CliError('--port must be a whole number from 1024 to 65535.');
    const client = ctx.client();
    const f = await client.post<{ id: string; port: number; url: string; lease_ms: number }>(
      `${path(service)}connect/`,
      text === undefined ? {} : { port: Number(text) },
    );
    ctx.out.println(`Forwarding 127.0.0.1:${f.port} to ${service}; press Ctrl-C to stop.`);
    ctx.out.println(f.url);
    const forward = `${path(service)}connect/${f.id}/`;
    await new Promise<void>((resolve, reject) => {
      // Renewed three times per lease: a CLI that is killed leaves no port open for long.
      const timer = setInterval(() => {
        client.post(forward).catch((err: unknown) => {
          finish();
          reject(err instanceof Error ? err : new Error(String(err)));
        });
      }, f.lease_ms / 3);
      const finish = () => {
        clearInterval(timer);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      };
      const stop = () => {
        finish();
        client.delete(forward).then(resolve, () => resolve());
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    ctx.out.println(`Stopped forwarding to ${service}.`);
  },
};

const attach: Command = {
  name: 'services:attach',
  summary: 'attach a backing service to an app',
  description:
    "Sets the service's URL on the app (DATABASE_URL, REDIS_URL, ...; an alias when that one is\ntaken) and deploys a new release.",
  args: [{ name: 'service', help: 'the name of the service.' }],
  options: [APP_OPTION, { long: 'as', value: '<var>', help: 'the environment variable to set.' }],
  async run(ctx, input) {
    const app = ctx.app(input);
    const service = input.arg('service')!;
    const body: Record<string, string> = { app };
    if (input.opt('as')) body.as = input.opt('as')!;
    ctx.out.print(`Attaching ${service} to ${app}... `);
    const r = await ctx.out.progress(
      ctx.client().post<{ var: string; release: number }>(`${path(service)}apps/`, body),
    );
    ctx.out.println('done');
    ctx.out.println(`${service} attached as ${r.var}, v${r.release}`);
  },
};

const detach: Command = {
  name: 'services:detach',
  summary: 'detach a backing service from an app',
  description: "Removes the service's variable from the app and deploys a new release; the data stays.",
  args: [{ name: 'service', help: 'the name of the service.' }],
  options: [APP_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const service = input.arg('service')!;
    ctx.out.print(`Detaching ${service} from ${app}... `);
    await ctx.out.progress(ctx.client().delete(`${path(service)}apps/${encodeURIComponent(app)}/`));
    ctx.out.println('done');
  },
};

const destroy: Command = {
  name: 'services:destroy',
  summary: 'destroy a backing service and its data',
  description: 'Destroys a service that is attached to no app, and all its data.',
  args: [{ name: 'service', help: 'the name of the service.' }],
  options: [{ long: 'confirm', value: '<service>', help: 'the name of the service, typed again.' }],
  async run(ctx, input) {
    const service = input.arg('service')!;
    const confirm = input.opt('confirm');
    ctx.out.print(`Destroying ${service} and its data... `);
    await ctx.out.progress(ctx.client().delete(path(service), confirm ? { confirm } : {}));
    ctx.out.println('done');
  },
};

const backup: Command = {
  name: 'services:backup',
  summary: 'download a backup of a backing service',
  description: "Writes a backup of the service's data to a file (PostgreSQL: pg_dump -Fc; Redis: RDB).",
  args: [{ name: 'service', help: 'the name of the service.' }],
  options: [
    {
      long: 'output',
      short: 'o',
      value: '<file>',
      help: 'the file to write (named after the service by default).',
    },
  ],
  async run(ctx, input) {
    const service = input.arg('service')!;
    const res = await ctx.client().stream('GET', `${path(service)}backup/`);
    const named = /filename="([^"/\\]+)"/.exec(String(res.headers['content-disposition'] ?? ''))?.[1];
    const file = nodePath.resolve(ctx.cwd, input.opt('output') ?? named ?? `${service}.backup`);
    ctx.out.print(`Backing up ${service} to ${file}... `);
    // Written beside the file and renamed once whole: a file of that name is a complete backup.
    const partial = `${file}.partial`;
    try {
      await pipeline(res, fs.createWriteStream(partial, { mode: 0o600 }));
      fs.renameSync(partial, file);
    } catch (err) {
      fs.rmSync(partial, { force: true });
      throw new CliError(`The backup was cut short (${(err as Error).message}); try again.`);
    }
    ctx.out.println(`done, ${fs.statSync(file).size} bytes`);
  },
};

const restore: Command = {
  name: 'services:restore',
  summary: 'restore a backing service from a backup',
  description: "Replaces the service's data with a backup made by services:backup.",
  args: [
    { name: 'service', help: 'the name of the service.' },
    { name: 'file', help: 'the backup file.' },
  ],
  options: [{ long: 'confirm', value: '<service>', help: 'the name of the service, typed again.' }],
  async run(ctx, input) {
    const service = input.arg('service')!;
    const file = nodePath.resolve(ctx.cwd, input.arg('file')!);
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      throw new CliError(`open ${input.arg('file')}: no such file or directory`);
    }
    const confirm = encodeURIComponent(input.opt('confirm') ?? '');
    ctx.out.print(`Restoring ${service} from ${file}... `);
    await ctx.out.progress(
      ctx
        .client()
        .upload(`${path(service)}restore/?confirm=${confirm}`, new FileBody(size, fs.createReadStream(file))),
    );
    ctx.out.println('done');
  },
};

export const servicesTopic: Topic = {
  name: 'services',
  summary: 'manage backing services (databases, caches) attached to apps',
  commands: [list, create, info, attach, detach, promote, logs, connect, destroy, backup, restore],
  defaultCommand: 'services:list',
};
