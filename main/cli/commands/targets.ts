/**
 * targets:* — a Deis Desktop extension: where apps run. `local` (the engine the core uses) is always
 * there; an administrator adds Kubernetes clusters from a kubeconfig file with the registry their
 * images go to, or Docker engines on other hosts over SSH, tests them, and removes them once no app
 * runs there. An unknown SSH host key is asked about on a terminal (and named as a flag to add
 * elsewhere). `deis promote` sends a release of an app to another target.
 */
import nodePath from 'node:path';
import type {
  PromoteResult,
  TargetCheck,
  TargetInfo,
  TargetPowerResult,
  TargetTestResult,
  UnknownHostKey,
} from '../../contract/targets';
import { APP_OPTION, LIMIT_OPTION, type Command, type Topic } from '../command';
import type { Context } from '../context';
import { ApiError, CliError } from '../errors';
import { renderTable } from '../table';

const path = (name: string) => `/v2/desktop/targets/${encodeURIComponent(name)}/`;

function printChecks(ctx: Context, checks: TargetCheck[]): void {
  for (const c of checks) ctx.out.println(`${c.ok ? 'ok    ' : 'FAILED'} ${c.message}`);
}

const list: Command = {
  name: 'targets:list',
  summary: 'list the targets apps run on',
  description:
    'Lists where apps can run: local (the engine Deis Desktop uses, the default), the\nKubernetes clusters and Docker hosts added with deis targets:add, with their state,\nversion and where their apps answer (Router).',
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
      t.router_url,
      t.router_https_url ?? '',
      String(t.apps),
    ]);
    ctx.out.print(
      renderTable(
        ['Name', 'Kind', 'State', 'Version', 'Server', 'Registry', 'Router', 'HTTPS', 'Apps'],
        rows,
      ),
    );
    for (const t of page.results)
      if (t.state === 'unavailable' && t.message) ctx.out.println(`${t.name}: ${t.message}`);
  },
};

/** The host key a 409 names, when it is one (an add that met an unknown SSH host key). */
function unknownHostKey(err: unknown): UnknownHostKey | undefined {
  if (!(err instanceof ApiError) || err.status !== 409) return undefined;
  try {
    const key = (JSON.parse(err.body) as { host_key?: UnknownHostKey }).host_key;
    if (
      key &&
      typeof key.host === 'string' &&
      typeof key.type === 'string' &&
      /^SHA256:/.test(key.fingerprint)
    )
      return key;
  } catch {
    // Not JSON: an ordinary conflict.
  }
  return undefined;
}

/**
 * Posts the add; an unknown host key is asked about on a terminal (`[y/N]`, then the add again
 * with exactly that fingerprint) and otherwise named as the flag to add. Never asked twice.
 */
async function addAsking(
  ctx: Context,
  body: Record<string, string | boolean>,
): Promise<TargetInfo & { checks: TargetCheck[]; steps?: string[] }> {
  const post = () =>
    ctx.out.progress(
      ctx
        .client()
        .post<TargetInfo & { checks: TargetCheck[]; steps?: string[] }>('/v2/desktop/targets/', body),
    );
  try {
    return await post();
  } catch (err) {
    const key = unknownHostKey(err);
    if (!key || body.trust_host_key) throw err;
    const flag = `--trust-host-key=${key.fingerprint}`;
    if (!process.stdin.isTTY || !ctx.out.isTTY) {
      ctx.out.println('');
      throw new CliError(
        `The host ${key.host} is not known: it presented the ${key.type} key ${key.fingerprint}. If that is its key (ask its owner, or run ssh-keygen -lf on its host key), run the command again with ${flag}`,
      );
    }
    ctx.out.println('');
    const answer = await ctx.prompt.ask(
      `The host ${key.host} presented the ${key.type} key ${key.fingerprint} — trust it? [y/N] `,
    );
    if (!/^y(es)?$/i.test(answer.trim()))
      throw new CliError(`${body.name} was not added: the host key of ${key.host} was not trusted.`);
    body.trust_host_key = key.fingerprint;
    ctx.out.print(`Adding ${body.name} and checking it... `);
    return post();
  }
}

const add: Command = {
  name: 'targets:add',
  summary: 'add a Kubernetes cluster or a Docker host over SSH',
  description:
    "Adds a local kind cluster (--kind=<cluster>, --create to create it) whose kubeconfig is kept\nin Deis Desktop's home and whose images are loaded into its nodes (kind load docker-image).\nOr adds a Kubernetes cluster as a target (--kubeconfig): the chosen context of the kubeconfig\nis copied into Deis Desktop's home (the file itself is only read), then checked: the API\nserver answers, namespaces may be created, and the registry takes the login and a push.\nOr adds a Docker engine on another host over SSH (--docker=ssh://user@host[:port]):\nits host key is known, the login works, the engine answers, and a network and a\ncontainer can be made there. A target that fails a check is not added. An unknown\nhost key is asked about on a terminal; elsewhere give --trust-host-key=SHA256:….",
  args: [{ name: 'name', help: 'the name of the target (lower-case letters, digits and dashes).' }],
  options: [
    {
      long: 'kind',
      value: '<cluster>',
      help: 'a local kind cluster (kind get clusters names them); its images are loaded with kind load.',
    },
    { long: 'create', help: 'create the kind cluster (with --kind) instead of using an existing one.' },
    {
      long: 'docker',
      value: 'ssh://user@host[:port]',
      help: 'a Docker engine on another host, reached over SSH (as docker -H ssh:// reaches it).',
    },
    {
      long: 'identity',
      value: '<key file>',
      help: 'the private key the Docker host is logged in with (default: the SSH agent, ~/.ssh/id_*).',
    },
    {
      long: 'trust-host-key',
      value: 'SHA256:…',
      help: 'trust the SSH host key with this fingerprint if the host (or bastion) presents exactly it.',
    },
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
    const trust = input.opt('trust-host-key');
    const cluster = input.opt('kind');
    if (cluster) {
      const body = {
        name: input.arg('name')!,
        kind: 'kind',
        cluster,
        ...(input.flag('create') ? { create: true } : {}),
        // kind's local registry (its documented recipe), when the cluster has one it does not advertise.
        ...(input.opt('registry') ? { registry: input.opt('registry')! } : {}),
        ...(input.opt('registry-username') ? { registry_username: input.opt('registry-username')! } : {}),
        ...(input.opt('registry-password') ? { registry_password: input.opt('registry-password')! } : {}),
      };
      ctx.out.print(`${body.create ? 'Creating' : 'Adding'} the kind cluster ${cluster} as ${body.name}... `);
      const added = await addAsking(ctx, body);
      ctx.out.println(
        `done, added ${added.name} (kind cluster ${added.cluster}, Kubernetes ${added.server_version} at ${added.server})`,
      );
      for (const step of added.steps ?? []) ctx.out.println(step);
      printChecks(ctx, added.checks);
      ctx.out.println(`Create an app on it with deis apps:create <app> --target=${added.name}`);
      return;
    }
    if (input.flag('create'))
      throw new CliError('--create creates a kind cluster: give its name with --kind=<cluster>.');
    const dockerHost = input.opt('docker');
    if (dockerHost) {
      const body: Record<string, string> = { name: input.arg('name')!, kind: 'docker', docker: dockerHost };
      const key = input.opt('identity');
      if (key) body.identity = nodePath.resolve(ctx.cwd, key);
      if (trust) body.trust_host_key = trust;
      ctx.out.print(`Adding ${body.name} and checking it... `);
      const added = await addAsking(ctx, body);
      ctx.out.println(`done, added ${added.name} (Docker ${added.server_version} at ${added.server})`);
      printChecks(ctx, added.checks);
      ctx.out.println(`Create an app on it with deis apps:create <app> --target=${added.name}`);
      return;
    }
    const file = input.opt('kubeconfig');
    if (!file)
      throw new CliError(
        'Give the kubeconfig file of the cluster (deis targets:add <name> --kubeconfig=<file>) or a Docker host (--docker=ssh://user@host[:port]).',
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
    if (trust) body.trust_host_key = trust;
    ctx.out.print(`Adding ${body.name} and checking it... `);
    const added = await addAsking(ctx, body);
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
    'Checks a target: its API server answers (and which version it is), namespaces may be\ncreated, and its registry takes the login and a push; for a Docker host, its host key,\nthe login, the engine, and a network and a container. Each check is one line.',
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
  description:
    "Removes a target. It is refused while apps run on it; local cannot be removed. A kind\ntarget's cluster is kept unless --delete-cluster is given, and then only once the\ntarget's name is typed (or given as --confirm=<name>).",
  args: [{ name: 'name', help: 'the name of the target.' }],
  options: [
    { long: 'delete-cluster', help: "also delete a kind target's cluster (kind delete cluster)." },
    { long: 'confirm', value: '<name>', help: 'skips the prompt for the target name with --delete-cluster.' },
  ],
  async run(ctx, input) {
    const name = input.arg('name')!;
    if (!input.flag('delete-cluster')) {
      ctx.out.print(`Removing ${name}... `);
      await ctx.out.progress(ctx.client().delete(path(name)));
      ctx.out.println('done');
      return;
    }
    let confirm = input.opt('confirm');
    if (!confirm)
      confirm = await ctx.prompt.ask(
        ` !    WARNING: Potentially Destructive Action\n` +
          ` !    This command will delete the kind cluster of the target ${name}, and everything in it.\n` +
          ` !    To proceed, type "${name}" or re-run this command with --confirm=${name}\n\n> `,
      );
    if (confirm !== name) throw new CliError(`Target ${name} does not match confirm ${confirm}, aborting.`);
    ctx.out.print(`Deleting the kind cluster of ${name} and removing it... `);
    await ctx.out.progress(ctx.client().delete(path(name), { delete_cluster: true, confirm }));
    ctx.out.println('done');
  },
};

/** targets:start and targets:stop: a kind target's node containers. */
function power(action: 'start' | 'stop'): Command {
  return {
    name: `targets:${action}`,
    summary: `${action} a kind target's cluster`,
    description: `${action === 'start' ? 'Starts' : 'Stops'} the node containers of a kind target's cluster (docker ${action}); nothing\nin it is deleted. Each step is one line with its time.`,
    args: [{ name: 'name', help: 'the name of the kind target.' }],
    async run(ctx, input) {
      const name = input.arg('name')!;
      ctx.out.print(`${action === 'start' ? 'Starting' : 'Stopping'} ${name}... `);
      const r = await ctx.out.progress(ctx.client().post<TargetPowerResult>(`${path(name)}${action}/`));
      ctx.out.println('done');
      for (const step of r.steps) ctx.out.println(step);
    },
  };
}

export const targetsTopic: Topic = {
  name: 'targets',
  summary: 'manage the targets apps run on',
  commands: [list, add, test, remove, power('start'), power('stop')],
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
