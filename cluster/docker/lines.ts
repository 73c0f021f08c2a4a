/**
 * Splits a stream of text (process output, build output, engine events) into lines in one pass:
 * each character is looked at once, and a line never holds more than `maxChars` characters — a
 * longer one is passed on cut, with a marker, as soon as it reaches the limit, and the rest of it
 * is dropped up to its end. Lines end at `\n`, `\r\n` or a lone `\r` (progress bars).
 */
import { StringDecoder } from 'node:string_decoder';
import { LINE_CUT_MARKER, MAX_LINE_CHARS } from '../../main/contract/limits';

export interface LineSplitter {
  write(chunk: Buffer | string): void;
  /** Passes on the last line when it has no newline. */
  end(): void;
}

export function lineSplitter(onLine: (line: string) => void, maxChars = MAX_LINE_CHARS): LineSplitter {
  // Bytes of one character may arrive in two chunks.
  const decoder = new StringDecoder('utf8');
  let parts: string[] = [];
  let held = 0;
  /** The current line was passed on cut: drop the rest of it. */
  let cut = false;
  /** The last chunk ended with `\r`: a `\n` starting the next one belongs to it. */
  let afterCr = false;
  // One per splitter: `onLine` may write to another splitter while this one is scanning.
  const NEWLINE = /[\r\n]/g;

  const hold = (piece: string) => {
    if (cut || piece === '') return;
    if (held + piece.length > maxChars) {
      parts.push(piece.slice(0, maxChars - held));
      onLine(parts.join('') + LINE_CUT_MARKER);
      parts = [];
      held = 0;
      cut = true;
      return;
    }
    parts.push(piece);
    held += piece.length;
  };
  const endLine = () => {
    if (!cut) onLine(parts.length === 1 ? parts[0]! : parts.join(''));
    parts = [];
    held = 0;
    cut = false;
  };
  const feed = (text: string) => {
    if (text === '') return;
    let start = afterCr && text.charCodeAt(0) === 10 ? 1 : 0;
    afterCr = false;
    NEWLINE.lastIndex = start;
    for (let m = NEWLINE.exec(text); m; m = NEWLINE.exec(text)) {
      const at = m.index;
      hold(text.slice(start, at));
      endLine();
      start = at + 1;
      if (text.charCodeAt(at) === 13) {
        if (start === text.length) afterCr = true;
        else if (text.charCodeAt(start) === 10) start++;
      }
      NEWLINE.lastIndex = start;
    }
    hold(text.slice(start));
  };

  return {
    write(chunk) {
      feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    },
    end() {
      feed(decoder.end());
      if (held > 0) endLine();
      parts = [];
      held = 0;
      cut = false;
      afterCr = false;
    },
  };
}
