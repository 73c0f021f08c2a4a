/**
 * Issue 14, the process console on the real engine: `POST /v2/desktop/apps/<app>/pods/<name>/exec/`
 * runs a command inside that live process (it sees the process's files and processes, not a fresh
 * container's) and streams its output and exit code; a user the app is not shared with gets 403, a
 * collaborator may; a missing process, a blank or an overlong command are refused with a sentence;
 * the client going away kills the command; a command that writes past the output limit is stopped
 * and says so; the feed records that a console command ran, never the command.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityEntry } from '../../main/contract/activity';
import { CONSOLE_COMMAND_MAX_CHARS, CONSOLE_OUTPUT_MAX_CHARS } from '../../main/contract/limits';
import { Api, type TestCore } from '../support/core';
import { consoleExec, consoleRequest, countSleeping, readUntil } from '../support/console';
import { dockerAvailable } from '../support/images';
import {
  buildFixture,
  eventually,
  instanceName,
  pushBuild,
  removeImage,
  removeInstance,
  startDockerCore,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('console tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('console');
const APP = 'consoleapp';

describe.skipIf(!hasDocker)('the process console on the Docker engine', () => {
  let t: TestCore;
  let owner: Api;
  let stranger: Api;
  let friend: Api;
  let pod: string;
  let built: Awaited<ReturnType<typeof buildFixture>>;

  const exec = (command: unknown, api: Api = owner, name = pod) =>
    consoleExec(t.url, api.token, APP, name, command);

  beforeAll(async () => {
    built = await buildFixture(APP, 'metrics-app');
    t = await startDockerCore(instance);
    owner = await new Api(t.url).register('owner');
    stranger = await new Api(t.url).register('stranger', 'pw', owner);
    friend = await new Api(t.url).register('friend', 'pw', owner);
    expect((await owner.post('/v2/apps/', { id: APP })).status).toBe(201);
    const config = { values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2', GREETING: 'hi there' } };
    expect((await owner.post(`/v2/apps/${APP}/config/`, config)).status).toBe(201);
    const r = await pushBuild(owner, APP, built);
    expect(r.status, r.text).toBe(201);
    expect((await owner.post(`/v2/apps/${APP}/perms/`, { username: 'friend' })).status).toBe(201);
    await eventually(async () => {
      const pods = (await owner.get(`/v2/apps/${APP}/pods/`)).body as {
        results: { name: string; type: string; state: string }[];
      };
      pod = pods.results.find((p) => p.type === 'web' && p.state === 'up')?.name ?? '';
      return pod !== '';
    }, 120_000);
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    await removeInstance(instance);
    if (built) await removeImage(built.image);
  });

  it('runs a command inside the live process, with its environment, and streams output and exit code', async () => {
    // A file written by one console command is there for the next: the same container, not a new one.
    const wrote = await exec('echo "$GREETING" > /tmp/console-mark; echo out; echo err >&2; exit 3');
    expect(wrote.status, wrote.text).toBe(200);
    expect(wrote.output).toContain('out\n');
    expect(wrote.output).toContain('err\n');
    expect(wrote.output).not.toContain('@deis-console-pid');
    expect(wrote.exit).toBe(3);
    const read = await exec(
      'cat /tmp/console-mark; for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done',
    );
    expect(read.exit).toBe(0);
    expect(read.output).toContain('hi there');
    // The app's own server is among the processes it sees.
    expect(read.output).toContain('app.py');
  }, 60_000);

  it('lets a collaborator in and keeps a stranger out', async () => {
    const denied = await exec('echo no', stranger);
    expect(denied.status).toBe(403);
    expect(denied.output).toBe('');
    const shared = await exec('echo yes', friend);
    expect(shared.status, shared.text).toBe(200);
    expect(shared.output).toBe('yes\n');
  }, 60_000);

  it('refuses a missing process, a blank and an overlong command with a sentence', async () => {
    const missing = await exec('echo', owner, `${APP}-web-nothere`);
    expect(missing.status).toBe(404);
    expect(missing.text).toContain(`Pod ${APP}-web-nothere does not exist`);
    const blank = await exec('   ');
    expect(blank.status).toBe(400);
    expect(blank.text).toContain('may not be blank');
    const long = await exec(`echo ${'x'.repeat(CONSOLE_COMMAND_MAX_CHARS)}`);
    expect(long.status).toBe(400);
    expect(long.text).toContain(`at most ${CONSOLE_COMMAND_MAX_CHARS} characters`);
    const notText = await exec(['echo', 'x']);
    expect(notText.status).toBe(400);
  }, 60_000);

  it('kills the command when the client goes away', async () => {
    const abort = new AbortController();
    const res = await consoleRequest(t.url, owner.token, APP, pod, 'echo started; sleep 600', abort.signal);
    expect(res.status).toBe(200);
    await readUntil(res, 'started');
    const sleeping = countSleeping(600);
    expect((await exec(sleeping)).output.trim()).toBe('1');
    abort.abort();
    await eventually(async () => (await exec(sleeping)).output.trim() === '0', 20_000);
  }, 60_000);

  it('stops a command that writes past the output limit, and says so', async () => {
    const flood = await exec(`yes 0123456789abcdef | head -c ${CONSOLE_OUTPUT_MAX_CHARS + 1_000_000}`);
    expect(flood.status).toBe(200);
    expect(flood.error).toContain('wrote more than 2 MiB and was stopped');
    expect(flood.output.length).toBeLessThanOrEqual(CONSOLE_OUTPUT_MAX_CHARS);
    expect(flood.exit).toBeUndefined();
  }, 60_000);

  it('records in the feed that a console command ran, never the command', async () => {
    await exec('echo secret-token-123');
    const feed = (await owner.get(`/v2/apps/${APP}/activity/`)).body as { results: ActivityEntry[] };
    const entry = feed.results.find((e) => e.summary === `ran a console command in ${pod}`);
    expect(entry?.user).toBe('owner');
    expect(JSON.stringify(feed)).not.toContain('secret-token-123');
  });
});
