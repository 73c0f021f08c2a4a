/**
 * `.dockerignore` as the docker CLI reads it: the examples are those of Docker's documentation
 * ("Dockerfile reference: .dockerignore file") and of the CLI's own behaviour on parent folders.
 */
import { describe, expect, it } from 'vitest';
import { DockerIgnore } from '../../main/builder/dockerfile/dockerignore';
import { DOCKERIGNORE_MAX_PATTERNS } from '../../main/contract/limits';

const kept = (ignore: string, files: string[]) => {
  const d = DockerIgnore.parse(ignore);
  return files.filter((f) => !d.excludes(f));
};

describe('.dockerignore', () => {
  it("follows the documentation's examples", () => {
    const files = [
      'temp',
      'tempa',
      'somedir/temporary.txt',
      'somedir/temp',
      'a/b/temp.txt',
      'a/b/c/temp.txt',
    ];
    expect(kept('# comment\n*/temp*\n', files)).toEqual(['temp', 'tempa', 'a/b/temp.txt', 'a/b/c/temp.txt']);
    expect(kept('*/*/temp*\n', files)).toEqual([
      'temp',
      'tempa',
      'somedir/temporary.txt',
      'somedir/temp',
      'a/b/c/temp.txt',
    ]);
    expect(kept('temp?\n', files)).toEqual([
      'temp',
      'somedir/temporary.txt',
      'somedir/temp',
      'a/b/temp.txt',
      'a/b/c/temp.txt',
    ]);
    expect(kept('**/*.go\n', ['main.go', 'cmd/x/main.go', 'go.mod'])).toEqual(['go.mod']);
  });

  it('lets the last matching line decide, with ! for exceptions', () => {
    const files = ['README.md', 'README-secret.md', 'CHANGES.md', 'app.py'];
    expect(kept('*.md\n!README.md\n', files)).toEqual(['README.md', 'app.py']);
    expect(kept('*.md\n!README*.md\nREADME-secret.md\n', files)).toEqual(['README.md', 'app.py']);
    expect(kept('*.md\nREADME-secret.md\n!README*.md\n', files)).toEqual([
      'README.md',
      'README-secret.md',
      'app.py',
    ]);
  });

  it('leaves out what is under an ignored folder, cleans patterns like paths, and reads classes and escapes', () => {
    expect(kept('node_modules\n', ['node_modules', 'node_modules/a/b.js', 'src/node_modules.txt'])).toEqual([
      'src/node_modules.txt',
    ]);
    expect(kept('/secret\n./build/../logs/\n', ['secret', 'logs/a.log', 'src/secret'])).toEqual([
      'src/secret',
    ]);
    expect(
      kept('  \n[a-c].txt\n[^x]y\n\\*.txt\n', ['a.txt', 'd.txt', 'zy', 'xy', '*.txt', 'b.txt2']),
    ).toEqual(['d.txt', 'xy', 'b.txt2']);
    // A class that never closes matches nothing, as in Go's filepath.Match.
    expect(kept('[abc\n', ['a', '[abc'])).toEqual(['a', '[abc']);
  });

  it('matches a hostile pattern in bounded time and refuses too many patterns', () => {
    const deep = Array.from({ length: 300 }, (_, i) => `d${i}`).join('/');
    const d = DockerIgnore.parse(
      `${'**/'.repeat(200)}nothing-here\n${'*'.repeat(5000)}a${'*'.repeat(5000)}b\n`,
    );
    expect(d.excludes(`${deep}/file`)).toBe(false);
    expect(d.excludes('a'.repeat(3000))).toBe(false);
    expect(() => DockerIgnore.parse('x\n'.repeat(DOCKERIGNORE_MAX_PATTERNS + 1))).toThrow(
      /more than 1000 patterns/,
    );
  });
});
