/**
 * `npm run serve` as a user starts it: a real process that serves the built UI at the API's root
 * (with its CSP, the right content types and the SPA fallback) beside the API, and stops cleanly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let child: ChildProcess;
let url: string;
let home: string;

describe('npm run serve', () => {
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-serve-'));
    // What `preserve` does: build the UI if its sources changed.
    expect(spawnSync(process.execPath, ['scripts/build-renderer.mjs']).status).toBe(0);
    // As `npm run serve` runs it: one node process with tsx as its loader.
    child = spawn(process.execPath, ['--import', 'tsx', 'main/serve.ts'], {
      env: {
        ...process.env,
        // The UI and API are under test here: the fake target leaves no Docker network behind.
        DEIS_TARGET: 'fake',
        DEIS_HOME: home,
        DEIS_API_PORT: '0',
        DEIS_BUILDER_PORT: '0',
        DEIS_ROUTER_PORT: '0',
        DEIS_ROUTER_TLS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /API (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
  }, 60_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('serves the UI with a strict CSP, its assets with their types, and index.html for app paths', async () => {
    const index = await fetch(`${url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await index.text();
    expect(html).toContain('<div id="root">');

    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(url + script!);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');

    const deep = await fetch(`${url}/apps/web/config`);
    expect(await deep.text()).toBe(html);
    expect((await fetch(`${url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${url}/%2e%2e/package.json`)).status).toBe(404);
  });

  it('keeps the API and its JSON errors beside the UI', async () => {
    const info = await fetch(`${url}/v2/desktop/info/`);
    expect(((await info.json()) as { first_run: boolean }).first_run).toBe(true);
    const missing = await fetch(`${url}/v2/no-such-thing/`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/json');
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 20_000);
});
