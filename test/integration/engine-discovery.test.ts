/**
 * `npm run serve` names the Docker engine it found and why — in its startup output and in
 * GET /v2/desktop/info/ — when DOCKER_HOST names it and when the current Docker context of a real
 * ~/.docker (config.json + the context store's meta.json) points at it; a current context that does
 * not exist stops the start with a sentence, before anything is made. On this machine's dockerd.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { contextDirName } from '../../cluster/docker/engine-discovery';
import { LABEL_INSTANCE } from '../../cluster/docker/labels';
import { DesktopInfoSchema } from '../../main/contract/responses';
import { startCoreProcess, type CoreProcess } from '../support/core-process';
import { BASE_IMAGE, dockerAvailable } from '../support/images';
import { docker, freePort, instanceName, removeInstance } from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('engine-discovery tests skipped: no Docker engine answers (start dockerd).');

const roots: string[] = [];
function temp(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `deis-${label}-`));
  roots.push(dir);
  return dir;
}

async function info(url: string) {
  const res = await fetch(`${url}/v2/desktop/info/`);
  expect(res.status).toBe(200);
  return DesktopInfoSchema.parse(await res.json());
}

/** The containers of the instance: only the router (nothing deployed). */
async function containerNames(instance: string): Promise<string[]> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABEL_INSTANCE}=${instance}`] },
  });
  return list.map((c) => c.Names[0]!.replace(/^\//, ''));
}

describe.skipIf(!hasDocker)('the core names the Docker engine it uses', () => {
  const cores: CoreProcess[] = [];
  const instances: string[] = [];

  afterAll(async () => {
    for (const c of cores) await c.kill();
    for (const i of instances) await removeInstance(i);
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  });

  async function start(label: string, env: Record<string, string>): Promise<CoreProcess> {
    const instance = instanceName(label);
    instances.push(instance);
    const core = await startCoreProcess({
      home: temp('engine-home'),
      instance,
      apiPort: await freePort(),
      routerPort: 0,
      routerBase: BASE_IMAGE,
      env,
    });
    cores.push(core);
    return core;
  }

  it('DOCKER_HOST=unix:///var/run/docker.sock: the startup line and info say so, and the engine answers', async () => {
    const core = await start('eng-host', { DOCKER_HOST: 'unix:///var/run/docker.sock' });
    const lines = core.output.join('').split('\n');
    expect(lines).toContain(
      'engine: Using the Docker engine at unix:///var/run/docker.sock because DOCKER_HOST is set (it takes precedence over Docker contexts, as for the docker CLI).',
    );
    const body = await info(core.url);
    expect(body.engine).toEqual({
      host: 'unix:///var/run/docker.sock',
      source: 'DOCKER_HOST',
      reason:
        'Using the Docker engine at unix:///var/run/docker.sock because DOCKER_HOST is set (it takes precedence over Docker contexts, as for the docker CLI).',
    });
    expect(body.docker?.state).toBe('running');
    // Nothing was deployed: the instance holds its router only.
    const names = await containerNames(instances.at(-1)!);
    expect(names.every((n) => /router/.test(n))).toBe(true);
  }, 180_000);

  it('the current context of ~/.docker/config.json, whose endpoint is the real socket', async () => {
    const home = temp('engine-user');
    const cfg = path.join(home, '.docker');
    const meta = path.join(cfg, 'contexts', 'meta', contextDirName('lab'));
    fs.mkdirSync(meta, { recursive: true });
    fs.writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({ auths: {}, currentContext: 'lab' }));
    fs.writeFileSync(
      path.join(meta, 'meta.json'),
      JSON.stringify({
        Name: 'lab',
        Metadata: {},
        Endpoints: { docker: { Host: 'unix:///var/run/docker.sock', SkipTLSVerify: false } },
      }),
    );
    const core = await start('eng-ctx', {
      HOME: home,
      DOCKER_HOST: '',
      DOCKER_CONTEXT: '',
      DOCKER_CONFIG: '',
    });
    const reason =
      'Using the Docker engine at unix:///var/run/docker.sock of the Docker context "lab", chosen by the current context in ~/.docker/config.json.';
    expect(core.output.join('').split('\n')).toContain(`engine: ${reason}`);
    const body = await info(core.url);
    expect(body.engine).toEqual({
      host: 'unix:///var/run/docker.sock',
      source: 'docker-config',
      context: 'lab',
      reason,
    });
    expect(body.docker?.state).toBe('running');
  }, 180_000);

  it('a current context that does not exist stops the start with a sentence, and nothing is made', async () => {
    const home = temp('engine-user');
    fs.mkdirSync(path.join(home, '.docker'));
    fs.writeFileSync(
      path.join(home, '.docker', 'config.json'),
      JSON.stringify({ currentContext: 'desktop-linux' }),
    );
    const deisHome = path.join(temp('engine-home'), 'deis');
    const instance = instanceName('eng-bad');
    instances.push(instance);
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/serve.ts'], {
      env: {
        ...process.env,
        HOME: home,
        DOCKER_HOST: '',
        DOCKER_CONTEXT: '',
        DOCKER_CONFIG: '',
        DEIS_HOME: deisHome,
        DEIS_INSTANCE: instance,
        DEIS_API_PORT: String(await freePort()),
        DEIS_BUILDER_PORT: '0',
        DEIS_ROUTER_PORT: '0',
        DEIS_ROUTER_BASE: BASE_IMAGE,
        DEIS_TARGET: 'docker',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain(
      'Error: The Docker context "desktop-linux" (the current context in ~/.docker/config.json) does not exist: there is no',
    );
    expect(err).toContain('run `docker context ls` and `docker context use <name>`, or unset it.');
    expect(fs.existsSync(path.join(deisHome, 'deis.db'))).toBe(false);
    expect(await containerNames(instance)).toEqual([]);
  }, 60_000);
});
