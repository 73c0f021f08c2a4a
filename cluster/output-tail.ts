/**
 * The end of a long output: keeps the last `max` characters of what is appended, in pieces, never
 * more, and counts what it let go so the text can say so.
 */
export class OutputTail {
  private pieces: string[] = [];
  private held = 0;
  private first = 0;
  /** Characters let go from the front. */
  dropped = 0;

  constructor(private readonly max: number) {}

  append(text: string): void {
    if (text.length >= this.max) {
      this.dropped += this.held + text.length - this.max;
      this.pieces = [text.slice(text.length - this.max)];
      this.first = 0;
      this.held = this.max;
      return;
    }
    this.pieces.push(text);
    this.held += text.length;
    while (this.held > this.max) {
      const head = this.pieces[this.first]!;
      const over = this.held - this.max;
      if (head.length <= over) {
        this.first++;
        this.held -= head.length;
        this.dropped += head.length;
      } else {
        this.pieces[this.first] = head.slice(over);
        this.held -= over;
        this.dropped += over;
      }
    }
    // Forget the dropped slots now and then, not on every append.
    if (this.first > 1024) {
      this.pieces = this.pieces.slice(this.first);
      this.first = 0;
    }
  }

  /** What is kept, after a line saying how much came before it when something was dropped. */
  text(): string {
    const kept = this.pieces.slice(this.first).join('');
    if (this.dropped === 0) return kept;
    return `[${this.dropped} earlier characters of output were dropped; only the last ${this.max} are kept here]\n${kept}`;
  }
}
