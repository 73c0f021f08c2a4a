/**
 * The tag a Docker host target gives its copies of an app's images: a valid Docker reference for any
 * DEIS_INSTANCE (which is not checked as one), never a registry's name, and apart per target.
 */
import { describe, expect, it } from 'vitest';
import { hostImageRepo, hostImageTag } from '../../cluster/ssh/image-copy';

/** Docker's reference grammar for a repository path (no registry, no tag). */
const REPO = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

describe('hostImageRepo', () => {
  it('is <instance>/<app> for an instance that is a valid repository name', () => {
    expect(hostImageRepo('deis-desktop-edge', 'web')).toBe('deis-desktop-edge/web');
    expect(hostImageTag('deis-desktop-edge', 'web', `sha256:${'ab12'.repeat(16)}`)).toEqual({
      repo: 'deis-desktop-edge/web',
      tag: 'ab12ab12ab12',
    });
  });

  it('makes any other instance a valid repository, told apart by a hash of the original', () => {
    for (const instance of ['Deis_Desktop-Edge', 'a..b', '-x-', '', 'localhost', 'ÜBER-edge']) {
      const repo = hostImageRepo(instance, 'web');
      expect(repo, instance).toMatch(REPO);
      expect(repo.split('/')[0], instance).not.toBe('localhost');
    }
    expect(hostImageRepo('Edge', 'web')).not.toBe(hostImageRepo('edge', 'web'));
  });
});
