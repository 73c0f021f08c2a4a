/** How the UI masks credentials in config values: the secret never shows, the rest of the URL does. */
import { describe, expect, it } from 'vitest';
import { hasCredentials, maskCredentials } from '../../renderer/features/services/mask';

describe('maskCredentials', () => {
  it('hides the password of a service URL and keeps the rest readable', () => {
    const url = 'postgres://deis:4f1c0e9a2b@dd-svc-notes-db:5432/notes_db';
    expect(hasCredentials(url)).toBe(true);
    expect(maskCredentials(url)).toBe('postgres://deis:••••••••@dd-svc-notes-db:5432/notes_db');
    expect(maskCredentials('redis://:s3cret@cache:6379/0')).toBe('redis://:••••••••@cache:6379/0');
  });

  it('hides a token given as the user, and a password holding a raw @', () => {
    expect(maskCredentials('https://ghp_abc123@github.com/x.git')).toBe('https://••••••••@github.com/x.git');
    const odd = maskCredentials('mysql://shop:p@ss@db:3306/shop');
    expect(odd).toBe('mysql://shop:••••••••@db:3306/shop');
    expect(odd).not.toContain('ss');
  });

  it('leaves values without credentials as they are', () => {
    for (const value of ['memcached://memo:11211', 'Howdy', 'http://x.localhost/a@b', ''])
      expect([hasCredentials(value), maskCredentials(value)]).toEqual([false, value]);
  });
});
