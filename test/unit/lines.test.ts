import { describe, expect, it } from 'vitest';
import { lineSplitter } from '../../cluster/docker/lines';
import { LINE_CUT_MARKER, MAX_LINE_CHARS } from '../../main/contract/limits';

function split(chunks: (string | Buffer)[], max?: number): string[] {
  const lines: string[] = [];
  const s = lineSplitter((l) => lines.push(l), max);
  for (const c of chunks) s.write(c);
  s.end();
  return lines;
}

describe('lineSplitter', () => {
  it('splits on \\n, \\r\\n and a lone \\r, and passes on a last line without newline', () => {
    expect(split(['a\nb\r\nc\rd'])).toEqual(['a', 'b', 'c', 'd']);
    expect(split(['\n\nx\n'])).toEqual(['', '', 'x']);
  });

  it('joins lines and \\r\\n pairs that arrive in pieces', () => {
    expect(split(['he', 'll', 'o\r', '\nworld\r', 'again'])).toEqual(['hello', 'world', 'again']);
    expect(split(['a\r', '\r', '\n'])).toEqual(['a', '']);
  });

  it('keeps characters whose bytes arrive in two chunks', () => {
    const bytes = Buffer.from('héllo wörld ✓\n');
    expect(split([bytes.subarray(0, 2), bytes.subarray(2, 13), bytes.subarray(13)])).toEqual([
      'héllo wörld ✓',
    ]);
  });

  it('cuts a line longer than the limit with a marker, drops its rest, and goes on with the next', () => {
    expect(split(['abcdefgh', 'ijkl\nnext\n'], 5)).toEqual([`abcde${LINE_CUT_MARKER}`, 'next']);
    expect(split(['abcde\n'], 5)).toEqual(['abcde']);
    expect(split(['abcdef'], 5)).toEqual([`abcde${LINE_CUT_MARKER}`]);
  });

  it('passes on a 40 MB line without newline cut at the default limit, once', () => {
    const chunk = 'x'.repeat(64 * 1024);
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    for (let i = 0; i < 640; i++) s.write(chunk);
    s.write('\ntail\n');
    s.end();
    expect(lines).toEqual(['x'.repeat(MAX_LINE_CHARS) + LINE_CUT_MARKER, 'tail']);
  });
});
