/** The UI's own rules: .env pasting, config changes, release diffs, app names and error messages. */
import { describe, expect, it } from 'vitest';
import { errorMessage } from '../../renderer/src/api';
import { appNameProblem } from '../../renderer/features/apps/store';
import { parseDotenv } from '../../renderer/features/config/dotenv';
import { configChange, rowProblem } from '../../renderer/features/config/store';
import { diffConfig } from '../../renderer/features/releases/diff';
import { filterLines, lineOf } from '../../renderer/features/logs/store';

describe('pasting a .env', () => {
  it('reads KEY=value lines the way shells write them and reports the lines it cannot', () => {
    const { values, skipped } = parseDotenv(
      [
        '# a comment',
        'export DATABASE_URL=postgres://db/app',
        'GREETING="Hello there"',
        "SINGLE='it''s'",
        'PLAIN=value # trailing comment',
        'MULTI="a\\nb"',
        'not a pair',
        '',
      ].join('\n'),
    );
    expect(values).toEqual({
      DATABASE_URL: 'postgres://db/app',
      GREETING: 'Hello there',
      SINGLE: "it''s",
      PLAIN: 'value',
      MULTI: 'a\nb',
    });
    expect(skipped).toEqual([7]);
  });
});

describe('saving the config table', () => {
  const row = (id: number, key: string, value: string) => ({ id, key, value });

  it('sends new and edited keys, and null for removed ones', () => {
    const saved = { KEEP: '1', EDIT: 'old', GONE: 'x' };
    const draft = [row(1, 'KEEP', '1'), row(2, 'EDIT', 'new'), row(3, 'ADDED', 'y'), row(4, '', '')];
    expect(configChange(saved, draft)).toEqual({ EDIT: 'new', ADDED: 'y', GONE: null });
  });

  it("checks rows with the core's own rules before saving", () => {
    const draft = [row(1, 'PORT', 'abc'), row(2, 'A', '1'), row(3, 'A', '2'), row(4, '', 'orphan')];
    expect(rowProblem(draft[0]!, draft)).toBe('PORT can only be a numeric value');
    expect(rowProblem(draft[1]!, draft)).toBe('A appears twice.');
    expect(rowProblem(draft[3]!, draft)).toBe('Give the value a key.');
    expect(rowProblem(row(5, 'OK', 'fine'), [])).toBeUndefined();
  });
});

describe('comparing releases', () => {
  it('says per key what was added, removed, changed or kept', () => {
    expect(diffConfig({ A: '1', B: '2', C: '3' }, { A: '1', B: '9', D: '4' })).toEqual([
      { key: 'A', before: '1', after: '1', kind: 'same' },
      { key: 'B', before: '2', after: '9', kind: 'changed' },
      { key: 'C', before: '3', after: undefined, kind: 'removed' },
      { key: 'D', before: undefined, after: '4', kind: 'added' },
    ]);
  });
});

describe('app names and errors', () => {
  it('applies the Deis app id rule as the user types; empty lets the core pick', () => {
    expect(appNameProblem('')).toBeNull();
    expect(appNameProblem('my-app2')).toBeNull();
    for (const bad of ['My-app', '2app', 'app-', 'a_b']) expect(appNameProblem(bad)).toMatch(/App name must/);
  });

  it('turns every Deis error body into one sentence', () => {
    expect(errorMessage(404, 'No App matches the given query.')).toBe('No App matches the given query.');
    expect(errorMessage(403, { detail: 'You do not have permission to perform this action.' })).toBe(
      'You do not have permission to perform this action.',
    );
    expect(errorMessage(400, { id: ['App with this id already exists.'] })).toBe(
      'id: App with this id already exists.',
    );
    expect(errorMessage(400, { non_field_errors: ['Nope.'] })).toBe('Nope.');
    expect(errorMessage(503, '')).toMatch(/not answering/);
  });
});

describe('the log view', () => {
  it('knows the process type of a Deis log line, and filters by type and text', () => {
    const lines = [
      lineOf('2026-11-26T08:00:00+00:00 web-app[web.1]: listening on 5000', 'app'),
      lineOf('2026-11-26T08:00:01+00:00 web-app[worker.2]: job done', 'app'),
      lineOf('web-app[web.2]: GET / 200', 'app'),
      lineOf('a line with no source', 'app'),
    ];
    expect(lines.map((l) => l.type)).toEqual(['web', 'worker', 'web', 'app']);
    expect(filterLines(lines, 'web', '').length).toBe(2);
    expect(filterLines(lines, 'all', 'JOB').map((l) => l.type)).toEqual(['worker']);
    expect(filterLines(lines, 'web', 'get')).toEqual([lines[2]]);
  });
});
