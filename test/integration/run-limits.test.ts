/**
 * The run stage's limits on a real core process and the real Docker engine: scale counts are checked
 * before anything starts; a run printing 400 MB streams to its client (or keeps only its end for the
 * JSON answer) without the core holding it; an app writing 40 MB without a newline, or a log follower
 * that stops reading, leaves the core responsive with its memory bounded.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LINE_CUT_MARKER,
  MAX_LINE_CHARS,
  MAX_PROCESSES_PER_APP,
  MAX_PROCESSES_PER_TYPE,
  MAX_RUN_OUTPUT_CHARS,
  MAX_SCALE_TYPES,
} from '../../main/contract/limits';
import { Api } from '../support/core';
import { startCoreProcess, type CoreProcess } from '../support/core-process';
import { BASE_IMAGE, dockerAvailable } from '../support/images';
import { PROBE_LIMIT_MS, whileProbing } from '../support/responsive';
import {
  buildFixture,
  docker,
  eventually,
  freePort,
  instanceName,
  pushBuild,
  removeImage,
  removeInstance,
  sleep,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('run-limits tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('limits');
const APP = 'rl-app';
const SIZE = 400_000_000;
const FLAT = `head -c ${SIZE} /dev/zero | tr '\\0' x; echo; echo finished`;
const LINES = `head -c ${SIZE} /dev/zero | tr '\\0' x | fold -w 100; echo; echo finished`;
/** Output without end: held back by a client that does not read, or filling the core without the limits. */
const ENDLESS = 'yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';
/** Well above what a core needs (~150 MB idle, ~300 MB at its peak here), well below 400 MB of output held. */
const RSS_BOUND_KB = 1_000_000;

/** The core process's memory: now and at its peak so far, in kB. */
function memory(core: CoreProcess): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${core.child.pid}/status`, 'utf8');
  return {
    rss: Number(/VmRSS:\s+(\d+)/.exec(status)![1]),
    peak: Number(/VmHWM:\s+(\d+)/.exec(status)![1]),
  };
}

/**
 * A streaming run read by another process (so reading 400 MB costs this one nothing and the
 * probes measure only the core): how many characters of output arrived, their end, and the exit.
 */
const READER = `
const [url, token, command] = process.argv.slice(1);
(async () => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { Authorization: 'token ' + token, 'Content-Type': 'application/json' },
    body: JSON.stringify({ command }),
  });
  const decoder = new TextDecoder();
  let buf = '', chars = 0, tail = '', exit, error;
  for await (const bytes of res.body) {
    buf += decoder.decode(bytes, { stream: true });
    let end;
    while ((end = buf.indexOf('\\n\\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const name = /^event: (\\S+)/.exec(block)?.[1];
      const data = JSON.parse(block.slice(block.indexOf('data: ') + 6));
      if (name === 'output') { chars += data.text.length; tail = (tail + data.text).slice(-100); }
      if (name === 'exit') exit = data.exit_code;
      if (name === 'error') error = data.detail;
    }
  }
  console.log(JSON.stringify({ status: res.status, chars, tail, exit, error }));
})();
`;

function streamingRun(url: string, token: string, command: string) {
  return new Promise<{ status: number; chars: number; tail: string; exit?: number; error?: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [
        '-e',
        READER,
        `${url}/v2/desktop/apps/${APP}/run/`,
        token,
        command,
      ]);
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', () => {
        try {
          resolve(JSON.parse(out));
        } catch {
          reject(new Error(out));
        }
      });
    },
  );
}

/** A client that sends a request and then reads nothing until told to. */
function stalledClient(port: number, request: string) {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.write(request);
  socket.pause();
  let text = '';
  return {
    socket,
    /** Reads from now on until `needle` arrived (or throws after `timeoutMs`). */
    readUntil(needle: string, timeoutMs = 60_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no "${needle}" in ${text.length} chars`)),
          timeoutMs,
        );
        socket.on('data', (c: Buffer) => {
          text = (text + c.toString('latin1')).slice(-2_000_000);
          if (text.includes(needle)) {
            clearTimeout(timer);
            resolve(text);
          }
        });
        socket.resume();
      });
    },
  };
}

describe.skipIf(!hasDocker)('limits of the run stage', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-limits-'));
  let core: CoreProcess;
  let api: Api;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  const structure = async () =>
    ((await api.get(`/v2/apps/${APP}/`)).body as { structure: unknown }).structure;
  const pods = async () => ((await api.get(`/v2/apps/${APP}/pods/`)).body as { count: number }).count;
  const runContainers = async () =>
    (
      await docker.listContainers({
        all: true,
        filters: { label: [`io.deis-desktop.instance=${instance}`], name: [`${APP}-run-`] },
      })
    ).length;

  beforeAll(async () => {
    built = await buildFixture(APP, 'run-app');
    core = await startCoreProcess({
      home,
      instance,
      apiPort: await freePort(),
      routerPort: await freePort(),
      routerBase: BASE_IMAGE,
    });
    api = await new Api(core.url).register('owner');
    await api.post('/v2/apps/', { id: APP });
    await api.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '1' },
    });
    const r = await pushBuild(api, APP, built);
    if (r.status !== 201) throw new Error(r.text);
  }, 600_000);

  afterAll(async () => {
    await core?.kill();
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('refuses scale counts that are not whole numbers within the limits, before anything starts', async () => {
    const before = { structure: await structure(), pods: await pods() };
    const many = Object.fromEntries(Array.from({ length: MAX_SCALE_TYPES + 1 }, (_, i) => [`t${i}`, 1]));
    const cases: [unknown, RegExp][] = [
      [
        { web: 2_000_000_000 },
        /^Cannot scale web to 2000000000 processes: a process type may run at most 50/,
      ],
      [{ web: 1e3 }, /^Cannot scale web to 1000 processes/],
      [{ web: MAX_PROCESSES_PER_TYPE + 1 }, /^Cannot scale web to 51 processes/],
      [{ web: -1 }, /^Invalid scaling format: Must be greater than or equal to zero$/],
      [{ web: '12abc' }, /^Invalid scaling format: invalid literal for int\(\) with base 10: '12abc'$/],
      [{ web: '1e3' }, /invalid literal/],
      [{ web: 2.5 }, /invalid literal/],
      [
        { web: '9'.repeat(100_000) },
        /^Invalid scaling format: invalid literal for int\(\) with base 10: '9{40}…'$/,
      ],
      [
        { [`x${'a'.repeat(10_000)}`]: 1 },
        /^Container type xa{39}… does not exist in application rl-app \(its types: [a-z, -]+\)$/,
      ],
      [many, /^Invalid scaling format: 51 process types in one request; scale at most 50 at once\.$/],
      [
        { web: MAX_PROCESSES_PER_TYPE, worker: MAX_PROCESSES_PER_TYPE, noisy: 1 },
        new RegExp(`^Cannot scale to 101 processes in all: an app may run at most ${MAX_PROCESSES_PER_APP}`),
      ],
      [{ web: null }, /./],
      [{ web: true }, /./],
    ];
    const [replies, probes] = await whileProbing(core.url, async () => {
      const out = [];
      for (const [body] of cases) out.push(await api.post(`/v2/apps/${APP}/scale/`, body));
      // JSON's own huge number: Infinity once parsed.
      out.push(await api.post(`/v2/apps/${APP}/scale/`, '{"web": 1e400}'));
      return out;
    });
    replies.forEach((r, i) => {
      expect(r.status, JSON.stringify(cases[i]?.[0] ?? '1e400').slice(0, 80)).toBe(400);
      const message = JSON.stringify(r.body);
      expect(message.length).toBeLessThan(400);
      if (cases[i]) {
        const detail = (r.body as { detail?: string }).detail ?? message;
        expect(detail).toMatch(cases[i]![1]);
      }
    });
    expect(probes.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
    expect({ structure: await structure(), pods: await pods() }).toEqual(before);
    // Counts within the limits still scale.
    expect((await api.post(`/v2/apps/${APP}/scale/`, { web: ' 2 ', worker: '+1' })).status).toBe(204);
    expect(await pods()).toBe(3);
    expect((await api.post(`/v2/apps/${APP}/scale/`, { web: 1, worker: 0 })).status).toBe(204);
  }, 120_000);

  it('answers a run printing 400 MB without newlines with the end of its output, the core staying small', async () => {
    const [r, probes] = await whileProbing(core.url, () =>
      api.post(`/v2/apps/${APP}/run`, { command: FLAT }),
    );
    expect(r.status).toBe(200);
    const { exit_code, output } = r.body as { exit_code: number; output: string };
    expect(exit_code).toBe(0);
    const total = SIZE + '\nfinished\n'.length;
    expect(output).toMatch(
      new RegExp(
        `^\\[${total - MAX_RUN_OUTPUT_CHARS} earlier characters of output were dropped; only the last ${MAX_RUN_OUTPUT_CHARS} are kept here\\]\\n`,
      ),
    );
    expect(output.endsWith(`${'x'.repeat(1000)}\nfinished\n`)).toBe(true);
    expect(output.length).toBeLessThan(MAX_RUN_OUTPUT_CHARS + 200);
    expect(probes.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
    expect(memory(core).peak).toBeLessThan(RSS_BOUND_KB);
    console.log(
      `400 MB run, JSON answer: core memory ${JSON.stringify(memory(core))} kB; probes ${JSON.stringify(probes)}`,
    );
  }, 300_000);

  it('answers a run printing 400 MB of lines through the JSON endpoint too', async () => {
    const [r, probes] = await whileProbing(core.url, () =>
      api.post(`/v2/apps/${APP}/run`, { command: LINES }),
    );
    const { exit_code, output } = r.body as { exit_code: number; output: string };
    expect(exit_code).toBe(0);
    expect(output).toMatch(/^\[\d+ earlier characters of output were dropped/);
    expect(output.endsWith(`\n${'x'.repeat(100)}\nfinished\n`)).toBe(true);
    expect(probes.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
    expect(memory(core).peak).toBeLessThan(RSS_BOUND_KB);
  }, 300_000);

  it('streams every character of a 400 MB run to its client, with or without newlines', async () => {
    for (const [command, total] of [
      [FLAT, SIZE + '\nfinished\n'.length],
      [LINES, SIZE + SIZE / 100 + 'finished\n'.length],
    ] as const) {
      const [r, probes] = await whileProbing(core.url, () => streamingRun(core.url, api.token!, command));
      expect(r).toMatchObject({ status: 200, chars: total, exit: 0 });
      expect(r.tail.endsWith('x\nfinished\n')).toBe(true);
      expect(probes.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
      expect(memory(core).peak).toBeLessThan(RSS_BOUND_KB);
    }
    console.log(`400 MB runs, streamed: core memory ${JSON.stringify(memory(core))} kB`);
  }, 600_000);

  it('holds a streaming run back while its client does not read, and stops it when the client goes away', async () => {
    const port = Number(new URL(core.url).port);
    const body = JSON.stringify({ command: ENDLESS });
    const client = stalledClient(
      port,
      `POST /v2/desktop/apps/${APP}/run/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: token ${api.token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    const before = memory(core).rss;
    const [, probes] = await whileProbing(core.url, () => sleep(8000));
    expect(probes.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
    // The command waits for its reader, and the core did not take its output.
    expect(await runContainers()).toBe(1);
    expect(memory(core).rss - before).toBeLessThan(200_000);
    await client.readUntil('event: output');
    client.socket.destroy();
    await eventually(async () => (await runContainers()) === 0, 30_000);
  }, 120_000);

  it('stays responsive while an app writes 40 MB without a newline, and its logs still answer', async () => {
    const [, probes] = await whileProbing(core.url, async () => {
      expect((await api.post(`/v2/apps/${APP}/scale/`, { noisy: 1 })).status).toBe(204);
      await eventually(async () => {
        const logs = await api.get(`/v2/apps/${APP}/logs?log_lines=20`);
        return logs.text.includes('noise done');
      }, 120_000);
    });
    expect(probes.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
    const logs = await api.get(`/v2/apps/${APP}/logs?log_lines=20`);
    const lines = logs.text.slice(2, -1).split('\\n');
    // The 40 MB line is kept cut, once, with a marker.
    const cut = lines.filter((l) => l.includes(LINE_CUT_MARKER.trim()));
    expect(cut).toHaveLength(1);
    expect(cut[0]).toMatch(new RegExp(`\\]: x{${MAX_LINE_CHARS}} \\[line cut`));
    expect((await api.post(`/v2/apps/${APP}/scale/`, { noisy: 0 })).status).toBe(204);
    expect(memory(core).peak).toBeLessThan(RSS_BOUND_KB);
  }, 180_000);

  it('skips log lines for a follower that stops reading, and says how many', async () => {
    const port = Number(new URL(core.url).port);
    const client = stalledClient(
      port,
      `GET /v2/desktop/apps/${APP}/logs/?log_lines=0 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: token ${api.token}\r\n\r\n`,
    );
    const before = memory(core).rss;
    const [, probes] = await whileProbing(core.url, async () => {
      expect((await api.post(`/v2/apps/${APP}/scale/`, { chatty: 1 })).status).toBe(204);
      await eventually(
        async () => (await api.get(`/v2/apps/${APP}/logs?log_lines=5`)).text.includes('chatty done'),
        120_000,
      );
    });
    expect(probes.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
    // 40 MB of lines went by; the core kept at most its backlog of them for this reader.
    expect(memory(core).rss - before).toBeLessThan(200_000);
    const text = await client.readUntil('log line(s) skipped here');
    expect(text).toMatch(
      /deis\[controller\]: WARN \d+ log line\(s\) skipped here: this reader took them more slowly/,
    );
    client.socket.destroy();
    expect((await api.post(`/v2/apps/${APP}/scale/`, { chatty: 0 })).status).toBe(204);
  }, 180_000);

  it('refuses log_lines beyond what a log keeps', async () => {
    const r = await api.get(`/v2/apps/${APP}/logs?log_lines=${'9'.repeat(50)}`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      detail: 'log_lines must be a whole number from 0 to 10000, not "99999999999999999999…".',
    });
  });

  it('refuses a run command longer than one argument may be, or holding a NUL, before any container starts', async () => {
    const before = await runContainers();
    const long = await api.post(`/v2/apps/${APP}/run`, { command: `echo ${'x'.repeat(70_000)}` });
    expect(long.status).toBe(400);
    expect(long.body).toEqual({
      command: [
        'Ensure this field has no more than 65536 characters; put a longer script in the app and run that.',
      ],
    });
    const nul = await api.post(`/v2/apps/${APP}/run`, { command: 'echo a\u0000b' });
    expect(nul.status).toBe(400);
    expect(nul.body).toEqual({ command: ['A command cannot contain a NUL character.'] });
    expect(await runContainers()).toBe(before);
    // Just under the limit still runs.
    const fits = await api.post(`/v2/apps/${APP}/run`, { command: `echo ${'y'.repeat(60_000)} | wc -c` });
    expect(fits.status).toBe(200);
    expect((fits.body as { output: string }).output.trim()).toBe('60001');
  });
});
