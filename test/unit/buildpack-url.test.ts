// BUILDPACK_URL's rules: which values may be set, how they are shown, and what is masked in output.
import { describe, expect, it } from 'vitest';
import { parseBuildpackUrl, redact, type BuildpackSource } from '../../main/contract/buildpack-url';

const ok = (v: string) => parseBuildpackUrl(v) as BuildpackSource;
const problem = (v: string) => parseBuildpackUrl(v) as string;

describe('BUILDPACK_URL', () => {
  it('takes https, http, git and ssh URLs and git@host:path, with an optional ref', () => {
    expect(ok('https://github.com/heroku/heroku-buildpack-python.git#v250')).toMatchObject({
      repo: 'https://github.com/heroku/heroku-buildpack-python.git',
      ref: 'v250',
      transport: 'https',
      secrets: [],
    });
    expect(ok('git@github.com:org/bp.git')).toMatchObject({ transport: 'ssh', ref: undefined });
    expect(ok('ssh://git@git.example.com:2222/bp.git')).toMatchObject({ transport: 'ssh' });
    expect(ok('git://10.0.0.5/bp.git#feature/x')).toMatchObject({ transport: 'git', ref: 'feature/x' });
    expect(ok('https://[2001:db8::1]/bp.git')).toMatchObject({ transport: 'https' });
  });

  it('refuses every form of this machine', () => {
    for (const host of [
      '127.0.0.1',
      '127.255.0.9',
      '0.0.0.0',
      'localhost',
      'LOCALHOST.',
      'x.localhost',
      'ip6-localhost',
      'host.docker.internal',
      '[::1]',
      '[::]',
      '[0:0:0:0:0:0:0:1]',
      '[::ffff:127.0.0.1]',
      '[::ffff:7f00:1]',
      '[::127.0.0.1]',
    ])
      expect(problem(`https://${host}/bp.git`), host).toMatch(/may not point at this machine/);
    for (const host of ['127.1', '2130706433', '0x7f000001', '017700000001', '127.0.0.01'])
      expect(problem(`https://${host}/bp.git`), host).toMatch(
        /neither a host name nor a dotted IPv4 address/,
      );
  });

  it('refuses paths, other transports, hosts that look like options and refs that could be options', () => {
    for (const v of [
      '/srv/bp.git',
      './bp',
      'file:///srv/bp.git',
      'ext::sh -c id',
      'fd::0',
      'ftp://h.example/bp.git',
      'https://h.example',
      'https://-oProxyCommand=x/bp.git',
      'git@-oProxyCommand=x:bp.git',
      'git@h.example:-bp.git',
      'https://h.example/bp.git x',
      'https://h\\.example/bp.git',
    ])
      expect(problem(v), v).toMatch(/must be a git URL/);
    for (const ref of [
      '--upload-pack=x',
      '-b',
      '../main',
      'a..b',
      'main.lock',
      'main/',
      '/main',
      'x@{1}',
      '',
    ])
      expect(problem(`https://h.example/bp.git#${ref}`), ref).toMatch(/must be a branch, tag or commit name/);
    expect(problem(`https://h.example/${'x'.repeat(3000)}`)).toMatch(/at most 2048 characters/);
  });

  it('masks credentials when showing a URL, and in any output', () => {
    const s = ok('https://deploy:t%40ken-123@git.example.com/bp.git#main');
    expect(s.masked).toBe('https://***@git.example.com/bp.git#main');
    expect(
      redact(
        'fatal: could not read from https://deploy:t%40ken-123@git.example.com and t@ken-123',
        s.secrets,
      ),
    ).toBe('fatal: could not read from https://***@git.example.com and ***');
    // A token given as the user name is a secret too; an SSH user name is not.
    expect(ok('https://ghp_abcdef123@github.com/o/bp.git').masked).toBe('https://***@github.com/o/bp.git');
    expect(ok('ssh://git@github.com/o/bp.git')).toMatchObject({
      masked: 'ssh://git@github.com/o/bp.git',
      secrets: [],
    });
    expect(ok('ssh://git:pw123@github.com/o/bp.git').masked).toBe('ssh://git:***@github.com/o/bp.git');
  });
});
