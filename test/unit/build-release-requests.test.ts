import { describe, expect, it } from 'vitest';
import { parseBody } from '../../main/api/validate';
import { CreateBuildRequest } from '../../main/contract/builds';
import { DeisError } from '../../main/contract/errors';
import { RollbackRequest } from '../../main/contract/releases';

function fieldErrors(fn: () => unknown): Record<string, string[]> | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof DeisError) return err.fields;
    throw err;
  }
}

describe('build requests', () => {
  const build = (body: unknown) => parseBody(CreateBuildRequest, body);

  it('takes an image and an optional Procfile map', () => {
    expect(
      build({ image: 'nginx:1', procfile: { web: 'nginx -g "daemon off;"', 'worker-1': 'run' } }),
    ).toEqual({
      image: 'nginx:1',
      procfile: { web: 'nginx -g "daemon off;"', 'worker-1': 'run' },
    });
    expect(build({ image: 'nginx' })).toEqual({ image: 'nginx' });
  });

  it('requires a non-blank image string', () => {
    expect(fieldErrors(() => build({}))).toEqual({ image: ['This field is required.'] });
    expect(fieldErrors(() => build({ image: '  ' }))).toEqual({ image: ['This field may not be blank.'] });
    expect(fieldErrors(() => build({ image: null }))).toEqual({ image: ['This field may not be null.'] });
    expect(fieldErrors(() => build({ image: ['x'] }))).toEqual({ image: ['Not a valid string.'] });
  });

  it('rejects empty commands and bad process types', () => {
    expect(fieldErrors(() => build({ image: 'x', procfile: { web: '' } }))).toEqual({
      procfile: ["Command can't be empty for process type"],
    });
    expect(fieldErrors(() => build({ image: 'x', procfile: { Web: 'run' } }))).toEqual({
      procfile: ['Process types can only contain lowercase alphanumeric characters'],
    });
    expect(fieldErrors(() => build({ image: 'x', procfile: 'web: run' }))).toEqual({
      procfile: ['Expected a dictionary of items but got type "str".'],
    });
  });
});

describe('rollback requests', () => {
  const rollback = (body: unknown) => parseBody(RollbackRequest, body);

  it('defaults to no version and reads numbers or numeric strings', () => {
    expect(rollback(undefined).version).toBeUndefined();
    expect(rollback({}).version).toBeUndefined();
    expect(rollback({ version: null }).version).toBeNull();
    expect(rollback({ version: 3 }).version).toBe(3);
    expect(rollback({ version: '4' }).version).toBe(4);
  });

  it('rejects anything else', () => {
    expect(fieldErrors(() => rollback({ version: 'v3' }))).toEqual({
      version: ['A valid integer is required.'],
    });
    expect(fieldErrors(() => rollback({ version: 1.5 }))).toEqual({
      version: ['A valid integer is required.'],
    });
  });
});
