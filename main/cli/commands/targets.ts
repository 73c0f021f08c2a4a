/**
 * targets:* — a Deis Desktop extension: where apps run. `local` (the engine the core uses) is always
 * there; an administrator adds Kubernetes clusters from a kubeconfig file with the registry their
 * images go to, tests them, and removes them once no app runs there. `deis promote` sends a release
 * of an app to another target.
 */
import nodePath from 'node:path';
import type { PromoteResult, TargetCheck, TargetInfo, TargetTestResult } from '../../contract/targets';
import { APP_OPTION, LIMIT_OPTION, type Command, type Topic } from '../command';
import type { Context } from '../context';
import { CliError } from '../errors';
import { renderTable } from '../table';

const path = (name: string) => `/v2/desktop/targets/${encodeURIComponent(name)}/`;

function printChecks(ctx: Context, checks: TargetCheck[]): void {
  for (const c of checks) ctx.out.println(`${c.ok ? 'ok    ' : 'FAILED'} ${c.message}`);
}

const list: Command = {
  name: 'targets:list',
  summary: 'list the targets apps run on',
  description:
    'Lists where apps can run: local (the engine Deis Desktop uses, the default) and the\nKubernetes clusters added with deis targets:add, with their state and version.',
  options: [LIMIT_OPTION],
  async run(ctx, input) {
    const page = await ctx.client().list<TargetInfo>('/v2/desktop/targets/', ctx.limit(input));
    const rows = page.results.map((t) => [
      t.default ? `${t.name} (default)` : t.name,
      t.kind,
      t.state,
      t.server_version,
      t.server,
      t.registry,
      String(t.apps),
    ]);
    ctx.out.print(renderTable(['Name', 'Kind', 'State', 'Version', 'Server', 'Registry', 'Apps'], rows));
    for (const t of page.results)
      if (t.state === 'unavailable' && t.message) ctx.out.println(`${t.name}: ${t.message}`);
  },
};

const add: Command = {
  name: 'targets:add',
  summary: 'add a Kubernetes cluster from a kubeconfig file',
  description:
    "Adds a Kubernetes cluster as a target. The chosen context of the kubeconfig is copied\ninto Deis Desktop's home (the file itself is only read), then checked: the API server\nanswers, namespaces may be created, and the registry takes the login and a push.\nA target that fails a check is not added.",
  args: [{ name: 'name', help: 'the name of the target (lower-case letters, digits and dashes).' }],
  options: [
    { long: 'kubeconfig', value: '<file>', help: 'the kubeconfig file of the cluster.' },
    { long: 'context', value: '<context>', help: "one of its contexts (default: the file's current one)." },
    {
      long: 'registry',
      value: '<host:port>',
      help: 'the registry images are pushed to for the cluster to pull (host:port[/prefix]).',
    },
    { long: 'registry-username', value: '<username>', help: 'the login for the registry, if it has one.' },
    { long: 'registry-password', value: '<password>', help: 'its password or token.' },
    {
      long: 'bastion',
      value: 'ssh://user@host[:port]',
      help: 'an SSH bastion through which the API server is reached (its host key must be known).',
    },
    {
      long: 'bastion-identity',
      value: '<key file>',
      help: 'the private key the bastion is logged in with (default: the SSH agent, ~/.ssh/id_*).',
    },
  ],
  async run(ctx, input) {
    const file = input.opt('kubeconfig');
    if (!file)
      throw new CliError(
        'Give the kubeconfig file of the cluster: deis targets:add <name> --kubeconfig=<file>',
      );
    const body: Record<string, string> = {
      name: input.arg('name')!,
      kubeconfig: nodePath.resolve(ctx.cwd, file),
    };
    const fields = [
      ['context', 'context'],
      ['registry', 'registry'],
      ['registry-username', 'registry_username'],
      ['registry-password', 'registry_password'],
    ] as const;
    for (const [option, field] of fields) {
      const value = input.opt(option);
      if (value) body[field] = value;
    }
    const bastion = input.opt('bastion');
    if (bastion) body.bastion = bastion;
    const identity = input.opt('bastion-identity');
    if (identity) body.bastion_identity = nodePath.resolve(ctx.cwd, identity);
    ctx.out.print(`Adding ${body.name} and checking it... `);
    const added = await ctx.out.progress(
      ctx.client().post<TargetInfo & { checks: TargetCheck[] }>('/v2/desktop/targets/', body),
    );
    ctx.out.println(
      `done, added ${added.name} (Kubernetes ${added.server_version} at ${added.server}${added.bastion ? ` through ${added.bastion}` : ''})`,
    );
    printChecks(ctx, added.checks);
    ctx.out.println(`Create an app on it with deis apps:create <app> --target=${added.name}`);
  },
};

const test: Command = {
  name: 'targets:test',
  summary: 'check that a target can be used',
  description:
    'Checks a target: its API server answers (and which version it is), namespaces may be\ncreated, and its registry takes the login and a push. Each check is one line.',
  args: [{ name: 'name', help: 'the name of the target.' }],
  async run(ctx, input) {
    const name = input.arg('name')!;
    ctx.out.print(`Testing ${name}... `);
    const r = await ctx.out.progress(ctx.client().post<TargetTestResult>(`${path(name)}test/`));
    ctx.out.println(r.ok ? 'done' : 'failed');
    printChecks(ctx, r.checks);
    if (!r.ok) throw new CliError(`${name} did not pass every check.`);
  },
};

const remove: Command = {
  name: 'targets:remove',
  summary: 'remove a target no app runs on',
  description: 'Removes a target. It is refused while apps run on it; local cannot be removed.',
  args: [{ name: 'name', help: 'the name of the target.' }],
  async run(ctx, input) {
    const name = input.arg('name')!;
    ctx.out.print(`Removing ${name}... `);
    await ctx.out.progress(ctx.client().delete(path(name)));
    ctx.out.println('done');
  },
};

export const targetsTopic: Topic = {
  name: 'targets',
  summary: 'manage the targets apps run on',
  commands: [list, add, test, remove],
  defaultCommand: 'targets:list',
};

const promote: Command = {
  name: 'promote',
  summary: 'deploy a release of an app to another target',
  description:
    "Deploys a release (the current one by default) to another target: its image is pushed\nby digest to the target's registry and the app's copy there, <app>-<target>, runs it\nwith the same config. The app itself keeps running where it is.",
  options: [
    APP_OPTION,
    { long: 'to', value: '<target>', help: 'the target to deploy to (see deis targets).' },
    { long: 'version', value: '<vN>', help: 'the release to promote (default: the current one).' },
  ],
  async run(ctx, input) {
    const to = input.opt('to');
    if (!to) throw new CliError('Give the target to promote to: deis promote -a <app> --to=<target>');
    const app = ctx.app(input);
    const version = input.opt('version');
    ctx.out.print(`Promoting ${app}${version ? ` ${version}` : ''} to ${to}... `);
    const r = await ctx.out.progress(
      ctx.client().post<PromoteResult>(`/v2/desktop/apps/${encodeURIComponent(app)}/promote/`, {
        to,
        ...(version ? { version } : {}),
      }),
    );
    ctx.out.println(`done, ${r.app} runs v${r.version} on ${r.target}`);
    ctx.out.println(`${r.summary}: ${r.image}`);
  },
};

export const promoteTopic: Topic = {
  name: 'promote',
  summary: 'deploy a release of an app to another target',
  commands: [promote],
};
