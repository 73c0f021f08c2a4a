/**
 * `npm run serve` on a fresh DEIS_HOME names every address a user needs: the API and UI, how the
 * CLI connects, the builder's SSH port with the git remote form and its host key fingerprint (the
 * one ssh asks about on the first push), the router's address for apps, and DEIS_HOME.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCoreProcess, type CoreProcess } from '../support/core-process';
import { BASE_IMAGE, dockerAvailable } from '../support/images';
import { eventually, freePort, instanceName, removeInstance } from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('first-run-startup tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('startup');

describe.skipIf(!hasDocker)('the startup output of a first run', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-startup-'));
  let core: CoreProcess | undefined;

  afterAll(async () => {
    await core?.kill();
    await removeInstance(instance);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('prints the API/UI, the CLI command, the builder port, git remote and host key, the router and DEIS_HOME', async () => {
    const [apiPort, routerPort] = [await freePort(), await freePort()];
    core = await startCoreProcess({ home, instance, apiPort, routerPort, routerBase: BASE_IMAGE });
    const c = core;
    await eventually(async () => c.output.join('').includes('router: apps answer at'));
    const out = c.output.join('');
    const api = `http://127.0.0.1:${apiPort}`;
    const builderPort = /builder's SSH on 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
    expect(Number(builderPort)).toBeGreaterThan(0);
    // What ssh shows on the first push: the same fingerprint ssh-keygen computes from the key.
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', path.join(home, 'builder', 'ssh_host_key')])
      .toString()
      .split(' ')[1]!;
    for (const line of [
      `Deis Desktop core ready: API ${api} (data in ${home})`,
      `  UI:         open ${api}/ in a browser (the first user you create there is the administrator)`,
      `  deis CLI:   deis register ${api}   (or deis login ${api})`,
      `  git push:   the builder's SSH on 127.0.0.1:${builderPort}; remotes are ssh://git@127.0.0.1:${builderPort}/<app>.git`,
      `              its host key is ${fingerprint}: ssh shows it on the first push, answer yes if it matches`,
      `  apps:       http://<app>.localhost:${routerPort} (the router)`,
      `  DEIS_HOME:  ${home}`,
      `router: apps answer at http://<app>.localhost:${routerPort}`,
    ])
      expect(out.split('\n')).toContain(line);
    // HTTPS on a port Docker picked (DEIS_ROUTER_TLS_PORT=0 here), and the authority to trust.
    const ca = path.join(home, 'tls', 'ca.crt');
    expect(out).toContain(
      `  HTTPS:      https://<app>.localhost:<port>, certificates from the local authority ${ca}`,
    );
    expect(out).toMatch(
      new RegExp(
        `router: and at https://<app>\\.localhost:\\d+ \\(trust ${ca.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} once`,
      ),
    );
  }, 300_000);
});
