/**
 * The controller's events are in the app's log, as Deis wrote them (`deis[controller]: INFO …`), with
 * who did it: the app's creation, config changes, settings, domains, builds and their releases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLogLine } from '../../main/contract/log-lines';
import { Api, startTestCore, type TestCore } from '../support/core';

let t: TestCore;
let api: Api;
const APP = 'events-app';

beforeAll(async () => {
  t = await startTestCore();
  api = await new Api(t.url).register('owner');
});
afterAll(async () => {
  await t.stop();
});

/** The controller's lines of the app's log, as the original CLI reads them (`deis logs`). */
async function controllerLines(): Promise<string[]> {
  const r = await api.get(`/v2/apps/${APP}/logs?log_lines=100`);
  expect(r.status).toBe(200);
  return r.text
    .slice(2, -1)
    .split('\\n')
    .map((l) => parseLogLine(l))
    .filter((l) => l?.source === 'deis' && l.type === 'controller')
    .map((l) => l!.message);
}

describe("the controller's events in the app's log", () => {
  it('records who created the app, changed its config, settings and domains, and built it', async () => {
    expect((await api.post('/v2/apps/', { id: APP })).status).toBe(201);
    expect((await api.post(`/v2/apps/${APP}/config/`, { values: { FOO: 'bar' } })).status).toBe(201);
    expect((await api.post(`/v2/apps/${APP}/settings/`, { maintenance: true })).status).toBe(201);
    expect((await api.post(`/v2/apps/${APP}/domains/`, { domain: 'www.events.test' })).status).toBe(201);
    const build = await api.post(`/v2/apps/${APP}/builds/`, { image: 'example/app:1' });
    expect(build.status, build.text).toBe(201);
    const uuid = (build.body as { uuid: string }).uuid;
    const lines = await controllerLines();
    for (const expected of [
      'INFO owner created initial release',
      `INFO config ${APP} updated`,
      'INFO owner added FOO',
      `INFO appsettings ${APP} updated`,
      'INFO domain www.events.test added',
      `INFO build ${uuid} created`,
      'INFO owner deployed example/app:1',
    ])
      expect(lines).toContain(expected);
    // In the order they happened.
    expect(lines.indexOf('INFO owner created initial release')).toBeLessThan(
      lines.indexOf(`INFO config ${APP} updated`),
    );
    expect((await api.delete(`/v2/apps/${APP}/domains/www.events.test`)).status).toBe(204);
    expect(await controllerLines()).toContain('INFO domain www.events.test removed');
  });
});
