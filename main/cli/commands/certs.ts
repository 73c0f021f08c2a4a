/** certs:* — TLS certificates and the domains they serve. */
import fs from 'node:fs';
import path from 'node:path';
import type { Certificate } from '../../contract/objects';
import { LIMIT_OPTION, type Command, type Topic } from '../command';
import { CliError } from '../errors';
import { renderTable } from '../table';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's "2 Jan 2006" layout; `unknown` when the server gave no date. */
export function shortDate(value: string | null | undefined): string {
  const d = value ? new Date(value) : undefined;
  if (!d || Number.isNaN(d.getTime())) return 'unknown';
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** `14 Jan 2027 (in 1 year)`, `… (expired)`: the rough countdown Deis printed. */
export function expiry(value: string | null | undefined, now: Date): string {
  const d = value ? new Date(value) : undefined;
  if (!d || Number.isNaN(d.getTime())) return 'unknown';
  let text = shortDate(value);
  if (d < now) return `${text} (expired)`;
  const years = d.getUTCFullYear() - now.getUTCFullYear();
  const months = d.getUTCMonth() - now.getUTCMonth();
  const days = d.getUTCDate() - now.getUTCDate();
  text += ' (in';
  if (years > 0) text += ` ${years} year${years > 1 ? 's' : ''}`;
  else if (months > 0) text += ` ${months} month${months > 1 ? 's' : ''}`;
  else if (days !== 0) text += ` ${days} day${days > 1 ? 's' : ''}`;
  return `${text})`;
}

const list: Command = {
  name: 'certs:list',
  summary: 'list SSL certificates for an app',
  description: 'Show certificate information for an SSL application.',
  options: [LIMIT_OPTION],
  async run(ctx, input) {
    const page = await ctx.client().list<Certificate>('/v2/certs/', ctx.limit(input));
    if (page.results.length === 0) {
      ctx.out.println('No certs');
      return;
    }
    const now = new Date();
    const rows = page.results.map((c) => {
      const fp =
        c.fingerprint.length > 4
          ? `${c.fingerprint.slice(0, 5)}[...]${c.fingerprint.slice(-5)}`
          : c.fingerprint;
      return [
        c.name,
        c.common_name,
        (c.san ?? []).join(','),
        expiry(c.expires, now),
        fp,
        (c.domains ?? []).join(','),
        shortDate(c.updated),
        shortDate(c.created),
      ];
    });
    const header = [
      'Name',
      'Common Name',
      'SubjectAltName',
      'Expires',
      'Fingerprint',
      'Domains',
      'Updated',
      'Created',
    ];
    ctx.out.print(renderTable(header, rows));
  },
};

function readFile(ctx: { cwd: string }, file: string): string {
  try {
    return fs.readFileSync(path.resolve(ctx.cwd, file), 'utf8');
  } catch {
    throw new CliError(`open ${file}: no such file or directory`);
  }
}

const add: Command = {
  name: 'certs:add',
  summary: 'add an SSL certificate to an app',
  description: 'Binds a certificate/key pair to an application.',
  args: [
    { name: 'name', help: 'Name of the certificate to reference it by.' },
    { name: 'cert', help: 'The public key of the SSL certificate.' },
    { name: 'key', help: 'The private key of the SSL certificate.' },
  ],
  async run(ctx, input) {
    const client = ctx.client();
    const certificate = readFile(ctx, input.arg('cert')!);
    const key = readFile(ctx, input.arg('key')!);
    ctx.out.print('Adding SSL endpoint... ');
    await ctx.out.progress(client.post('/v2/certs/', { name: input.arg('name'), certificate, key }));
    ctx.out.println('done');
  },
};

const remove: Command = {
  name: 'certs:remove',
  summary: 'remove an SSL certificate from an app',
  description: 'removes a certificate/key pair from the application.',
  args: [{ name: 'name', help: 'the name of the cert to remove from the app.' }],
  async run(ctx, input) {
    const name = input.arg('name')!;
    ctx.out.print(`Removing ${name}... `);
    await ctx.out.progress(ctx.client().delete(`/v2/certs/${encodeURIComponent(name)}`));
    ctx.out.println('done');
  },
};

const info: Command = {
  name: 'certs:info',
  summary: 'get detailed informaton about the certificate',
  description: 'fetch more detailed information about a certificate',
  args: [{ name: 'name', help: 'the name of the cert to get information from' }],
  async run(ctx, input) {
    const c = await ctx.client().get<Certificate>(`/v2/certs/${encodeURIComponent(input.arg('name')!)}`);
    const out = ctx.out;
    out.print(`=== ${c.name} Certificate\n`);
    out.println('Common Name(s):    ', c.common_name);
    out.println('Expires At:        ', shortDate(c.expires));
    out.println('Starts At:         ', shortDate(c.starts));
    out.println('Fingerprint:       ', c.fingerprint);
    out.println('Subject Alt Name:  ', (c.san ?? []).join(',') || 'N/A');
    out.println('Issuer:            ', c.issuer);
    out.println('Subject:           ', c.subject);
    out.println();
    out.println('Connected Domains: ', (c.domains ?? []).join(',') || 'No connected domains');
    out.println('Owner:             ', c.owner);
    out.println('Created:           ', shortDate(c.created));
    out.println('Updated:           ', shortDate(c.updated));
  },
};

const attach: Command = {
  name: 'certs:attach',
  summary: 'attach an SSL certificate to a domain',
  description: 'attach a certificate to a domain.',
  args: [
    { name: 'name', help: 'name of the certificate to attach domain to' },
    { name: 'domain', help: 'common name of the domain to attach to (needs to already be in the system)' },
  ],
  async run(ctx, input) {
    const name = input.arg('name')!;
    const domain = input.arg('domain')!;
    ctx.out.print(`Attaching certificate ${name} to domain ${domain}... `);
    await ctx.out.progress(ctx.client().post(`/v2/certs/${encodeURIComponent(name)}/domain/`, { domain }));
    ctx.out.println('done');
  },
};

const detach: Command = {
  name: 'certs:detach',
  summary: 'detach an SSL certificate from a domain',
  description: 'detach a certificate from a domain.',
  args: [
    { name: 'name', help: 'name of the certificate to deatch from a domain' },
    { name: 'domain', help: 'common name of the domain to detach from' },
  ],
  async run(ctx, input) {
    const name = input.arg('name')!;
    const domain = input.arg('domain')!;
    ctx.out.print(`Detaching certificate ${name} from domain ${domain}... `);
    await ctx.out.progress(
      ctx.client().delete(`/v2/certs/${encodeURIComponent(name)}/domain/${encodeURIComponent(domain)}`),
    );
    ctx.out.println('done');
  },
};

export const certsTopic: Topic = {
  name: 'certs',
  summary: 'manage SSL endpoints for an app',
  commands: [list, add, remove, info, attach, detach],
  defaultCommand: 'certs:list',
};
