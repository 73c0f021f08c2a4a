/**
 * Docker's variable substitution in one Dockerfile word (`ProcessWord` of the shell lexer the Docker
 * engine 20.10 uses): quotes, the escape character, `$VAR`, `${VAR}`, `${VAR:-x}`, `${VAR:+x}`,
 * `${VAR:?x}`. A word whose value depends on a variable we cannot know comes back as unknown, never
 * as a guess; a word the engine would reject throws.
 */

/** What a variable lookup knows: a value, that it is unset, or nothing certain. */
export type Lookup = (name: string) => string | null | typeof UNKNOWN;
export const UNKNOWN = Symbol('unknown');

export type WordValue = { value: string } | { unknown: string };

/** Docker would refuse the word (unbalanced quote, bad substitution...). */
export class WordError extends Error {
  override readonly name = 'WordError';
}

/** Bounds the characters substitution produces over a whole build (see DOCKERFILE_MAX_EXPANDED_CHARS). */
export interface Budget {
  left: number;
}

const EOF = -1;
type Char = string | typeof EOF;

class Scanner {
  private readonly chars: string[];
  private pos = 0;
  constructor(word: string) {
    this.chars = Array.from(word);
    // Go's text/scanner skips a byte-order mark at the very start of its input.
    if (this.chars[0] === '\uFEFF') this.pos = 1;
  }
  peek(): Char {
    return this.pos < this.chars.length ? this.chars[this.pos]! : EOF;
  }
  next(): Char {
    return this.pos < this.chars.length ? this.chars[this.pos++]! : EOF;
  }
}

interface Part {
  text: string;
  /** The name of a variable whose value we could not know, when the text depends on it. */
  unknown?: string;
}

const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;
const ASCII_ALNUM = /^[A-Za-z0-9]$/;
const isLetter = (c: string) =>
  c < '\u0080' ? ASCII_ALNUM.test(c) && !(c >= '0' && c <= '9') : LETTER.test(c);
const isDigit = (c: string) => (c < '\u0080' ? c >= '0' && c <= '9' : DIGIT.test(c));
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

class ShellWord {
  private readonly s: Scanner;
  constructor(
    word: string,
    private readonly lookup: Lookup,
    private readonly escape: string,
    private readonly budget: Budget,
  ) {
    this.s = new Scanner(word);
  }

  run(): Part {
    return this.stopOn(EOF);
  }

  private spend(text: string): void {
    this.budget.left -= text.length;
    if (this.budget.left < 0)
      throw new WordError('the Dockerfile substitutes variables into too much text to be checked');
  }

  private stopOn(stop: Char): Part {
    const out: string[] = [];
    let unknown: string | undefined;
    const add = (p: Part) => {
      out.push(p.text);
      this.spend(p.text);
      unknown ??= p.unknown;
    };
    while (this.s.peek() !== EOF) {
      const ch = this.s.peek();
      if (stop !== EOF && ch === stop) {
        this.s.next();
        return { text: out.join(''), unknown };
      }
      if (ch === '$') add(this.dollar());
      else if (ch === "'") add(this.singleQuote());
      else if (ch === '"') add(this.doubleQuote());
      else {
        let c = this.s.next() as string;
        if (c === this.escape) {
          const n = this.s.next();
          if (n === EOF) break;
          c = n;
        }
        if (c === '\0') throw new WordError('a NUL character is not allowed in a Dockerfile word');
        add({ text: c });
      }
    }
    if (stop !== EOF)
      throw new WordError(`unexpected end of statement while looking for matching ${String(stop)}`);
    return { text: out.join(''), unknown };
  }

  private singleQuote(): Part {
    this.s.next();
    const out: string[] = [];
    for (;;) {
      const c = this.s.next();
      if (c === EOF)
        throw new WordError('unexpected end of statement while looking for matching single-quote');
      if (c === "'") return { text: out.join('') };
      out.push(c);
    }
  }

  private doubleQuote(): Part {
    this.s.next();
    const out: string[] = [];
    let unknown: string | undefined;
    for (;;) {
      const p = this.s.peek();
      if (p === EOF)
        throw new WordError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        this.s.next();
        return { text: out.join(''), unknown };
      }
      if (p === '$') {
        const d = this.dollar();
        out.push(d.text);
        unknown ??= d.unknown;
        continue;
      }
      let c = this.s.next() as string;
      if (c === this.escape) {
        const n = this.s.peek();
        if (n === EOF) continue;
        if (n === '"' || n === '$' || n === this.escape) c = this.s.next() as string;
      }
      out.push(c);
    }
  }

  private name(): string {
    let name = '';
    while (this.s.peek() !== EOF) {
      const c = this.s.peek() as string;
      if (name === '' && isDigit(c)) {
        while (this.s.peek() !== EOF && isDigit(this.s.peek() as string)) name += this.s.next() as string;
        return name;
      }
      if (name === '' && SPECIAL_PARAMS.has(c)) return this.s.next() as string;
      if (!isLetter(c) && !isDigit(c) && c !== '_') break;
      name += this.s.next() as string;
    }
    return name;
  }

  private get(name: string): { value: string; set: boolean } | { unknown: string } {
    const v = this.lookup(name);
    if (v === UNKNOWN) return { unknown: name };
    return v === null ? { value: '', set: false } : { value: v, set: true };
  }

  private dollar(): Part {
    this.s.next();
    if (this.s.peek() !== '{') {
      const name = this.name();
      if (name === '') return { text: '$' };
      const v = this.get(name);
      return 'unknown' in v ? { text: '', unknown: v.unknown } : { text: v.value };
    }
    this.s.next();
    const first = this.s.peek();
    if (first === EOF) throw new WordError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':')
      throw new WordError('syntax error: bad substitution');
    const name = this.name();
    const ch = this.s.next();
    if (ch === '}') {
      const v = this.get(name);
      return 'unknown' in v ? { text: '', unknown: v.unknown } : { text: v.value };
    }
    if (ch !== ':') throw new WordError("missing ':' in substitution");
    const modifier = this.s.next();
    let word: Part;
    try {
      word = this.stopOn('}');
    } catch (err) {
      if (this.s.peek() === EOF && err instanceof WordError && !/too much text/.test(err.message))
        throw new WordError("syntax error: missing '}'");
      throw err;
    }
    const v = this.get(name);
    if (modifier === '+') {
      if ('unknown' in v) return { text: '', unknown: v.unknown };
      return v.value !== '' ? word : { text: '' };
    }
    if (modifier === '-') {
      if ('unknown' in v) return { text: '', unknown: v.unknown };
      return v.value === '' ? word : { text: v.value };
    }
    if (modifier === '?') {
      if ('unknown' in v) return { text: '', unknown: v.unknown };
      if (!v.set) throw new WordError(`${name}: ${word.text || 'is not allowed to be unset'}`);
      if (v.value === '') throw new WordError(`${name}: ${word.text || 'is not allowed to be empty'}`);
      return { text: v.value };
    }
    throw new WordError(`unsupported modifier (${modifier === EOF ? '' : modifier}) in substitution`);
  }
}

/** The value Docker gives `word` after substitution, or which variable made it uncertain. */
export function processWord(word: string, lookup: Lookup, escape: string, budget: Budget): WordValue {
  const part = new ShellWord(word, lookup, escape, budget).run();
  return part.unknown !== undefined ? { unknown: part.unknown } : { value: part.text };
}

/**
 * A word that Docker's substitution turns back into exactly `value`, whatever the variables: every
 * character with a meaning (quotes, `$`, the escape character, a leading byte-order mark) escaped.
 */
export function literalWord(value: string, escape: string): string {
  let out = '';
  for (const c of value) {
    if (c === escape || c === '$' || c === "'" || c === '"' || c === '\uFEFF') out += escape;
    out += c;
  }
  const back = processWord(out, () => null, escape, { left: Infinity });
  if (!('value' in back) || back.value !== value)
    throw new WordError('a value could not be written back safely');
  return out;
}
