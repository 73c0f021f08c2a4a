/**
 * The CLI's resource commands (config, releases, builds, domains, keys, app perms, settings,
 * whitelist, TLS, pods) against a real core, with the exact output of the original CLI.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliUser, DEIS_BIN } from '../support/cli';
import { startTestCore, type TestCore } from '../support/core';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

let t: TestCore;
let user: CliUser;
const app = 'resapp';
beforeAll(async () => {
  t = await startTestCore();
  user = new CliUser();
  const reg = await user.run([
    'register',
    t.url,
    '--username=admin',
    '--password=pw',
    '--email=a@example.com',
  ]);
  if (reg.code !== 0) throw new Error(reg.stderr);
  await user.run([
    'register',
    t.url,
    '--username=bob',
    '--password=pw',
    '--email=b@example.com',
    '--login=false',
  ]);
  const created = await user.run(['create', app, '--no-remote']);
  if (created.code !== 0) throw new Error(created.stderr);
});
afterAll(async () => {
  await t.stop();
  user.remove();
});

describe('deis config against a real core', () => {
  it('sets, lists in three formats and unsets config', async () => {
    const set = await user.run(['config:set', 'FOO=bar', 'LONGER_KEY=a=b', '-a', app]);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toBe(
      `Creating config... done\n\n=== ${app} Config\nFOO             bar\nLONGER_KEY      a=b\n`,
    );
    expect((await user.run(['config', '-a', app, '--oneline'])).stdout).toBe('FOO=bar LONGER_KEY=a=b\n');
    expect((await user.run(['config:list', '-a', app, '--diff'])).stdout).toBe('FOO=bar\nLONGER_KEY=a=b\n');
    const unset = await user.run(['config:unset', 'LONGER_KEY', '-a', app]);
    expect(unset.stdout).toBe(`Removing config... done\n\n=== ${app} Config\nFOO      bar\n`);
    const missing = await user.run(['config:unset', 'NOPE', '-a', app]);
    expect(missing).toMatchObject({
      code: 1,
      stderr: 'Error: Unable to process your request: NOPE does not exist under values\n',
    });
  });

  it('pushes config from stdin (CRLF, comments) and from a file', async () => {
    const piped = await user.run(['config:push', '-a', app], {
      input: '# comment\r\nA=1\r\nB=two words\r\n',
    });
    expect(piped.stderr).toBe('');
    expect(piped.code).toBe(0);
    expect((await user.run(['config:list', '-a', app, '--diff'])).stdout).toBe('A=1\nB=two words\nFOO=bar\n');
    const file = path.join(user.work, 'prod.env');
    fs.writeFileSync(file, 'C=3\n');
    expect((await user.run(['config:push', '-a', app, '-p', file])).code).toBe(0);
    expect((await user.run(['config:list', '-a', app, '--oneline'])).stdout).toBe(
      'A=1 B=two words C=3 FOO=bar\n',
    );
    const bad = await user.run(['config:push', '-a', app], { input: 'not a pair\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("'not a pair' does not match the pattern 'key=var', ex: MODE=test");
  });

  it('pulls config to stdout when piped, and to .env on a terminal', async () => {
    expect((await user.run(['config:pull', '-a', app])).stdout).toBe('A=1\nB=two words\nC=3\nFOO=bar\n');
    const dir = path.join(user.work, 'pull');
    fs.mkdirSync(dir);
    // `script` gives the CLI a terminal, as a user typing the command has.
    const env = { ...process.env, HOME: user.home };
    // Asynchronously: the core answers from this very process, so a synchronous spawn would deadlock.
    const run = () =>
      new Promise<{ status: number | null; stdout: string }>((resolve, reject) => {
        const child = spawn('script', ['-qec', `${DEIS_BIN} config:pull -a ${app}`, '/dev/null'], {
          cwd: dir,
          env,
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.on('error', reject);
        child.on('close', (status) => resolve({ status, stdout }));
      });
    expect((await run()).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, '.env'), 'utf8')).toBe('A=1\nB=two words\nC=3\nFOO=bar\n');
    const again = await run();
    expect(again.status).toBe(1);
    expect(again.stdout).toContain('Error: .env already exists, pass -o to overwrite');
  });
});

describe('deis keys, perms, domains and releases against a real core', () => {
  it('adds keys from a file or by choosing among ~/.ssh/*.pub, lists and removes them', async () => {
    const file = path.join(user.work, 'laptop.pub');
    fs.writeFileSync(file, `${ED25519}\n`);
    expect((await user.run(['keys:add', file])).stdout).toBe('Uploading laptop.pub to deis... done\n');

    fs.mkdirSync(path.join(user.home, '.ssh'), { recursive: true });
    // A real key: the server checks that the key material parses.
    spawnSync('ssh-keygen', [
      '-q',
      '-t',
      'rsa',
      '-b',
      '2048',
      '-N',
      '',
      '-C',
      'me@desk',
      '-f',
      path.join(user.home, '.ssh', 'id_rsa'),
    ]);
    const rsa = fs.readFileSync(path.join(user.home, '.ssh', 'id_rsa.pub'), 'utf8').trim();
    const chosen = await user.run(['keys:add'], { input: '1\n' });
    expect(chosen.stdout).toBe(
      'Found the following SSH public keys:\n1) id_rsa.pub me@desk\n' +
        '0) Enter path to pubfile (or use keys:add <key_path>)\n' +
        'Which would you like to use with Deis? Uploading id_rsa.pub to deis... done\n',
    );
    const list = await user.run(['keys']);
    expect(list.stdout).toBe(
      `=== admin Keys\nlaptop  ${ED25519.slice(0, 16)}...${ED25519.slice(-10)}\nme@desk ${rsa.slice(0, 16)}...${rsa.slice(-10)}\n`,
    );
    expect((await user.run(['keys:remove', 'laptop'])).stdout).toBe('Removing laptop SSH Key... done\n');
  });

  it('shares an app with a collaborator', async () => {
    expect((await user.run(['perms:create', 'bob', '-a', app])).stdout).toBe(
      `Adding bob to ${app} collaborators... done\n`,
    );
    expect((await user.run(['sharing', '-a', app])).stdout).toBe(`=== ${app}'s Users\nbob\n`);
    expect((await user.run(['perms:delete', 'bob', '-a', app])).stdout).toBe(
      `Removing bob from ${app} collaborators... done\n`,
    );
  });

  it('adds, lists and removes domains', async () => {
    expect((await user.run(['domains:add', 'www.example.com', '-a', app])).stdout).toBe(
      `Adding www.example.com to ${app}... done\n`,
    );
    expect((await user.run(['domains', '-a', app])).stdout).toBe(
      `=== ${app} Domains\n${app}\nwww.example.com\n`,
    );
    expect((await user.run(['domains:remove', 'www.example.com', '-a', app])).stdout).toBe(
      `Removing www.example.com from ${app}... done\n`,
    );
  });

  it('lists releases and shows one', async () => {
    const list = await user.run(['releases', '-a', app]);
    expect(list.stdout).toMatch(new RegExp(`^=== ${app} Releases\\n`));
    expect(list.stdout).toMatch(/\nv1\t\S+Z\tadmin created initial release\n$/);
    const info = await user.run(['releases:info', 'v1', '-a', app]);
    expect(info.stdout).toMatch(new RegExp(`^=== ${app} Release v1\\nconfig:   \\S+\\nowner:    admin\\n`));
  });
});

describe('deis limits, healthchecks and app settings against a real core', () => {
  it('sets and unsets memory limits', async () => {
    const set = await user.run(['limits:set', 'web=512M', '-a', app]);
    expect(set.stdout).toBe(
      `Applying limits... done\n\n=== ${app} Limits\n\n--- Memory\nweb     512M\n\n--- CPU\nUnlimited\n`,
    );
    const unset = await user.run(['limits:unset', 'web', '-a', app]);
    expect(unset.stdout).toContain('--- Memory\nUnlimited\n');
  });

  it('sets and unsets a liveness probe', async () => {
    const set = await user.run([
      'healthchecks:set',
      'liveness',
      'httpGet',
      '8000',
      '-a',
      app,
      '--headers=X-A:b',
    ]);
    expect(set.stdout).toContain(
      'Applying livenessProbe healthcheck... done\n\n=== resapp Healthchecks\n\nweb/cmd:\n--- Liveness\n',
    );
    expect(set.stdout).toContain('HTTP GET Probe: Path="/" Port=8000 HTTPHeaders=[X-A=b]');
    expect(set.stdout).toContain('--- Readiness\nNo readiness probe configured.\n');
    const unset = await user.run(['healthchecks:unset', 'liveness', '-a', app]);
    expect(unset.stdout).toContain('No liveness probe configured.');
  });

  it('toggles maintenance and routing, labels and whitelists the app, and enforces TLS', async () => {
    expect((await user.run(['maintenance:on', '-a', app])).stdout).toBe(
      `Enabling maintenance mode for ${app}... done\n`,
    );
    expect((await user.run(['maintenance', '-a', app])).stdout).toBe('Maintenance mode is on.\n');
    expect((await user.run(['routing:disable', '-a', app])).stdout).toBe(
      `Disabling routing for ${app}... done\n`,
    );
    expect((await user.run(['routing:info', '-a', app])).stdout).toBe('Routing is disabled.\n');
    expect((await user.run(['labels:set', 'team=web', '-a', app])).stdout).toBe(
      `Applying labels on ${app}... done\n`,
    );
    expect((await user.run(['labels', '-a', app])).stdout).toBe(`=== ${app} Label\nteam:      web\n`);
    expect((await user.run(['whitelist:add', '10.0.0.0/8,1.2.3.4', '-a', app])).stdout).toBe(
      `Adding 10.0.0.0/8,1.2.3.4 to ${app} whitelist...\ndone\n`,
    );
    expect((await user.run(['whitelist', '-a', app])).stdout).toContain('10.0.0.0/8\n');
    expect((await user.run(['tls:enable', '-a', app])).stdout).toBe(
      `Enabling https-only requests for ${app}... done\n`,
    );
    expect((await user.run(['tls', '-a', app])).stdout).toBe(`=== ${app} TLS\nHTTPS Enforced: true\n`);
    expect(
      (await user.run(['autoscale:set', 'web', '--min=1', '--max=3', '--cpu-percent=50', '-a', app])).stdout,
    ).toBe(`Applying autoscale settings for process type web on ${app}... done\n`);
    expect((await user.run(['autoscale', '-a', app])).stdout).toBe(
      `=== ${app} Autoscale\n\n--- web:\nMin Replicas: 1\nMax Replicas: 3\nCPU: 50%\n`,
    );
  });
});

describe('deis info and ps against a real core (pods endpoints)', () => {
  it('prints the app summary with processes, domains and labels', async () => {
    const r = await user.run(['info', '-a', app]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^=== ${app} Application\\nupdated:  \\S+\\nuuid:     \\S+\\ncreated:  \\S+\\nurl:      \\S+\\nowner:    admin\\nid:       ${app}\\n\\n`,
      ),
    );
    expect(r.stdout).toContain(`=== ${app} Processes\n`);
    expect(r.stdout).toContain(`\n=== ${app} Domains\n${app}\n\n=== ${app} Label\n`);
    expect((await user.run(['ps', '-a', app])).stdout).toMatch(new RegExp(`^=== ${app} Processes\\n`));
  });
});

describe('deis logs beyond the run stage limits', () => {
  it('says why a --lines beyond what a log keeps is refused, instead of "no log messages"', async () => {
    const logs = await user.run(['logs', '-n', '50000', '-a', app]);
    expect(logs).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('log_lines must be a whole number from 0 to 10000'),
    });
  });
});
