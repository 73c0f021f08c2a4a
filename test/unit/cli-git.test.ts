import { describe, expect, it } from 'vitest';
import { builderHostname, isAddressHost, remoteApp, repositoryUrl } from '../../main/cli/git';

describe('git remotes of apps', () => {
  it('derives the builder host from a named controller, as Deis does', () => {
    const c = new URL('http://deis.example.com:8000');
    expect(builderHostname('deis.example.com')).toBe('deis-builder.example.com');
    expect(repositoryUrl(c, 'foo')).toBe('ssh://git@deis-builder.example.com:2222/foo.git');
    expect(remoteApp('ssh://git@deis-builder.example.com:2222/foo.git', c)).toBe('foo');
    expect(remoteApp('git@github.com:me/foo.git', c)).toBeUndefined();
  });

  it('uses the controller host itself and the desktop builder port for IP and localhost controllers', () => {
    expect(isAddressHost('127.0.0.1')).toBe(true);
    expect(isAddressHost('[::1]')).toBe(true);
    expect(isAddressHost('localhost')).toBe(true);
    expect(isAddressHost('deis.local')).toBe(false);
    const c = new URL('http://127.0.0.1:8765');
    expect(repositoryUrl(c, 'foo', 2223)).toBe('ssh://git@127.0.0.1:2223/foo.git');
    expect(repositoryUrl(new URL('http://localhost:8765'), 'foo')).toBe('ssh://git@localhost:2222/foo.git');
    expect(repositoryUrl(new URL('http://[::1]:8765'), 'foo')).toBe('ssh://git@[::1]:2222/foo.git');
  });

  it('recognises the remotes it creates, whatever the builder port, and nothing else', () => {
    const c = new URL('http://127.0.0.1:8765');
    expect(remoteApp('ssh://git@127.0.0.1:2223/foo.git', c)).toBe('foo');
    expect(remoteApp('ssh://git@127.0.0.1:2222/foo.git', c)).toBe('foo');
    expect(remoteApp('ssh://git@127.0.0.2:2222/foo.git', c)).toBeUndefined();
    expect(remoteApp('ssh://git@127.0.0.1:22/team/foo.git', c)).toBeUndefined();
    expect(remoteApp('https://127.0.0.1/foo.git', c)).toBeUndefined();
    expect(remoteApp('/srv/git/foo.git', c)).toBeUndefined();
  });
});
