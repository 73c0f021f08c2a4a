/**
 * The built renderer at the root of the API's address, so a browser (or a machine without a display)
 * gets the whole desktop UI: static files with content types, no way out of the folder, and every
 * other non-API path answered with index.html (the UI routes by hash, but old links still land).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ApiResponse, Router } from '../router';

/** Only our own scripts, styles and the API on the same origin; no framing, no plugins. */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/** Paths the UI never shadows: the API and the health probes keep their own 404s. */
export const UI_PATH = '(?!/v2(?:/|$)|/healthz|/readiness)(/.*)';

/** The file under `root` that `urlPath` names, or undefined if it would leave the folder. */
export function resolveUiFile(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const file = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  return file === root || file.startsWith(root + path.sep) ? file : undefined;
}

function fileResponse(file: string, cache: string): ApiResponse {
  return {
    status: 200,
    body: fs.readFileSync(file),
    contentType: TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    headers: {
      'Cache-Control': cache,
      'Content-Security-Policy': UI_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    },
  };
}

const isFile = (file: string) => fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;

export function uiRoutes(r: Router, root: string | undefined): void {
  const dir = root ? path.resolve(root) : undefined;
  const index = dir ? path.join(dir, 'index.html') : undefined;
  r.add(
    UI_PATH,
    {
      GET: (req) => {
        if (!dir || !index || !isFile(index))
          return {
            status: 404,
            contentType: 'text/plain; charset=utf-8',
            body: 'The UI is not built. Run `npm run serve` (it builds it) or `node scripts/build-renderer.mjs`.',
          };
        const file = resolveUiFile(dir, req.path);
        if (file && isFile(file))
          // Vite names assets by content hash, so they never change; index.html always may.
          return fileResponse(
            file,
            req.path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
          );
        if (!file || path.extname(req.path) !== '')
          return { status: 404, contentType: 'text/plain; charset=utf-8', body: 'Not found.' };
        return fileResponse(index, 'no-cache');
      },
    },
    'none',
  );
}
