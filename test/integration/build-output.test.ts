/**
 * Build output is bounded: a build printing 30,000 lines and a 100,000-character line, pushed with
 * real git to a real core and Docker engine, leaves a task log and a stored build log of at most
 * BUILD_LOG_MAX_LINES lines (the last ones, after a line saying how many were dropped), with every
 * line capped, while /healthz keeps answering.
 */
import fs from 'node:fs';
import { CLIPPED_HINT } from '../../cluster/docker/build-trace';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_LOG_MAX_LINE, BUILD_LOG_MAX_LINES } from '../../main/contract/limits';
import type { Task } from '../../main/contract/tasks';
import { Api, startTestCore, type TestCore } from '../support/core';
import { git, repoFromFixture } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import { PROBE_LIMIT_MS, whileProbing } from '../support/responsive';
import { removeAppImages } from '../support/run-stage';

const hasDocker = await dockerAvailable();
const APP = 'chatty';

describe.skipIf(!hasDocker)('a build that prints too much', () => {
  let t: TestCore;
  let owner: Api;
  let pusher: Pusher;
  let work: string;

  beforeAll(async () => {
    await ensureStackImage();
    t = await startTestCore();
    owner = await new Api(t.url).register('owner');
    expect((await owner.post('/v2/apps/', { id: APP })).status).toBe(201);
    pusher = new Pusher(t.core.builderPort, 'chatty');
    await pusher.addKeyTo(owner);
    work = repoFromFixture('dockerfile-app').dir;
    fs.appendFileSync(
      path.join(work, 'Dockerfile'),
      `RUN seq 1 30000 && head -c 100000 /dev/zero | tr '\\0' x && echo && echo "last line ${Date.now()}"\n`,
    );
    git(work, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-qam', 'chatty build');
  }, 300_000);

  afterAll(async () => {
    await t?.stop();
    pusher?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    await removeAppImages([APP]);
  });

  it('keeps the last lines of the task and build logs, says how many it dropped, and caps each line', async () => {
    const [pushed, report] = await whileProbing(t.url, () => pusher.push(work, APP));
    expect(pushed.code, pushed.output.slice(-2000)).toBe(0);
    expect(report.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
    const longest = Math.max(...pushed.remote.map((l) => l.length));
    expect(longest).toBeLessThan(BUILD_LOG_MAX_LINE + 100);

    const tasks = (await owner.get(`/v2/desktop/tasks/?app=${APP}`)).body as { results: Task[] };
    const task = (await owner.get(`/v2/desktop/tasks/${tasks.results[0]!.id}/`)).body as Task & {
      log: string[];
    };
    const builds = (await owner.get(`/v2/apps/${APP}/builds/`)).body as { results: { uuid: string }[] };
    const stored = (await owner.get(`/v2/apps/${APP}/builds/${builds.results[0]!.uuid}/log`)).text.split(
      '\n',
    );
    for (const log of [task.log, stored]) {
      expect(log.length).toBeLessThanOrEqual(BUILD_LOG_MAX_LINES + 1);
      expect(log[0]).toMatch(
        /^\[\.\.\. \d+ earlier lines dropped: a log keeps its last 10000 lines and 2 MB\]$/,
      );
      // BuildKit's lines carry their step's number (`#4 …`); the cut line is 4096 characters in all.
      expect(log.some((l) => /^(#\d+ )?x+ \[\.\.\. \d+ more characters cut\]$/.test(l))).toBe(true);
      expect(log.some((l) => /^(#\d+ )?x+ \[/.test(l) && l.indexOf(' [...') === 4096)).toBe(true);
      // The end of the output is there — or BuildKit clipped it (it keeps 200 KiB a second) and the
      // pusher is told so, and how to keep it all.
      expect(
        log.some((l) => /^(#\d+ )?last line /.test(l)) ||
          log.some((l) => l.startsWith(CLIPPED_HINT.slice(0, 40))),
      ).toBe(true);
      expect(Math.max(...log.map((l) => l.length))).toBeLessThan(BUILD_LOG_MAX_LINE + 100);
    }
    expect(task.log).toContain(`Done, ${APP}:v2 deployed to Deis Desktop`);
  }, 300_000);
});
