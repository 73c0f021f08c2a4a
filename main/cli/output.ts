/** Terminal output: Go-style print helpers, the progress spinner and the two table layouts the CLI uses. */

export interface Output {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export class Printer {
  constructor(private readonly streams: Output = { stdout: process.stdout, stderr: process.stderr }) {}

  get isTTY(): boolean {
    return this.streams.stdout.isTTY === true;
  }

  print(text: string): void {
    this.streams.stdout.write(text);
  }

  /** Like Go's fmt.Println: operands joined by spaces, then a newline. */
  println(...parts: unknown[]): void {
    this.streams.stdout.write(`${parts.map(String).join(' ')}\n`);
  }

  /** Like print, but waits while stdout is full: a slow reader slows the stream down, nothing piles up. */
  async write(text: string): Promise<void> {
    const stdout = this.streams.stdout;
    if (stdout.write(text)) return;
    await new Promise<void>((resolve) => stdout.once('drain', resolve));
  }

  printErr(text: string): void {
    this.streams.stderr.write(text);
  }

  /**
   * Runs `work` while a `...` spinner turns, as the Go client did. The spinner only draws on a
   * terminal: piped output stays free of backspaces so scripts see `Creating Application... done`.
   */
  async progress<T>(work: Promise<T>): Promise<T> {
    if (!this.isTTY) return work;
    const frames = ['...', 'o..', '.o.', '..o'];
    let i = 0;
    this.print(frames[0]!);
    const timer = setInterval(() => {
      i = (i + 1) % frames.length;
      this.print(`\b\b\b${frames[i]}`);
    }, 400);
    try {
      return await work;
    } finally {
      clearInterval(timer);
      this.print('\b\b\b');
    }
  }
}

/** deis/pkg prettyprint.PrettyTabs: keys sorted, values aligned `spaces` past the longest key. */
export function prettyTabs(map: Record<string, string>, spaces: number): string {
  const keys = Object.keys(map).sort();
  const width = Math.max(0, ...keys.map((k) => k.length)) + spaces;
  return keys.map((k) => `${k}${' '.repeat(width - k.length)}${map[k]}\n`).join('');
}

/**
 * Go's text/tabwriter with minwidth 0, tabwidth 8 and padding 1: every cell but the last of a row
 * is padded to its column's width, with spaces, or with tabs when `padchar` is a tab.
 */
export function tabwrite(rows: string[][], padchar: ' ' | '\t' = ' '): string {
  const widths: number[] = [];
  for (const row of rows)
    row.slice(0, -1).forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length + 1)));
  return rows
    .map((row) => {
      const cells = row.map((cell, i) => {
        if (i === row.length - 1) return cell;
        const width = widths[i]!;
        if (padchar === ' ') return cell + ' '.repeat(width - cell.length);
        const tabbed = Math.ceil(width / 8) * 8;
        return cell + '\t'.repeat(Math.ceil((tabbed - cell.length) / 8));
      });
      return `${cells.join('')}\n`;
    })
    .join('');
}

/** `=== Title` header suffix for limited lists: ` (X of Y)` when the server holds more. */
export function limitCount(shown: number, total: number): string {
  return shown === total ? '\n' : ` (${shown} of ${total})\n`;
}
