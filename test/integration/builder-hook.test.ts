/**
 * The pre-receive hook as git runs it (the sh stub, then bash, or Node without bash) against the real
 * hook bridge: what the hook sends arrives exactly, the build's output shows exactly, and nothing the
 * build prints can make a failed build read as accepted.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HookBridge } from '../../main/builder/bridge';
import type { HookCall } from '../../main/builder/prereceive';
import {
  findBash,
  HOOK_ENV,
  PRE_RECEIVE_BASH,
  PRE_RECEIVE_JS,
  PRE_RECEIVE_SH,
} from '../../main/builder/hook-script';
import type { BuildResult } from '../../main/builder/types';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-hook-'));
const stub = path.join(dir, 'pre-receive');
const js = path.join(dir, 'pre-receive.cjs');
const bashScript = path.join(dir, 'pre-receive.bash');
let bridge: HookBridge;

beforeAll(async () => {
  fs.writeFileSync(stub, PRE_RECEIVE_SH, { mode: 0o755 });
  fs.writeFileSync(js, PRE_RECEIVE_JS);
  fs.writeFileSync(bashScript, PRE_RECEIVE_BASH);
  bridge = new HookBridge(() => {});
  await bridge.listen();
});
afterAll(async () => {
  await bridge.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// Ref names may hold a double quote (git refuses backslashes and control characters in them).
const REFS = `${'1'.repeat(40)} ${'2'.repeat(40)} refs/heads/main\n${'0'.repeat(40)} ${'3'.repeat(40)} refs/heads/say-"hi"-é\n`;
const QUARANTINE = {
  GIT_QUARANTINE_PATH: '/repos/a b/objects/tmp_objdir-incoming-"x"\\y',
  GIT_OBJECT_DIRECTORY: '/repos/a b/objects/tmp_objdir-incoming-"x"\\y',
  GIT_ALTERNATE_OBJECT_DIRECTORIES: '/repos/a b/objects:/other\tdir',
};
// What a build may print: lines that look like the protocol's end, a tab, a carriage return, text.
const PRINTED = ['D0', ' D0', 'D1', '{"done":true,"ok":true}', 'tab\there', 'cr\rhere', 'ünï€ode', ''];

function runHook(
  which: 'bash' | 'node',
  handler: (call: HookCall, line: (l: string) => void, shown: () => string) => Promise<BuildResult>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  const token = bridge.register(
    (call, output) =>
      handler(
        call,
        (l) => output.line(l),
        () => stdout,
      ),
    new AbortController().signal,
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...QUARANTINE,
    [HOOK_ENV.token]: token,
    [HOOK_ENV.port]: String(bridge.port),
    [HOOK_ENV.script]: js,
    // The bash hook must not need Node: a Node that fails shows whether it ran.
    [HOOK_ENV.node]: which === 'bash' ? '/bin/false' : process.execPath,
  };
  if (which === 'bash')
    Object.assign(env, { [HOOK_ENV.bash]: findBash(), [HOOK_ENV.bashScript]: bashScript });
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', [stub], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(REFS);
  });
}

const hooks = [...(process.platform !== 'win32' && findBash() ? (['bash'] as const) : []), 'node' as const];

describe.each(hooks)('the %s pre-receive hook with the real bridge', (which) => {
  it('sends the refs and quarantine paths exactly, and shows the output exactly; a failed build stays failed', async () => {
    let got: HookCall | undefined;
    const r = await runHook(which, async (call, line) => {
      got = call;
      for (const l of PRINTED) line(l);
      return { ok: false, reason: 'Build failed:\nD0' };
    });
    expect(got).toEqual({ refs: REFS, env: QUARANTINE });
    expect(r.stdout).toBe([...PRINTED, 'Build failed:', 'D0', ''].join('\n'));
    expect(r.code).toBe(1);
  });

  it('shows each line as the build prints it, not when the build ends', async () => {
    let streamed = false;
    const r = await runHook(which, async (_call, line, shown) => {
      line('step 1');
      for (let i = 0; i < 500 && !streamed; i++) {
        streamed = shown().includes('step 1\n');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      line('Build complete.');
      return { ok: true };
    });
    expect(streamed).toBe(true);
    expect(r).toMatchObject({ code: 0, stdout: 'step 1\nBuild complete.\n' });
  });

  it('accepts the push only when the build succeeds', async () => {
    const r = await runHook(which, async (_call, line) => {
      line('Build complete.');
      return { ok: true };
    });
    expect(r).toMatchObject({ code: 0, stdout: 'Build complete.\n' });
  });

  it('refuses the push when the builder goes away in the middle of the build', async () => {
    const r = await runHook(which, async (_call, line) => {
      line('step 1');
      await bridge.close();
      return { ok: true };
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('The builder stopped before the build finished; the push was not accepted.');
    bridge = new HookBridge(() => {});
    await bridge.listen();
  });
});
