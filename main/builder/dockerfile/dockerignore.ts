/**
 * `.dockerignore`, read as the `docker` CLI reads it (the engine never applies it to a context it is
 * sent, so the builder must): one pattern per line, `#` comments, blank lines skipped, `!` for an
 * exception, each pattern cleaned like a path (`./a/../b` is `b`, a leading `/` dropped); a file is
 * left out when the last pattern matching it — or matching one of its parent folders — is not an
 * exception. In a pattern `*` is any run of characters but `/`, `?` one of them, `[a-z]` / `[^a-z]`
 * a class, `\` escapes the next character, and a `**` path segment any number of segments (none too).
 *
 * Matching is done by segments with memoised dynamic programming, never by a regular expression: a
 * hostile pattern such as `**`/`**`/`**`/…/`x` costs at most patterns × segments × characters², not
 * exponential backtracking.
 */
import { DOCKERIGNORE_MAX_PATTERNS } from '../../contract/limits';

/** A pattern's path segment: `**`, its tokens, or null when it can match nothing (a class left open). */
type Segment = '**' | Token[] | null;

interface Pattern {
  segments: Segment[];
  exception: boolean;
}

/** Cleans a slash-separated path as Go's path.Clean does; '' for the root. */
function clean(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!p.startsWith('/')) out.push('..');
      continue;
    }
    out.push(part);
  }
  return out.join('/');
}

export class DockerIgnore {
  private constructor(private readonly patterns: Pattern[]) {}

  /** Reads a `.dockerignore`'s text; refuses one with more patterns than a context should need. */
  static parse(text: string): DockerIgnore {
    const patterns: Pattern[] = [];
    for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
      if (raw.startsWith('#')) continue;
      let line = raw.trim();
      if (line === '') continue;
      const exception = line.startsWith('!');
      if (exception) line = line.slice(1).trim();
      const cleaned = clean(line);
      if (cleaned === '' && !exception) continue;
      const segments = cleaned === '' ? [] : cleaned.split('/').map((x) => (x === '**' ? '**' : tokens(x)));
      patterns.push({
        segments: segments.filter((x, i) => x !== '**' || segments[i - 1] !== '**'),
        exception,
      });
      if (patterns.length > DOCKERIGNORE_MAX_PATTERNS)
        throw new RangeError(
          `.dockerignore has more than ${DOCKERIGNORE_MAX_PATTERNS} patterns; use fewer, broader ones`,
        );
    }
    return new DockerIgnore(patterns);
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether the file or folder at `file` (relative to the context, `/`-separated) is left out. */
  excludes(file: string): boolean {
    const parts = clean(file).split('/');
    let excluded = false;
    for (const p of this.patterns) if (matchPath(p.segments, parts)) excluded = !p.exception;
    return excluded;
  }
}

/**
 * Whether the pattern matches the path or one of its parent folders (a first part of it): a `**`
 * segment matches any number of segments. Each (pattern segment, path segment) pair is decided once.
 */
function matchPath(pattern: Segment[], path: string[]): boolean {
  const width = path.length + 1;
  const memo = new Uint8Array((pattern.length + 1) * width); // 0 unknown, 1 no, 2 yes
  const at = (pi: number, si: number): boolean => {
    const key = pi * width + si;
    if (memo[key]) return memo[key] === 2;
    let result: boolean;
    const seg = pattern[pi];
    if (pi === pattern.length) result = si >= 1;
    else if (seg === '**') result = at(pi + 1, si) || (si < path.length && at(pi, si + 1));
    else result = si < path.length && seg != null && matchSegment(seg, path[si]!) && at(pi + 1, si + 1);
    memo[key] = result ? 2 : 1;
    return result;
  };
  return at(0, 0);
}

type Token =
  | { kind: 'char'; c: string }
  | { kind: 'any' }
  | { kind: 'star' }
  | { kind: 'class'; test: (c: string) => boolean };

function tokens(pattern: string): Token[] | null {
  const out: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      if (i + 1 >= pattern.length) return null;
      out.push({ kind: 'char', c: pattern[++i]! });
    } else if (c === '*') {
      if (out[out.length - 1]?.kind !== 'star') out.push({ kind: 'star' });
    } else if (c === '?') out.push({ kind: 'any' });
    else if (c === '[') {
      let j = i + 1;
      const negate = pattern[j] === '^' || pattern[j] === '!';
      if (negate) j++;
      const ranges: [string, string][] = [];
      let closed = false;
      for (let first = true; j < pattern.length; first = false) {
        if (pattern[j] === ']' && !first) {
          closed = true;
          break;
        }
        let lo = pattern[j]!;
        if (lo === '\\' && j + 1 < pattern.length) lo = pattern[++j]!;
        let hi = lo;
        if (pattern[j + 1] === '-' && j + 2 < pattern.length && pattern[j + 2] !== ']') {
          j += 2;
          hi = pattern[j] === '\\' && j + 1 < pattern.length ? pattern[++j]! : pattern[j]!;
        }
        ranges.push([lo, hi]);
        j++;
      }
      // A class that does not close is an error in Go's matcher: the pattern matches nothing.
      if (!closed) return null;
      out.push({ kind: 'class', test: (ch) => ranges.some(([lo, hi]) => ch >= lo && ch <= hi) !== negate });
      i = j;
    } else out.push({ kind: 'char', c });
  }
  return out;
}

/** One path segment against one pattern segment (no `/` in either). */
function matchSegment(toks: Token[], name: string): boolean {
  const chars = [...name];
  // can[j]: the tokens so far match the first j characters.
  let can = new Array<boolean>(chars.length + 1).fill(false);
  can[0] = true;
  for (const t of toks) {
    const next = new Array<boolean>(chars.length + 1).fill(false);
    if (t.kind === 'star') {
      let any = false;
      for (let j = 0; j <= chars.length; j++) {
        any ||= can[j]!;
        next[j] = any;
      }
    } else
      for (let j = 0; j < chars.length; j++)
        if (can[j]) {
          const ch = chars[j]!;
          next[j + 1] = t.kind === 'any' || (t.kind === 'char' ? t.c === ch : t.test(ch));
        }
    can = next;
  }
  return can[chars.length]!;
}
