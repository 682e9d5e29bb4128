// Reading a LongText (a run's whole output) as the text formats need it: its lines as they
// split them, each line handed out in segments, so neither the text nor one of its lines is
// ever held whole.

import type { LongText } from "./formatter.ts";

/** Whether some piece of the text matches `pattern` (not global: `test` keeps no state). */
export async function someMatch(text: LongText, pattern: RegExp): Promise<boolean> {
  for await (const piece of text.pieces()) {
    if (pattern.test(piece)) return true;
  }
  return false;
}

/** A line longer than this many UTF-16 units is handed out in several segments. */
const SEGMENT_UNITS = 1024 * 1024;
const LINE_BREAK = /[\r\n]/g;

/**
 * The lines of a long text as `textLines` splits a string: at `\r\n`, `\n` or `\r`, a final
 * break ending the last line (adding none), an empty text one empty line. A line comes in
 * segments: the whole line when shorter than 1 Mi code units (so it measures as the string
 * would), else pieces of about that size.
 */
export class LineReader {
  readonly #pieces: AsyncIterator<string>;
  #piece = "";
  #at = 0;
  #lines = 0;
  #inLine = false;
  /** The text ended inside the last line started. */
  #ended = false;
  /** A `\r` ended the last line: a `\n` right after it belongs to that break. */
  #afterCarriageReturn = false;

  constructor(text: LongText) {
    this.#pieces = text.pieces();
  }

  /** Starts the next line (skipping what is left of the current one); false when none is left. */
  async nextLine(): Promise<boolean> {
    while (this.#inLine) await this.segment();
    if (this.#lines > 0 && (this.#ended || !(await this.#available()))) return false;
    this.#lines++;
    this.#inLine = true;
    return true;
  }

  /** The next part of the current line, never empty; undefined once the line has ended. */
  async segment(): Promise<string | undefined> {
    let out = "";
    while (this.#inLine && out.length < SEGMENT_UNITS) {
      if (!(await this.#available())) {
        this.#inLine = false;
        this.#ended = true;
        break;
      }
      LINE_BREAK.lastIndex = this.#at;
      const found = LINE_BREAK.exec(this.#piece);
      const end = found ? found.index : this.#piece.length;
      out += this.#piece.slice(this.#at, end);
      this.#at = end;
      if (found) {
        this.#at++;
        this.#afterCarriageReturn = found[0] === "\r";
        this.#inLine = false;
      }
    }
    return out || undefined;
  }

  /** Whether text is left to read (the `\n` of a `\r\n` break skipped). */
  async #available(): Promise<boolean> {
    for (;;) {
      if (this.#at < this.#piece.length) {
        if (!this.#afterCarriageReturn) return true;
        this.#afterCarriageReturn = false;
        if (this.#piece[this.#at] === "\n") this.#at++;
        continue;
      }
      const next = await this.#pieces.next();
      if (next.done) return false;
      this.#piece = next.value;
      this.#at = 0;
    }
  }
}
