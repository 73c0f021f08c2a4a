/** Tasks and the event stream: a subscriber sees a task's steps and lines live, and its log is kept. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskEvent, TaskWithLog } from '../../main/contract/tasks';
import { Api, startTestCore, type TestCore } from '../support/core';

let t: TestCore;
let admin: Api;
let owner: Api;
let stranger: Api;
beforeAll(async () => {
  t = await startTestCore();
  const base = new Api(t.url);
  admin = await base.register('admin');
  owner = await base.register('owner', 'secret-pw', admin);
  stranger = await base.register('stranger', 'secret-pw', admin);
  await owner.post('/v2/apps/', { id: 'watched' });
});
afterAll(() => t.stop());

/** Reads server-sent events until `until` says stop. */
async function collect(api: Api, until: (events: TaskEvent[]) => boolean, during: () => Promise<void>) {
  const abort = new AbortController();
  const res = await fetch(`${api.url}/v2/desktop/events`, {
    headers: { Authorization: `token ${api.token}` },
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: TaskEvent[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let i: number;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice(6)) as TaskEvent);
      }
      if (until(events)) return;
    }
  })();
  await during();
  await Promise.race([reading, new Promise((r) => setTimeout(r, 2000))]);
  abort.abort();
  return events;
}

describe('tasks on the event stream', () => {
  it('streams a task live to its app user and keeps its log, steps and outcome', async () => {
    let id = '';
    const events = await collect(
      owner,
      (es) => es.some((e) => e.type === 'task.succeeded'),
      async () => {
        const task = t.core.controller.tasks.start('build', 'Build watched', 'watched');
        id = task.id;
        task.step('Compiling');
        task.log('-----> Node.js app detected');
        task.step('Launching');
        task.succeed();
      },
    );
    expect(events.map((e) => e.type)).toEqual([
      'task.started',
      'task.step',
      'task.log',
      'task.step',
      'task.succeeded',
    ]);
    expect(events[2]).toMatchObject({ line: '-----> Node.js app detected' });

    const kept = await owner.get(`/v2/desktop/tasks/${id}`);
    expect(kept.status).toBe(200);
    const task = kept.body as TaskWithLog;
    expect(task).toMatchObject({ state: 'succeeded', app: 'watched', log: ['-----> Node.js app detected'] });
    expect(task.steps.map((s) => s.name)).toEqual(['Compiling', 'Launching']);
    expect(task.steps.every((s) => typeof s.elapsedMs === 'number')).toBe(true);
  });

  it("hides an app's tasks from users who cannot see the app", async () => {
    const events = await collect(
      stranger,
      () => false,
      async () => {
        const task = t.core.controller.tasks.start('build', 'Secret build', 'watched');
        task.fail('The buildpack failed');
        await new Promise((r) => setTimeout(r, 200));
      },
    );
    expect(events).toEqual([]);
    const list = await stranger.get('/v2/desktop/tasks/');
    expect((list.body as { results: unknown[] }).results).toEqual([]);
    const mine = await owner.get('/v2/desktop/tasks/?app=watched&kind=build');
    expect((mine.body as { results: { state: string; error: string | null }[] }).results[0]).toMatchObject({
      state: 'failed',
      error: 'The buildpack failed',
    });
  });

  it('refuses the event stream without a token, and a token in the URL (it would end up in logs)', async () => {
    const r = await new Api(t.url).get('/v2/desktop/events');
    expect(r.status).toBe(401);
    const inUrl = await new Api(t.url).get(`/v2/desktop/events?token=${owner.token}`);
    expect(inUrl.status).toBe(401);
  });
});
