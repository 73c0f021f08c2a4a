/** Serving the built UI: files inside its folder only, whatever the path's encoding tries. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveUiFile, UI_PATH } from '../../main/api/routes/ui';

const root = path.resolve('/srv/ui');

describe('the UI route', () => {
  it('maps paths to files under its folder', () => {
    expect(resolveUiFile(root, '/')).toBe(root);
    expect(resolveUiFile(root, '/assets/index-abc.js')).toBe(path.join(root, 'assets/index-abc.js'));
    expect(resolveUiFile(root, '/a%20b.css')).toBe(path.join(root, 'a b.css'));
  });

  it('never leaves the folder', () => {
    for (const p of [
      '/../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%2f..%2fsecret',
      '/..\\x',
      '/a%00b',
    ])
      expect(resolveUiFile(root, p) ?? root, p).toMatch(new RegExp(`^${root}`));
    expect(resolveUiFile(root, '/%E0%A4%A')).toBeUndefined();
  });

  it('leaves the API and the health probes to their own routes', () => {
    const re = new RegExp(`^${UI_PATH}$`);
    for (const p of ['/', '/index.html', '/apps/web', '/assets/x.js', '/v2x'])
      expect(re.test(p), p).toBe(true);
    for (const p of ['/v2', '/v2/', '/v2/apps/', '/healthz', '/readiness']) expect(re.test(p), p).toBe(false);
  });
});
