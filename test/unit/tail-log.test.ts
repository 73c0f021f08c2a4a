// The task log's bounds: the last lines within a line and byte budget, a marker, each line capped.
import { describe, expect, it } from 'vitest';
import { capLine, TailLog } from '../../main/controller/tasks';
import { BUILD_LOG_MAX_BYTES, BUILD_LOG_MAX_LINE, BUILD_LOG_MAX_LINES } from '../../main/contract/limits';

describe('TailLog', () => {
  it('keeps everything while within bounds, with no marker', () => {
    const log = new TailLog();
    for (const l of ['a', 'b', 'c']) log.push(l);
    expect(log.lines()).toEqual(['a', 'b', 'c']);
  });

  it('keeps the last lines and says how many were dropped', () => {
    const log = new TailLog();
    const n = BUILD_LOG_MAX_LINES * 3 + 7;
    for (let i = 0; i < n; i++) log.push(`line ${i}`);
    const lines = log.lines();
    expect(lines).toHaveLength(BUILD_LOG_MAX_LINES + 1);
    expect(lines[0]).toBe(
      `[... ${n - BUILD_LOG_MAX_LINES} earlier lines dropped: a log keeps its last 10000 lines and 2 MB]`,
    );
    expect(lines[1]).toBe(`line ${n - BUILD_LOG_MAX_LINES}`);
    expect(lines.at(-1)).toBe(`line ${n - 1}`);
  });

  it('keeps within the byte budget whatever the line count', () => {
    const log = new TailLog();
    for (let i = 0; i < 5000; i++) log.push(`${i} ${'y'.repeat(BUILD_LOG_MAX_LINE)}`);
    const lines = log.lines();
    const bytes = lines.slice(1).reduce((sum, l) => sum + Buffer.byteLength(l) + 1, 0);
    expect(bytes).toBeLessThanOrEqual(BUILD_LOG_MAX_BYTES);
    expect(lines.at(-1)!.startsWith('4999 ')).toBe(true);
  });

  it('caps each line, saying how much was cut', () => {
    expect(capLine('z'.repeat(BUILD_LOG_MAX_LINE + 10))).toBe(
      `${'z'.repeat(BUILD_LOG_MAX_LINE)} [... 10 more characters cut]`,
    );
    expect(capLine('short')).toBe('short');
  });
});
