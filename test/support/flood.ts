/**
 * Many requests at once from another process, as an attacker's would come: the test's own event loop
 * (which also runs the /healthz probes) is not the one doing the sending. Each request is one fresh
 * connection; a reply is its status and body, or the error code when the connection failed.
 */
import { execFile } from 'node:child_process';

export interface FloodRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** A body of this many spaces (one buffer shared by every request), or `bodies[i]` for request i. */
  bodySize?: number;
  bodies?: string[];
  count: number;
}

export interface FloodReply {
  status: number | string;
  text: string;
}

const SCRIPT = `
import http from 'node:http';
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const { url, r } = JSON.parse(Buffer.concat(chunks).toString());
const { hostname, port } = new URL(url);
const shared = r.bodySize ? Buffer.alloc(r.bodySize, 0x20) : undefined;
const one = (i) => new Promise((resolve) => {
  const body = shared ?? (r.bodies ? r.bodies[i] : undefined);
  const req = http.request({ host: hostname, port, path: r.path, method: r.method, headers: r.headers, agent: false },
    (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(parts).toString() }));
    });
  req.on('error', (err) => resolve({ status: err.code ?? 'error', text: '' }));
  req.end(body);
});
const replies = await Promise.all(Array.from({ length: r.count }, (_, i) => one(i)));
process.stdout.write(JSON.stringify(replies));
`;

export function flood(url: string, r: FloodRequest): Promise<FloodReply[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', SCRIPT],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as FloodReply[])),
    );
    child.stdin!.end(JSON.stringify({ url, r }));
  });
}

/** How many replies had each status (or error code). */
export function counts(replies: FloodReply[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of replies) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}
