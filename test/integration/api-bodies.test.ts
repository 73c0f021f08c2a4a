/**
 * Request bodies and connections cannot take the core's memory or sockets: a request that may not
 * proceed is answered before its body is read (and the connection closed), bodies have a size limit
 * (small for anyone not signed in) and a shared budget, slow or idle clients are cut off, and the
 * number of connections is capped — while /healthz keeps answering and streams keep streaming.
 * The core runs in its own process, so its memory is measured apart from the test's.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_ANONYMOUS_BODY_LIMIT,
  API_BODY_BYTES_IN_FLIGHT,
  API_BODY_LIMIT,
  API_MAX_CONNECTIONS,
} from '../../main/contract/limits';
import { Api } from '../support/core';
import { counts, flood } from '../support/flood';
import { detailOf, rawRequest } from '../support/http';
import { PROBE_LIMIT_MS, whileProbing } from '../support/responsive';
import { serve, type ServedCore } from '../support/serve';

let home: string;
let core: ServedCore;
let port: number;
let admin: Api;
beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-bodies-'));
  const started = await serve(home);
  if (!started.core) throw new Error(`the core did not start: ${started.output}`);
  core = started.core;
  port = Number(new URL(core.url).port);
  admin = await new Api(core.url).register('admin');
}, 60_000);
afterAll(async () => {
  await core?.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

const MiB = 1024 * 1024;

/** What came back on a raw connection: the head of the answer, and whether the server closed it. */
interface Exchange {
  head: string;
  body: string;
  closed: boolean;
}

/**
 * Sends `head` and then `sent` bytes of body on a fresh connection and waits for an answer, without
 * ever sending the rest: an answer that waits for the whole body never comes (the test times out).
 */
function partial(head: string, sent: Buffer | string = ''): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from(head), Buffer.from(sent)])));
    socket.on('data', (d) => (text += d.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      const [h = '', b = ''] = text.split('\r\n\r\n');
      if (!h) reject(new Error('the connection closed without an answer'));
      resolve({ head: h, body: b, closed: true });
    });
  });
}

const post = (p: string, headers: Record<string, string>) =>
  `POST ${p} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('') +
  '\r\n';

/** A JSON body for POST /v2/apps/ of exactly `size` bytes (the padding field is ignored). */
function appBody(id: string, size: number): string {
  const prefix = `{"id":"${id}","pad":"`;
  return prefix + 'a'.repeat(size - prefix.length - 2) + '"}';
}

describe('a body from someone who may not send it', () => {
  it('is refused (401) before it is sent, and the connection is closed', async () => {
    const r = await partial(
      post('/v2/apps/', { 'Content-Length': String(8 * MiB) }),
      Buffer.alloc(64 * 1024, 0x20),
    );
    expect(r.head).toMatch(/^HTTP\/1\.1 401 /);
    expect(r.head).toMatch(/\r\nConnection: close/i);
    expect(detailOf(r.body)).toBe('Authentication credentials were not provided.');
  });

  it('150 parallel 8 MB bodies without a token: all refused, memory stays bounded, /healthz answers', async () => {
    const before = core.rss();
    // From another process, as an attacker would: the probes measure the core, not this process's sending.
    const [replies, report] = await whileProbing(core.url, () =>
      flood(core.url, {
        method: 'POST',
        path: '/v2/apps/',
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(8 * MiB) },
        bodySize: 8 * MiB,
        count: 150,
      }),
    );
    const n = counts(replies);
    const after = core.rss();
    console.log(
      `150 × 8 MB unauthenticated bodies: ${JSON.stringify(n)}; core rss ${(before / MiB).toFixed(0)} MiB → ` +
        `${(after / MiB).toFixed(0)} MiB; slowest /healthz ${report.slowestMs} ms over ${report.probes} probes`,
    );
    // Each is answered 401, or (under this load) its connection was closed before the client read the answer.
    expect(
      Object.keys(n).every((k) => ['401', 'EPIPE', 'ECONNRESET'].includes(k)),
      JSON.stringify(n),
    ).toBe(true);
    expect(n['401']).toBeGreaterThan(0);
    expect(report.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
  }, 120_000);

  it.each(['/v2/auth/login/', '/v2/auth/register/'])(
    'on a public route (%s) may be small only: 413 before it is read',
    async (route) => {
      const r = await partial(post(route, { 'Content-Length': String(MiB) }), '{"username":');
      expect(r.head).toMatch(/^HTTP\/1\.1 413 /);
      expect(r.head).toMatch(/\r\nConnection: close/i);
      expect(detailOf(r.body)).toBe(
        `The request body is larger than the ${API_ANONYMOUS_BODY_LIMIT / 1024} KiB this endpoint accepts; send less at once.`,
      );
    },
  );

  it('sent in chunks is cut off as soon as it passes the limit', async () => {
    const chunk = 'a'.repeat(8 * 1024);
    const chunks = Array.from({ length: 4 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
    const r = await partial(post('/v2/auth/login/', { 'Transfer-Encoding': 'chunked' }), chunks);
    expect(r.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.head).toMatch(/\r\nConnection: close/i);
  });
});

describe('a body from a signed-in user', () => {
  it('is accepted up to the general limit', async () => {
    const body = appBody('big-ok', 1.5 * MiB);
    const r = await rawRequest(core.url, {
      method: 'POST',
      path: '/v2/apps/',
      headers: { 'Content-Type': 'application/json', Authorization: `token ${admin.token}` },
      body,
    });
    expect(r.status, r.text).toBe(201);
  });

  it('over the limit is refused with a sentence', async () => {
    const r = await partial(
      post('/v2/apps/', {
        'Content-Length': String(API_BODY_LIMIT + 1),
        Authorization: `token ${admin.token}`,
      }),
      '{',
    );
    expect(r.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(detailOf(r.body)).toBe(
      `The request body is larger than the ${API_BODY_LIMIT / 1024} KiB this endpoint accepts; send less at once.`,
    );
  });

  it('waits for the budget of bytes in flight: beyond it, 503 with a sentence, and then it frees up', async () => {
    const size = API_BODY_LIMIT;
    const holders = API_BODY_BYTES_IN_FLIGHT / size;
    const sockets: net.Socket[] = [];
    const answers: Promise<string>[] = [];
    // Each holder declares the largest body and sends only its first bytes.
    for (let i = 0; i < holders; i++) {
      const body = appBody(`budget-${i}`, size);
      const socket = net.connect(port, '127.0.0.1');
      sockets.push(socket);
      answers.push(
        new Promise((resolve) => {
          let text = '';
          socket.on('data', (d) => (text += d.toString()));
          socket.on('close', () => resolve(text));
          socket.on('error', () => {});
        }),
      );
      await new Promise<void>((resolve) =>
        socket.write(
          post('/v2/apps/', {
            'Content-Length': String(size),
            Authorization: `token ${admin.token}`,
            Connection: 'close',
          }) + body.slice(0, 1000),
          () => resolve(),
        ),
      );
    }
    // Let the core see every holder's headers before the one that should not fit.
    await new Promise((r) => setTimeout(r, 300));
    const refused = await partial(
      post('/v2/apps/', { 'Content-Length': String(64 * 1024), Authorization: `token ${admin.token}` }),
      '{',
    );
    expect(refused.head).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused.head).toMatch(/\r\nRetry-After: 1/i);
    expect(detailOf(refused.body)).toBe(
      'The core is receiving too many large requests at once; try again in a moment.',
    );

    sockets.forEach((s, i) => s.end(appBody(`budget-${i}`, size).slice(1000)));
    for (const text of await Promise.all(answers)) expect(text).toMatch(/^HTTP\/1\.1 201 /);
    const after = await rawRequest(core.url, {
      method: 'POST',
      path: '/v2/apps/',
      headers: { 'Content-Type': 'application/json', Authorization: `token ${admin.token}` },
      body: appBody('budget-after', 64 * 1024),
    });
    expect(after.status, after.text).toBe(201);
  });
});

describe('connections', () => {
  it('a client that never finishes its headers is cut off', async () => {
    const r = await partial(`POST /v2/auth/login/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
    expect(r.head).toMatch(/^HTTP\/1\.1 408 /);
  }, 30_000);

  it(`beyond ${API_MAX_CONNECTIONS} open connections a new one is closed, and the core answers again once they go`, async () => {
    const idle: net.Socket[] = [];
    try {
      for (let i = 0; i < API_MAX_CONNECTIONS; i++) {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => {});
        idle.push(s);
        await new Promise((r) => s.once('connect', r));
      }
      await new Promise((r) => setTimeout(r, 300));
      const extra = await rawRequest(core.url, { path: '/healthz' }).then(
        (r) => r.status,
        (err: NodeJS.ErrnoException) => err.code,
      );
      expect(extra).toBe('ECONNRESET');
    } finally {
      idle.forEach((s) => s.destroy());
    }
    await new Promise((r) => setTimeout(r, 300));
    expect((await rawRequest(core.url, { path: '/healthz' })).status).toBe(200);
  });

  it('a stream (the event stream) stays open past the time limit for sending a request', async () => {
    const abort = new AbortController();
    const res = await fetch(`${core.url}/v2/desktop/events/`, {
      headers: { Authorization: `token ${admin.token}` },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'ended';
        text += new TextDecoder().decode(value);
      }
    })();
    // API_REQUEST_TIMEOUT_MS (30 s) and Node's check interval have passed; the server pings every 15 s.
    const outcome = await Promise.race([reading, new Promise((r) => setTimeout(() => r('open'), 33_000))]);
    abort.abort();
    expect(outcome).toBe('open');
    expect(text).toContain(': ping');
  }, 45_000);
});
