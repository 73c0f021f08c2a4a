/** Formation rules: the default scale of a first deploy, new builds over a structure, scale requests. */
import { describe, expect, it } from 'vitest';
import { checkAppSize, defaultFormation, formationFor, parseScale } from '../../main/controller/formation';
import { DeisError } from '../../main/contract/errors';

describe('default formation (Deis: web:1, cmd:1 for Dockerfile and image builds)', () => {
  it('scales web when the Procfile has it', () => {
    expect(defaultFormation({ web: 'x', worker: 'y' }, false)).toEqual({ web: 1 });
    expect(defaultFormation({ web: 'x' }, true)).toEqual({ web: 1 });
  });
  it('scales cmd for a Dockerfile build without web', () => {
    expect(defaultFormation({}, true)).toEqual({ cmd: 1 });
    expect(defaultFormation({ worker: 'y' }, true)).toEqual({ cmd: 1 });
  });
  it('scales nothing for a buildpack Procfile without web, and web without a Procfile', () => {
    expect(defaultFormation({ worker: 'y' }, false)).toEqual({});
    expect(defaultFormation({}, false)).toEqual({ web: 1 });
  });
});

describe('formation of a new release', () => {
  it('keeps what the user scaled and drops types the new build no longer has', () => {
    expect(formationFor({ web: 3, worker: 2, clock: 1 }, { web: 'a', worker: 'b' }, false, false)).toEqual({
      web: 3,
      worker: 2,
    });
  });
  it('keeps a scale of zero instead of applying the default again', () => {
    expect(formationFor({ web: 0 }, { web: 'a' }, false, false)).toEqual({ web: 0 });
  });
  it('applies the new default when the build type changes', () => {
    expect(formationFor({ web: 2, worker: 1 }, { worker: 'b' }, true, false)).toEqual({ worker: 1, cmd: 1 });
  });
});

describe('scale requests', () => {
  const types = ['web', 'worker'];
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return err instanceof DeisError ? `${err.status} ${err.message}` : String(err);
    }
    return 'no error';
  };

  it('accepts counts as numbers or numeric strings, and cmd always (as Deis does)', () => {
    expect(parseScale({ web: 3, worker: '2', cmd: 0 }, types, 'myapp')).toEqual({
      web: 3,
      worker: 2,
      cmd: 0,
    });
  });
  it('refuses types the build does not have', () => {
    expect(message(() => parseScale({ clock: 1 }, types, 'myapp'))).toBe(
      '400 Container type clock does not exist in application myapp (its types: web, worker)',
    );
  });
  it('refuses negative or non-integer counts and malformed types', () => {
    expect(message(() => parseScale({ web: -1 }, types, 'myapp'))).toMatch(
      /^400 Invalid scaling format: Must be greater/,
    );
    expect(message(() => parseScale({ web: 'lots' }, types, 'myapp'))).toMatch(
      /^400 Invalid scaling format: invalid literal/,
    );
    expect(message(() => parseScale({ web: 1.5 }, types, 'myapp'))).toMatch(/^400 Invalid scaling format/);
    expect(message(() => parseScale({ Web_1: 1 }, types, 'myapp'))).toMatch(/^400 Invalid scaling format/);
  });
  it('refuses counts beyond the limits per type and per app, and too many types at once', () => {
    expect(parseScale({ web: 50 }, types, 'myapp')).toEqual({ web: 50 });
    expect(message(() => parseScale({ web: 51 }, types, 'myapp'))).toBe(
      '400 Cannot scale web to 51 processes: a process type may run at most 50 on Deis Desktop.',
    );
    expect(message(() => parseScale({ web: 2_000_000_000 }, types, 'myapp'))).toMatch(
      /^400 Cannot scale web to 2000000000/,
    );
    expect(message(() => parseScale({ web: 1e3 }, types, 'myapp'))).toMatch(/^400 Cannot scale web to 1000 /);
    expect(message(() => parseScale({ web: Infinity }, types, 'myapp'))).toMatch(
      /invalid literal .*'Infinity'/,
    );
    expect(message(() => parseScale({ web: '1e3' }, types, 'myapp'))).toMatch(/invalid literal .*'1e3'/);
    expect(message(() => parseScale({ web: '12abc' }, types, 'myapp'))).toMatch(/invalid literal .*'12abc'/);
    expect(message(() => parseScale({ web: '9'.repeat(1e5) }, types, 'myapp'))).toBe(
      `400 Invalid scaling format: invalid literal for int() with base 10: '${'9'.repeat(40)}…'`,
    );
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 0]));
    expect(message(() => parseScale(many, types, 'myapp'))).toMatch(
      /^400 Invalid scaling format: 51 process types/,
    );
    expect(message(() => checkAppSize({ web: 50, worker: 50 }))).toBe('no error');
    expect(message(() => checkAppSize({ web: 50, worker: 50, cmd: 1 }))).toBe(
      '400 Cannot scale to 101 processes in all: an app may run at most 100 on Deis Desktop.',
    );
  });
});
