/**
 * Reads a Dockerfile the way the Docker engine 20.10 does (its BuildKit-derived parser): the
 * `# escape=` directive, comments, line continuations, instruction names in any case, flags, and the
 * JSON or plain forms of each instruction's arguments. It stops at what the engine would reject.
 */
import { DOCKERFILE_MAX_LINE_BYTES } from '../../contract/limits';

export class DockerfileError extends Error {
  override readonly name = 'DockerfileError';
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

export const KEYWORDS = new Set([
  'add',
  'arg',
  'cmd',
  'copy',
  'entrypoint',
  'env',
  'expose',
  'from',
  'healthcheck',
  'label',
  'maintainer',
  'onbuild',
  'run',
  'shell',
  'stopsignal',
  'user',
  'volume',
  'workdir',
]);

export interface Instruction {
  /** Lower case: `from`, `add`... */
  keyword: string;
  /** The logical line as Docker keeps it (continuations joined, comments dropped). */
  line: string;
  /** What follows the keyword and its whitespace, flags included. */
  rest: string;
  /** `--name=value` flags in order (value null for `--name`). */
  flags: { name: string; value: string | null }[];
  /** The arguments after the flags, trimmed. */
  args: string;
  startLine: number;
}

export interface Dockerfile {
  escape: string;
  instructions: Instruction[];
}

// Go's unicode.IsSpace: ASCII white space, NEL, NBSP and the Unicode space separators.
const SPACES =
  '\t\n\v\f\r \u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000';
const SPACE_SET = new Set(SPACES);
const isSpace = (c: string) => SPACE_SET.has(c);
const LEADING = new RegExp(`^[${SPACES}]+`);
const TRAILING = new RegExp(`[${SPACES}]+$`);
export const trimLeftSpace = (s: string): string => s.replace(LEADING, '');
export const trimSpace = (s: string): string => s.replace(LEADING, '').replace(TRAILING, '');
/** Docker's `[\t\v\f\r ]+` token separator. */
const TOKEN_WS = /[\t\v\f\r ]+/;

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;

/** The lines of `text` as Go's bufio.Scanner gives them: split on \n, one trailing \r dropped. */
function lines(text: string): string[] {
  const out = text.split('\n');
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8');

export function parseDockerfile(text: string): Dockerfile {
  let escape = '\\';
  let directivesDone = false;
  const seen = new Set<string>();
  let continuation = /\\[ \t]*$/;
  const directive = (line: string, n: number) => {
    if (directivesDone) return;
    const m = DIRECTIVE.exec(line);
    if (!m) {
      directivesDone = true;
      return;
    }
    const key = m[1]!.toLowerCase();
    if (key !== 'escape' && key !== 'syntax') {
      directivesDone = true;
      return;
    }
    if (seen.has(key)) throw new DockerfileError(`only one ${key} parser directive can be used`, n);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '`' && m[2] !== '\\')
        throw new DockerfileError(`invalid escape token '${m[2]}' does not match \` or \\`, n);
      escape = m[2];
      continuation = escape === '`' ? /`[ \t]*$/ : /\\[ \t]*$/;
    }
  };
  const isComment = (line: string) => trimLeftSpace(line).startsWith('#');
  const trimContinuation = (line: string): [string, boolean] =>
    continuation.test(line) ? [line.replace(continuation, ''), false] : [line, true];

  const all = lines(text);
  const instructions: Instruction[] = [];
  for (let i = 0; i < all.length;) {
    let raw = all[i]!;
    if (utf8Length(raw) > DOCKERFILE_MAX_LINE_BYTES)
      throw new DockerfileError(`a line is longer than ${DOCKERFILE_MAX_LINE_BYTES} bytes`, i + 1);
    if (i === 0 && raw.startsWith('\uFEFF')) raw = raw.slice(1);
    raw = trimLeftSpace(raw);
    directive(raw, i + 1);
    const first = isComment(raw) ? '' : raw;
    i++;
    const startLine = i;
    let [line, end] = trimContinuation(first);
    if (end && line === '') continue;
    while (!end && i < all.length) {
      const next = all[i]!;
      if (utf8Length(next) > DOCKERFILE_MAX_LINE_BYTES)
        throw new DockerfileError(`a line is longer than ${DOCKERFILE_MAX_LINE_BYTES} bytes`, i + 1);
      directive(next, i + 1);
      i++;
      if (isComment(next)) continue;
      if (trimLeftSpace(next) === '') continue;
      const [part, done] = trimContinuation(next);
      line += part;
      end = done;
    }
    instructions.push(instructionOf(line, startLine));
  }
  if (instructions.length === 0) throw new DockerfileError('the Dockerfile has no instructions');
  return { escape, instructions };
}

export function instructionOf(line: string, startLine: number): Instruction {
  const trimmed = trimSpace(line);
  const m = TOKEN_WS.exec(trimmed);
  const keyword = (m ? trimmed.slice(0, m.index) : trimmed).toLowerCase();
  const rest = m ? trimmed.slice(m.index + m[0].length) : '';
  const { args, flags } = extractFlags(rest, startLine);
  return { keyword, line, rest, flags, args: trimSpace(args), startLine };
}

/** Docker's extractBuilderFlags: leading `--words` (quotes and `\` handled) before the arguments. */
function extractFlags(line: string, n: number): { args: string; flags: Instruction['flags'] } {
  const words: string[] = [];
  let word = '';
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  // Docker walks bytes here; a flag with non-ASCII text would be mangled, so refuse it.
  const done = (args: string) => {
    for (const w of words)
      if (/[^\x20-\x7e]/.test(w)) throw new DockerfileError('a flag holds characters Docker would garble', n);
    return {
      args,
      flags: words.map((w) => {
        if (!w.startsWith('--')) throw new DockerfileError(`invalid flag ${w}`, n);
        const eq = w.indexOf('=');
        return eq < 0 ? { name: w.slice(2), value: null } : { name: w.slice(2, eq), value: w.slice(eq + 1) };
      }),
    };
  };
  for (let pos = 0; pos <= line.length; pos++) {
    let ch = pos < line.length ? line[pos]! : '';
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (isSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return done(line.slice(pos));
      phase = 'word';
    }
    if (pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (word === '--') return done(line.slice(pos));
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === '\\') {
        if (pos + 1 === line.length) continue;
        ch = line[++pos]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      ch = line[++pos]!;
    }
    word += ch;
  }
  return done('');
}

/**
 * Docker's parseWords: words split on white space, quotes and escapes kept (substitution removes
 * them later), so `a="b c"` stays one word.
 */
export function splitWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = pos < chars.length ? chars[pos]! : '';
    if (phase === 'spaces') {
      if (pos === chars.length) break;
      if (isSpace(ch)) continue;
      phase = 'word';
    }
    if (pos === chars.length) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue;
        word += ch;
        ch = chars[++pos]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      word += ch;
      ch = chars[++pos]!;
    }
    word += ch;
  }
  return words;
}

export const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';

/**
 * Docker's parseJSON: the first JSON value of `rest` (what follows it is ignored, as Go's decoder
 * does), which must be an array of strings. Undefined when `rest` is not JSON (plain form).
 */
export function parseJsonArray(rest: string): string[] | undefined {
  const s = trimLeftSpace(rest);
  if (!s.startsWith('[')) return undefined;
  const r = new JsonReader(s);
  let value: unknown;
  try {
    value = r.value();
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === 'string')) throw new DockerfileError(NOT_STRING_ARRAY);
  return value as string[];
}

/** The argument words of ADD, COPY and VOLUME: JSON form, else split on white space. */
export function listArgs(args: string): { words: string[]; json: boolean } {
  const json = parseJsonArray(args);
  if (json) return { words: json, json: true };
  return { words: args === '' ? [] : args.split(TOKEN_WS), json: false };
}

/** Lone surrogates become U+FFFD, as Go's JSON decoder makes them. */
export const wellFormed = (s: string): string =>
  s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** A strict JSON reader that stops after the first value, like Go's json.Decoder.Decode. */
class JsonReader {
  private i = 0;
  constructor(private readonly s: string) {}
  private ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i]!)) this.i++;
  }
  private fail(): never {
    throw new Error('invalid JSON');
  }
  value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '[') {
      this.i++;
      const out: unknown[] = [];
      this.ws();
      if (this.s[this.i] === ']') {
        this.i++;
        return out;
      }
      for (;;) {
        out.push(this.value());
        this.ws();
        const d = this.s[this.i++];
        if (d === ']') return out;
        if (d !== ',') this.fail();
      }
    }
    if (c === '{') {
      this.i++;
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return {};
      }
      for (;;) {
        this.ws();
        if (this.s[this.i] !== '"') this.fail();
        this.string();
        this.ws();
        if (this.s[this.i++] !== ':') this.fail();
        this.value();
        this.ws();
        const d = this.s[this.i++];
        if (d === '}') return {};
        if (d !== ',') this.fail();
      }
    }
    if (c === '"') return this.string();
    for (const lit of ['true', 'false', 'null'])
      if (this.s.startsWith(lit, this.i)) {
        this.i += lit.length;
        return lit === 'null' ? null : lit === 'true';
      }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i));
    if (!m) this.fail();
    this.i += m[0].length;
    return Number(m[0]);
  }
  private string(): string {
    this.i++;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail();
      const c = this.s[this.i++]!;
      if (c === '"') return wellFormed(out);
      if (c < ' ') this.fail();
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      const simple: Record<string, string> = {
        '"': '"',
        '\\': '\\',
        '/': '/',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
      };
      if (e !== undefined && e in simple) out += simple[e];
      else if (e === 'u') {
        const hex = this.s.slice(this.i, this.i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail();
        this.i += 4;
        out += String.fromCharCode(parseInt(hex, 16));
      } else this.fail();
    }
  }
}

/** `KEY=value` or `KEY value` (legacy) pairs of ENV, raw (substitution is done by the caller). */
export function envPairs(args: string, escape: string, n: number): [string, string][] {
  const words = splitWords(args, escape);
  if (words.length === 0) throw new DockerfileError('ENV requires at least one argument', n);
  if (!words[0]!.includes('=')) {
    const m = TOKEN_WS.exec(args);
    if (!m) throw new DockerfileError('ENV must have two arguments', n);
    return [[args.slice(0, m.index), args.slice(m.index + m[0].length)]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0)
      throw new DockerfileError(
        `Syntax error - can't find = in ${JSON.stringify(w)}. Must be of the form: name=value`,
        n,
      );
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** ARG `name` or `name=value` words, raw. */
export function argPairs(args: string, escape: string, n: number): [string, string | null][] {
  const words = splitWords(args, escape);
  if (words.length === 0) throw new DockerfileError('ARG requires at least one argument', n);
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq === 0) throw new DockerfileError('ARG names can not be blank', n);
    return eq < 0 ? [w, null] : [w.slice(0, eq), w.slice(eq + 1)];
  });
}
