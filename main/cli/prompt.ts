/** Questions on the terminal: plain answers, and passwords read without echo when stdin is a TTY. */
import type * as Readline from 'node:readline';
import type { Printer } from './output';

/**
 * node:readline only when a question is asked: loading it costs ~5 ms of every `deis` call, and most
 * calls ask nothing.
 */
let readlineModule: typeof Readline | undefined;
const readline = (): typeof Readline => (readlineModule ??= process.getBuiltinModule('node:readline'));

export class Prompter {
  private lines: AsyncIterator<string> | undefined;

  constructor(
    private readonly out: Printer,
    private readonly stdin: NodeJS.ReadStream = process.stdin,
  ) {}

  /** Prints `question` and returns the next line of input ('' at end of input). */
  async ask(question: string): Promise<string> {
    this.out.print(question);
    if (this.stdin.isTTY) {
      const rl = readline().createInterface({ input: this.stdin, terminal: false });
      try {
        const next = await rl[Symbol.asyncIterator]().next();
        return next.done ? '' : next.value.trim();
      } finally {
        rl.close();
      }
    }
    // Piped input: one reader for the whole run, so consecutive questions get consecutive lines.
    this.lines ??= readline().createInterface({ input: this.stdin, terminal: false })[Symbol.asyncIterator]();
    const next = await this.lines.next();
    return next.done ? '' : next.value.replace(/\r$/, '');
  }

  /** Like `ask`, but typed characters are not shown on a terminal. */
  async secret(question: string): Promise<string> {
    if (!this.stdin.isTTY) return this.ask(question);
    this.out.print(question);
    const stdin = this.stdin;
    return new Promise((resolve, reject) => {
      let value = '';
      stdin.setRawMode(true);
      stdin.resume();
      const done = (result: string | Error) => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(value);
          if (ch === '\u0003') return done(new Error('Interrupted'));
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  }
}
