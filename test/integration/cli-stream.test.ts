/**
 * The real `deis` binary's streaming commands against a real core on the real Docker engine, with
 * a Dockerfile app (no Procfile: its one type is `cmd`): `logs -f` follows the log as it is written,
 * in Deis's logger format with times; `run` prints output as it comes and passes on the exit code;
 * Ctrl-C and a reader that goes away end both cleanly; `ps:scale web=3` names the app's types.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliUser, DEIS_BIN, type CliResult } from '../support/cli';
import { Api, type TestCore } from '../support/core';
import { dockerAvailable } from '../support/images';
import {
  buildFixture,
  docker,
  eventually,
  instanceName,
  pushBuild,
  removeImage,
  removeInstance,
  startDockerCore,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('cli-stream tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('clistream');
const APP = 'cs-app';
/** `2026-11-29T23:50:01+00:00 cs-app[cmd.v3.x7r4f]: listening on 5000`. */
const PROCESS_LINE = new RegExp(
  `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+00:00 ${APP}\\[cmd\\.v(\\d+)\\.[a-z0-9]{5}\\]: listening on 5000$`,
  'gm',
);

interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe.skipIf(!hasDocker)('deis logs -f and deis run, streaming from a real core', () => {
  let t: TestCore;
  let user: CliUser;
  let built: Awaited<ReturnType<typeof buildFixture>>;

  const env = () => ({ ...process.env, HOME: user.home });
  /** `deis <args>` left running, its output collected as it comes. */
  const start = (args: string[]): Running => {
    const child = spawn(DEIS_BIN, args, { cwd: user.work, env: env() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    return { child, stdout: () => stdout, stderr: () => stderr, done };
  };
  /** A bash command line as the user types it. */
  const shell = (line: string): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', line], { cwd: user.work, env: env() });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  const runContainers = async () =>
    (
      await docker.listContainers({
        all: true,
        filters: { label: [`io.deis-desktop.instance=${instance}`, 'io.deis-desktop.role=run'] },
      })
    ).length;

  beforeAll(async () => {
    built = await buildFixture(APP, 'dockerfile-app');
    t = await startDockerCore(instance);
    user = new CliUser();
    const reg = await user.run([
      'register',
      t.url,
      '--username=streamer',
      '--password=pw',
      '--email=s@example.com',
    ]);
    if (reg.code !== 0) throw new Error(reg.stderr);
    const created = await user.run(['create', APP, '--no-remote']);
    if (created.code !== 0) throw new Error(created.stderr);
    const api = await new Api(t.url)
      .as(undefined)
      .post('/v2/auth/login/', { username: 'streamer', password: 'pw' });
    const owner = new Api(t.url, (api.body as { token: string }).token);
    await owner.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    });
    const build = await pushBuild(owner, APP, built);
    if (build.status !== 201) throw new Error(`build: ${build.status} ${build.text}`);
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    user?.remove();
  });

  it("follows the log as it is written, in Deis's format with times, until Ctrl-C", async () => {
    const logs = start(['logs', '-f', '-a', APP]);
    await eventually(async () => [...logs.stdout().matchAll(PROCESS_LINE)].length >= 1, 60_000);
    const before = [...logs.stdout().matchAll(PROCESS_LINE)].map((m) => Number(m[1]));
    // A config change is a new release: its deploy line and its new process's first line arrive live.
    const set = await user.run(['config:set', 'GREETING=hi', '-a', APP]);
    expect(set.code, set.stderr).toBe(0);
    await eventually(
      async () => [...logs.stdout().matchAll(PROCESS_LINE)].some((m) => Number(m[1]) > Math.max(...before)),
      60_000,
    );
    expect(logs.stdout()).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 deis\[controller\]: INFO deploying v\d+: /m,
    );
    expect(logs.child.exitCode).toBeNull(); // still following
    logs.child.kill('SIGINT');
    const end = await logs.done;
    expect(end.code === 0 || end.signal === 'SIGINT').toBe(true);
    expect(logs.stderr()).toBe('');
  }, 180_000);

  it('ends `deis logs -f | head -1` with status 0 once the reader is gone', async () => {
    const piped = shell(`"${DEIS_BIN}" logs -f -a ${APP} | head -1; echo "status \${PIPESTATUS[0]}"`);
    let finished = false;
    void piped.then(() => (finished = true));
    // Like `tail -f | head -1`, the CLI learns that the reader left at its next line: make some.
    for (let i = 0; i < 6 && !finished; i++) {
      await new Promise((r) => setTimeout(r, 3000));
      if (!finished) await user.run(['ps:restart', '-a', APP]);
    }
    const r = await piped;
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\S+ (cs-app|deis)\[[^\]]+\]: .*\nstatus 0\n$/);
  }, 180_000);

  it("prints a command's output as it comes and passes its exit code on", async () => {
    const run = start(['run', '-a', APP, '--', 'echo first; sleep 4; echo second; exit 3']);
    await eventually(async () => run.stdout().includes('first\n'), 120_000);
    // "first" is on the terminal while the command still runs.
    expect(run.stdout()).not.toContain('\nsecond\n');
    const end = await run.done;
    expect(end.code).toBe(3);
    expect(run.stdout()).toBe("Running 'echo first; sleep 4; echo second; exit 3'...\nfirst\nsecond\n");
    expect(run.stderr()).toBe('');
  }, 180_000);

  it('ends `deis run … | head -3` with status 0, and the command with it', async () => {
    const r = await shell(
      `"${DEIS_BIN}" run -a ${APP} -- 'seq 1 100000000' | head -3; echo "status \${PIPESTATUS[0]}"`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe("Running 'seq 1 100000000'...\n1\n2\nstatus 0\n");
    // The core killed the command when the CLI went away.
    await eventually(async () => (await runContainers()) === 0, 60_000);
  }, 180_000);

  it('ends `deis run` on Ctrl-C, and the command with it', async () => {
    const run = start(['run', '-a', APP, '--', 'echo started; sleep 600']);
    await eventually(async () => run.stdout().includes('started\n'), 120_000);
    run.child.kill('SIGINT');
    const end = await run.done;
    expect(end.code === 130 || end.signal === 'SIGINT').toBe(true);
    expect(run.stderr()).toBe('');
    await eventually(async () => (await runContainers()) === 0, 60_000);
  }, 180_000);

  it("names the app's types when asked to scale one it does not have", async () => {
    const r = await user.run(['ps:scale', 'web=3', '-a', APP]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `Error: Container type web does not exist in application ${APP} (its types: cmd)\n`,
    );
  });
});
