/** Which registry an image reference names, and that registry credentials go only to theirs. */
import { describe, expect, it } from 'vitest';
import { PullProgress, registryCredentials, registryHost, withTag } from '../../cluster/docker/pull';

describe('image references and registry credentials', () => {
  it('names the registry host of a reference (Docker Hub for short names)', () => {
    expect(registryHost('debian:bookworm-slim')).toBe('docker.io');
    expect(registryHost('library/debian')).toBe('docker.io');
    expect(registryHost('deis-desktop/stack:bookworm')).toBe('docker.io');
    expect(registryHost('127.0.0.1:5000/deis/base:1')).toBe('127.0.0.1:5000');
    expect(registryHost('registry.example.com/base')).toBe('registry.example.com');
    expect(registryHost('localhost/base')).toBe('localhost');
  });

  it('pulls one tag: a reference without one means :latest', () => {
    expect(withTag('debian')).toBe('debian:latest');
    expect(withTag('127.0.0.1:5000/base')).toBe('127.0.0.1:5000/base:latest');
    expect(withTag('127.0.0.1:5000/base:1')).toBe('127.0.0.1:5000/base:1');
    expect(withTag('debian@sha256:abc')).toBe('debian@sha256:abc');
  });

  it('takes credentials from DEIS_REGISTRY*, only when all three are set', () => {
    expect(
      registryCredentials({
        DEIS_REGISTRY: 'http://registry.example.com:5000/team',
        DEIS_REGISTRY_USERNAME: 'me',
        DEIS_REGISTRY_PASSWORD: 'pw',
      }),
    ).toEqual({ host: 'registry.example.com:5000', username: 'me', password: 'pw' });
    expect(
      registryCredentials({ DEIS_REGISTRY_USERNAME: 'me', DEIS_REGISTRY_PASSWORD: 'pw' }),
    ).toBeUndefined();
  });

  it('counts layers and bytes from the engine messages', () => {
    const p = new PullProgress('base:1');
    p.note({ status: 'Pulling fs layer', id: 'a' });
    p.note({ status: 'Already exists', id: 'b' });
    p.note({ status: 'Downloading', id: 'a', progressDetail: { current: 1_000_000, total: 4_000_000 } });
    expect(p.summary()).toBe('pulling base:1: 1 of 2 layers, 1.0 MB of 4.0 MB');
    p.note({ status: 'Pull complete', id: 'a' });
    expect(p.done()).toBe('pulled base:1: 2 layers, 4.0 MB downloaded');
  });
});
