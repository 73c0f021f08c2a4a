/** What a drop on an app may carry: one of our service drags, nothing else (any page can start a drag). */
import { describe, expect, it } from 'vitest';
import { SERVICE_DROP_MAX_CHARS } from '../../main/contract/limits';
import { parseSource } from '../../renderer/features/services/source';

describe('a service dropped on an app', () => {
  it('is a catalog kind or a service by name', () => {
    expect(parseSource('{"kind":"postgres"}')).toEqual({ kind: 'postgres' });
    expect(parseSource('{"service":"notes-db"}')).toEqual({ service: 'notes-db' });
  });

  it('is nothing when the drop is empty, malformed, carries more, or is too long', () => {
    for (const raw of [
      '',
      'not json',
      '{"kind":"postgres","as":"PATH"}',
      '{"kind":"postgres","service":"x"}',
      '{"kind":42}',
      '["postgres"]',
      JSON.stringify({ service: 'x'.repeat(SERVICE_DROP_MAX_CHARS) }),
    ])
      expect(parseSource(raw), raw).toBeNull();
  });
});
