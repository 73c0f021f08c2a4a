/**
 * Adding a Kubernetes target from a kubeconfig file the user picks: read it (bounded, a regular file
 * only), list its contexts (name, server, user, namespace, how it authenticates), and copy the chosen
 * context — with its cluster and user only, certificate and key files inlined — into
 * DEIS_HOME/targets/<name>/kubeconfig, mode 0600. The picked file (`~/.kube/config` included) is
 * only read, and only when the user picks it; nothing is ever written next to it or merged into it.
 *
 * The copy is made field by field from a fixed list, so nothing but what a connection needs (and no
 * YAML alias expanded into something huge) reaches DEIS_HOME; it is checked by loading it back with
 * the client library the Kubernetes target uses.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeisError, badRequest, conflict, invalid } from '../../main/contract/errors';
import {
  KUBECONFIG_MAX_BYTES,
  KUBECONFIG_MAX_CONTEXTS,
  KUBECONFIG_REFERENCED_FILE_MAX_BYTES,
  TARGET_NAME_MAX,
} from '../../main/contract/limits';
import { kubeLibrary } from './client';
import type * as k8s from '@kubernetes/client-node';

export interface KubeContextSummary {
  name: string;
  cluster: string;
  /** The API server's address ('' when the context names a cluster the file lacks). */
  server: string;
  user: string;
  namespace: string;
  /** How the user authenticates: client certificate, token, exec (<command>), auth-provider (<name>), basic, none. */
  auth: string;
  /** The file's current-context. */
  current: boolean;
}

export interface KubeconfigListing {
  file: string;
  currentContext: string;
  contexts: KubeContextSummary[];
}

/** `~/…` in messages: the file the user picked, as they know it. */
function shown(file: string): string {
  const home = os.homedir();
  return home && file.startsWith(home + path.sep) ? '~' + file.slice(home.length) : file;
}

/** A file read whole after checking it is a regular file no larger than `max` (never a FIFO or device). */
function readRegularFile(file: string, max: number, what: string): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw badRequest(
      code === 'ENOENT'
        ? `${what} ${shown(file)} does not exist; pick the file again.`
        : code === 'EACCES' || code === 'EPERM'
          ? `${what} ${shown(file)} cannot be read: permission denied; check its permissions.`
          : `${what} ${shown(file)} cannot be read (${code ?? (err as Error).message}).`,
    );
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile())
      throw badRequest(`${what} ${shown(file)} is not a regular file; pick a kubeconfig file.`);
    if (stat.size > max)
      throw new DeisError(
        'payload_too_large',
        `${what} ${shown(file)} is ${stat.size} bytes, more than the ${max} bytes allowed; pick a smaller file (kubectl config view --minify --flatten writes one context).`,
      );
    const buf = Buffer.alloc(stat.size);
    let read = 0;
    while (read < stat.size) {
      const n = fs.readSync(fd, buf, read, stat.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read);
  } finally {
    fs.closeSync(fd);
  }
}

/** js-yaml's error as a sentence: what is wrong and where. */
function yamlSentence(file: string, err: unknown): string {
  const e = err as {
    name?: string;
    reason?: string;
    mark?: { line: number; column: number };
    message?: string;
  };
  if (e.name === 'YAMLException' && e.mark)
    return `The kubeconfig ${shown(file)} is not valid YAML: ${e.reason ?? 'it cannot be parsed'} at line ${e.mark.line + 1}, column ${e.mark.column + 1}; fix it or pick another file.`;
  const why = String(e.message ?? err)
    .split('\n')[0]!
    .replace(/\.$/, '');
  return `The kubeconfig ${shown(file)} is not a valid kubeconfig: ${why}; fix it or pick another file.`;
}

interface Parsed {
  file: string;
  config: k8s.KubeConfig;
  /** Its text came in a request, not from a file of this machine (relative file references mean nothing). */
  sent: boolean;
}

/**
 * Where a kubeconfig comes from: a file of this machine the user picked, or its text sent by an
 * administrator (a browser page can send a file's content but not its path). Both are bounded by
 * KUBECONFIG_MAX_BYTES and parsed and checked the same way.
 */
export type KubeconfigSource = string | { content: string };

/** How messages name a kubeconfig that was sent rather than picked from this machine. */
export const SENT_KUBECONFIG = '(the file you sent)';

function textOf(source: KubeconfigSource): { file: string; text: string; sent: boolean } {
  if (typeof source !== 'string') {
    const size = Buffer.byteLength(source.content, 'utf8');
    if (size > KUBECONFIG_MAX_BYTES)
      throw new DeisError(
        'payload_too_large',
        `The kubeconfig ${SENT_KUBECONFIG} is ${size} bytes, more than the ${KUBECONFIG_MAX_BYTES} bytes allowed; pick a smaller file (kubectl config view --minify --flatten writes one context).`,
      );
    return { file: SENT_KUBECONFIG, text: source.content, sent: true };
  }
  const absolute = path.resolve(source);
  const text = readRegularFile(absolute, KUBECONFIG_MAX_BYTES, 'The kubeconfig').toString('utf8');
  return { file: absolute, text, sent: false };
}

async function parse(source: KubeconfigSource): Promise<Parsed> {
  const { file: absolute, text, sent } = textOf(source);
  if (text.trim() === '')
    throw badRequest(`The kubeconfig ${shown(absolute)} is empty; pick a kubeconfig file.`);
  const lib = await kubeLibrary();
  const config = new lib.KubeConfig();
  try {
    config.loadFromString(text);
  } catch (err) {
    throw badRequest(yamlSentence(absolute, err));
  }
  if (config.getContexts().length === 0)
    throw badRequest(
      `The kubeconfig ${shown(absolute)} has no contexts; pick a kubeconfig with at least one.`,
    );
  if (config.getContexts().length > KUBECONFIG_MAX_CONTEXTS)
    throw new DeisError(
      'payload_too_large',
      `The kubeconfig ${shown(absolute)} has ${config.getContexts().length} contexts, more than the ${KUBECONFIG_MAX_CONTEXTS} that can be listed; write the one you need to its own file (kubectl config view --minify --flatten --context=<name>).`,
    );
  // Names and addresses are shown and copied as text: anything else (a YAML alias to a list, say)
  // is refused here, before it can be expanded into a listing or a message.
  const mustBeText = (value: unknown, what: string, optional = false) => {
    if ((value === undefined || value === null || value === '') && optional) return;
    if (typeof value !== 'string')
      throw badRequest(
        `The kubeconfig ${shown(absolute)} has a ${what} that is not a string; fix it or pick another file.`,
      );
  };
  for (const c of config.getContexts()) {
    mustBeText(c.name, 'context name');
    mustBeText(c.cluster, 'context cluster');
    mustBeText(c.user, 'context user', true);
    mustBeText(c.namespace, 'context namespace', true);
  }
  for (const c of config.getClusters()) {
    mustBeText(c.name, 'cluster name');
    mustBeText(c.server, 'cluster server');
  }
  for (const u of config.getUsers()) mustBeText(u.name, 'user name');
  return { file: absolute, config, sent };
}

function authOf(user: k8s.User | null): string {
  if (!user) return 'none';
  const word = (v: unknown) => (typeof v === 'string' ? v.slice(0, 100) : '?');
  if (user.exec) return `exec (${word((user.exec as { command?: unknown }).command)})`;
  if (user.authProvider) return `auth-provider (${word((user.authProvider as { name?: unknown }).name)})`;
  if (user.certData || user.certFile) return 'client certificate';
  if (user.token) return 'token';
  if (user.username) return 'basic';
  return 'none';
}

/** The contexts of a kubeconfig the user picked, to choose one from. */
export async function listKubeconfigContexts(source: KubeconfigSource): Promise<KubeconfigListing> {
  const { file: absolute, config } = await parse(source);
  const current = config.getCurrentContext();
  return {
    file: absolute,
    currentContext: current,
    contexts: config.getContexts().map((c) => ({
      name: c.name,
      cluster: c.cluster,
      server: config.getCluster(c.cluster)?.server ?? '',
      user: c.user,
      namespace: c.namespace ?? '',
      auth: authOf(config.getUser(c.user)),
      current: c.name === current,
    })),
  };
}

const TARGET_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export function checkTargetName(name: string): string {
  if (!TARGET_NAME.test(name) || name.length > TARGET_NAME_MAX)
    throw invalid(
      'name',
      `Use up to ${TARGET_NAME_MAX} lower-case letters, digits and dashes, starting and ending with a letter or digit.`,
    );
  return name;
}

export function targetKubeconfigPath(home: string, name: string): string {
  return path.join(home, 'targets', checkTargetName(name), 'kubeconfig');
}

/** Copies strings into the new kubeconfig, counting them: aliases cannot make it larger than a file may be. */
class Budget {
  private used = 0;
  constructor(private readonly file: string) {}
  take(value: string, what: string): string {
    this.used += value.length;
    if (this.used > KUBECONFIG_MAX_BYTES)
      throw new DeisError(
        'payload_too_large',
        `The context's ${what} in ${shown(this.file)} makes the copy larger than ${KUBECONFIG_MAX_BYTES} bytes; check the file.`,
      );
    return value;
  }
  string(value: unknown, what: string): string | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string')
      throw badRequest(`The ${what} in ${shown(this.file)} is not a string; fix the file.`);
    return this.take(value, what);
  }
}

/** A certificate or key file the kubeconfig names, inlined (relative paths are from the kubeconfig's folder, as for kubectl). */
function inline(budget: Budget, kubeconfig: string, ref: string, what: string, sent: boolean): string {
  if (sent && !path.isAbsolute(ref))
    throw badRequest(
      `The kubeconfig ${SENT_KUBECONFIG} names its ${what} file ${JSON.stringify(ref.slice(0, 100))} by a relative path, which means nothing once sent; inline it (kubectl config view --minify --flatten) and send the file again.`,
    );
  const file = path.resolve(path.dirname(kubeconfig), ref);
  const data = readRegularFile(file, KUBECONFIG_REFERENCED_FILE_MAX_BYTES, `The ${what} file`);
  return budget.take(data.toString('base64'), what);
}

function copyExec(budget: Budget, exec: unknown): Record<string, unknown> {
  const e = exec as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  out.apiVersion = budget.string(e.apiVersion, 'exec apiVersion') ?? 'client.authentication.k8s.io/v1beta1';
  const command = budget.string(e.command, 'exec command');
  if (!command) throw badRequest(`The user's exec plugin names no command; fix the kubeconfig.`);
  out.command = command;
  if (e.args !== undefined && e.args !== null) {
    if (!Array.isArray(e.args) || e.args.length > 256)
      throw badRequest("The exec plugin's args must be a list of at most 256 strings; fix the kubeconfig.");
    out.args = e.args.map((a) => budget.string(a, 'exec args') ?? '');
  }
  if (e.env !== undefined && e.env !== null) {
    if (!Array.isArray(e.env) || e.env.length > 256)
      throw badRequest(
        "The exec plugin's env must be a list of at most 256 name/value pairs; fix the kubeconfig.",
      );
    out.env = e.env.map((v) => {
      const pair = v as Record<string, unknown>;
      return {
        name: budget.string(pair?.name, 'exec env name') ?? '',
        value: budget.string(pair?.value, 'exec env value') ?? '',
      };
    });
  }
  const hint = budget.string(e.installHint, 'exec installHint');
  if (hint) out.installHint = hint;
  if (typeof e.provideClusterInfo === 'boolean') out.provideClusterInfo = e.provideClusterInfo;
  const interactive = budget.string(e.interactiveMode, 'exec interactiveMode');
  if (interactive) out.interactiveMode = interactive;
  return out;
}

function copyAuthProvider(budget: Budget, provider: unknown): Record<string, unknown> {
  const p = provider as Record<string, unknown>;
  const out: Record<string, unknown> = { name: budget.string(p.name, 'auth-provider name') ?? '' };
  if (p.config && typeof p.config === 'object') {
    const entries = Object.entries(p.config as Record<string, unknown>);
    if (entries.length > 64)
      throw badRequest('The auth-provider config has more than 64 entries; fix the kubeconfig.');
    out.config = Object.fromEntries(
      entries.map(([k, v]) => [
        budget.take(k, 'auth-provider config'),
        budget.string(v, 'auth-provider config') ?? '',
      ]),
    );
  }
  return out;
}

/** YAML for the copy: every scalar double-quoted (JSON strings are YAML), keys from the fixed list. */
function toYaml(value: unknown, indent = ''): string {
  if (Array.isArray(value))
    return value
      .map((item) => {
        const body = toYaml(item, indent + '  ');
        return item !== null && typeof item === 'object'
          ? `${indent}- ${body.trimStart()}`
          : `${indent}- ${body.trim()}\n`;
      })
      .join('');
  if (value !== null && typeof value === 'object')
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => {
        const key = /^[A-Za-z][A-Za-z0-9_-]*$/.test(k) ? k : JSON.stringify(k);
        if (v !== null && typeof v === 'object') {
          const empty = Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
          return empty
            ? `${indent}${key}: ${Array.isArray(v) ? '[]' : '{}'}\n`
            : `${indent}${key}:\n${toYaml(v, indent + '  ')}`;
        }
        return `${indent}${key}: ${toYaml(v)}`;
      })
      .join('');
  return `${typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value ?? null)}\n`;
}

export interface ImportOptions {
  /** DEIS_HOME. */
  home: string;
  /** The new target's name (a folder under DEIS_HOME/targets). */
  name: string;
  /** The file the user picked, or the text an administrator sent. */
  file: KubeconfigSource;
  /** One of its contexts; default its current-context. */
  context?: string;
}

export interface ImportResult {
  name: string;
  /** DEIS_HOME/targets/<name>/kubeconfig */
  kubeconfig: string;
  context: KubeContextSummary;
}

/**
 * Copies one context of the picked kubeconfig into DEIS_HOME/targets/<name>/kubeconfig (mode 0600):
 * its cluster and user only, files inlined. Refuses (and writes nothing) when the name is taken, the
 * context is unknown, or anything it needs cannot be read.
 */
export async function importKubeconfigContext(o: ImportOptions): Promise<ImportResult> {
  const name = checkTargetName(o.name);
  const target = targetKubeconfigPath(o.home, name);
  if (fs.existsSync(path.dirname(target)))
    throw conflict(`A target named "${name}" already exists; pick another name or remove it first.`);
  const { file, config, sent } = await parse(o.file);
  const contextName = o.context || config.getCurrentContext();
  if (!contextName)
    throw badRequest(
      `The kubeconfig ${shown(file)} has no current context; choose one of: ${config
        .getContexts()
        .slice(0, 20)
        .map((c) => c.name)
        .join(', ')}.`,
    );
  const context = config.getContextObject(contextName);
  if (!context)
    throw badRequest(
      `The kubeconfig ${shown(file)} has no context named "${contextName.slice(0, 100)}"; choose one of: ${config
        .getContexts()
        .slice(0, 20)
        .map((c) => c.name)
        .join(', ')}.`,
    );
  const cluster = config.getCluster(context.cluster);
  if (!cluster)
    throw badRequest(
      `The context "${context.name}" names the cluster "${context.cluster}", which ${shown(file)} does not define; fix the file.`,
    );
  if (!/^https?:\/\/[^\s]+$/.test(cluster.server))
    throw badRequest(
      `The cluster "${cluster.name}" has the server "${cluster.server.slice(0, 100)}", which is not an https:// address; fix the file.`,
    );
  const user = context.user ? config.getUser(context.user) : null;
  if (context.user && !user)
    throw badRequest(
      `The context "${context.name}" names the user "${context.user}", which ${shown(file)} does not define; fix the file.`,
    );

  const budget = new Budget(file);
  const clusterOut: Record<string, unknown> = { server: budget.take(cluster.server, 'server') };
  if (cluster.caData)
    clusterOut['certificate-authority-data'] = budget.take(cluster.caData, 'certificate authority');
  else if (cluster.caFile)
    clusterOut['certificate-authority-data'] = inline(
      budget,
      file,
      cluster.caFile,
      'certificate authority',
      sent,
    );
  if (cluster.skipTLSVerify) clusterOut['insecure-skip-tls-verify'] = true;
  if (cluster.tlsServerName)
    clusterOut['tls-server-name'] = budget.take(cluster.tlsServerName, 'tls-server-name');
  if (cluster.proxyUrl) clusterOut['proxy-url'] = budget.take(cluster.proxyUrl, 'proxy-url');

  const userOut: Record<string, unknown> = {};
  if (user) {
    if (user.certData) userOut['client-certificate-data'] = budget.take(user.certData, 'client certificate');
    else if (user.certFile)
      userOut['client-certificate-data'] = inline(budget, file, user.certFile, 'client certificate', sent);
    if (user.keyData) userOut['client-key-data'] = budget.take(user.keyData, 'client key');
    else if (user.keyFile)
      userOut['client-key-data'] = inline(budget, file, user.keyFile, 'client key', sent);
    const token = budget.string(user.token, 'token');
    if (token) userOut.token = token;
    const username = budget.string(user.username, 'username');
    if (username) userOut.username = username;
    const password = budget.string(user.password, 'password');
    if (password) userOut.password = password;
    if (user.exec) userOut.exec = copyExec(budget, user.exec);
    if (user.authProvider) userOut['auth-provider'] = copyAuthProvider(budget, user.authProvider);
  }
  const userName = context.user || 'user';
  const copy = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': context.name,
    clusters: [{ name: cluster.name, cluster: clusterOut }],
    users: [{ name: userName, user: userOut }],
    contexts: [
      {
        name: context.name,
        context: {
          cluster: cluster.name,
          user: userName,
          ...(context.namespace ? { namespace: budget.take(context.namespace, 'namespace') } : {}),
        },
      },
    ],
  };
  const text = `# Copied by Deis Desktop from ${file} (context ${JSON.stringify(context.name)}); the original was not changed.\n${toYaml(copy)}`;

  // The copy must load in the library the Kubernetes target uses, to the same server.
  const lib = await kubeLibrary();
  const check = new lib.KubeConfig();
  check.loadFromString(text);
  if (check.getCurrentCluster()?.server !== cluster.server)
    throw new Error(`the copied kubeconfig does not name the server ${cluster.server}`);

  const dir = path.dirname(target);
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw conflict(`A target named "${name}" already exists; pick another name or remove it first.`);
    throw err;
  }
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    name,
    kubeconfig: target,
    context: {
      name: context.name,
      cluster: cluster.name,
      server: cluster.server,
      user: context.user,
      namespace: context.namespace ?? '',
      auth: authOf(user),
      current: true,
    },
  };
}
