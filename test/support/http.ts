/**
 * One HTTP exchange with every header under the test's control (fetch will not send a foreign Host or
 * an Origin of our choosing): a browser, a rebinding page or a hostile client, as the core sees them.
 */
import http from 'node:http';

export interface RawReply {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export function rawRequest(url: string, r: RawRequest): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: hostname, port, path: r.path, method: r.method ?? 'GET', headers: r.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

/** The `detail` of a Deis error body, or undefined when the body is not one. */
export function detailOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && typeof (body as { detail?: unknown }).detail === 'string')
      return (body as { detail: string }).detail;
  } catch {
    /* not JSON */
  }
  return undefined;
}
