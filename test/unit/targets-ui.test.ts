/**
 * How the Targets screen reads targets: states in words (not colour alone), a kind it does not know
 * (an SSH Docker host, added by another part of the core) kept and shown as its word, an app's
 * address through a target's router, an image's short digest, and where a promoted release came from.
 */
import { describe, expect, it } from 'vitest';
import { TargetSchema } from '../../renderer/features/targets/store';
import {
  appUrlVia,
  digestOf,
  kindWords,
  promotedFrom,
  stateWords,
  targetNameProblem,
} from '../../renderer/features/targets/words';

describe('targets in the UI', () => {
  it('says every state in words, and an unknown one as it is', () => {
    expect(stateWords({ state: 'ready' })).toEqual({ label: 'Ready', tone: 'ok' });
    expect(stateWords({ state: 'idle' }).label).toBe('Idle: connects when an app needs it');
    expect(stateWords({ state: 'unavailable' })).toEqual({ label: 'Unavailable', tone: 'bad' });
    expect(stateWords({ state: 'host key unknown' }).label).toBe('host key unknown');
  });

  it('keeps a target of a kind it does not know, with fields it does not know, and names the kind as text', () => {
    const parsed = TargetSchema.safeParse({
      name: 'edge',
      kind: 'docker-ssh',
      default: false,
      state: 'ready',
      message: '',
      server: 'ssh://ops@edge.example.com',
      host_key: 'SHA256:abc',
      apps: 2,
    });
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject({ name: 'edge', kind: 'docker-ssh', apps: 2, registry: '' });
    expect(kindWords(parsed.data!.kind)).toBe('docker-ssh');
    expect(kindWords('kubernetes')).toBe('Kubernetes');
  });

  it('checks a new target name as the core does', () => {
    expect(targetNameProblem('prod')).toBeNull();
    expect(targetNameProblem('local')).toMatch(/pick another name/);
    expect(targetNameProblem('Prod_1')).toMatch(/lower-case letters, digits and dashes/);
    expect(targetNameProblem('')).toBe('Give the target a name.');
  });

  it("gives an app's address through a target's router", () => {
    expect(appUrlVia('http://127.0.0.1:30997', 'web-prod')).toBe('http://web-prod.localhost:30997/');
    expect(appUrlVia('https://apps.example.com', 'web-prod')).toBe('https://web-prod.apps.example.com/');
    expect(appUrlVia('', 'web')).toBeNull();
  });

  it('shortens a digest and reads where a promoted release came from', () => {
    const d = `sha256:${'0123456789abcdef'.repeat(4)}`;
    expect(digestOf(`registry.example.com:5000/web-prod@${d}`)).toBe(d);
    expect(digestOf(d)).toBe(d);
    expect(digestOf('web:v2')).toBeNull();
    expect(promotedFrom('admin promoted v7 from local')).toEqual({ version: 7, target: 'local' });
    expect(promotedFrom('admin deployed a074980')).toBeNull();
  });
});
