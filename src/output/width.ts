// Terminal display width: East Asian wide characters and emoji take two columns, ANSI escape
// sequences none.

import { loadStringWidth, loadStripAnsi } from "../deps.ts";

export interface TextWidth {
  /** Display columns of `text` (ANSI ignored). */
  width(text: string): number;
  /** `text` cut to at most `max` columns, ending in `…` when cut. */
  truncate(text: string, max: number): string;
  /** `text` padded with spaces to `width` columns (never cut). */
  padEnd(text: string, width: number): string;
}

export const ELLIPSIS = "…";

// CSI (colours, cursor) and OSC (hyperlinks, titles) sequences.
// deno-lint-ignore no-control-regex
const ANSI_TOKEN = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const ASCII = /^[^\u0080-\uffff]*$/;
// deno-lint-ignore no-control-regex
const ASCII_CONTROLS = /[\x00-\x1f\x7f]/g;

/** Printable ASCII: one column per character. Most tables (UUIDs, dates, statuses) are this. */
const ASCII_WIDTH: TextWidth = {
  width: (text) => text.length,
  truncate: (text, max) =>
    text.length <= max ? text : max <= 0 ? "" : text.slice(0, max - 1) + ELLIPSIS,
  padEnd: (text, width) => text.padEnd(width),
};

let loaded: Promise<TextWidth> | undefined;

/**
 * Width functions good for `texts`. The Unicode-aware ones (string-width and a grapheme
 * segmenter, ~25 ms to load) are loaded only when some text is not printable ASCII.
 */
export function textWidthFor(texts: Iterable<string>): Promise<TextWidth> {
  for (const text of texts) {
    if (!PRINTABLE_ASCII.test(text)) return loadTextWidth();
  }
  return Promise.resolve(ASCII_WIDTH);
}

/** The Unicode-aware width functions. */
export function loadTextWidth(): Promise<TextWidth> {
  loaded ??= Promise.all([loadStringWidth(), loadStripAnsi()]).then(([width, strip]) =>
    unicodeWidth(width.default, strip.default)
  );
  return loaded;
}

function unicodeWidth(
  stringWidth: (text: string) => number,
  stripAnsi: (text: string) => string,
): TextWidth {
  const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  // string-width walks every grapheme; on ASCII its answer is the printable characters left
  // once escapes are stripped (controls, CR LF included, take none), counted here at once.
  const width = (text: string) => {
    if (PRINTABLE_ASCII.test(text)) return text.length;
    if (!ASCII.test(text)) return stringWidth(text);
    return (text.includes("\x1b") ? stripAnsi(text) : text).replace(ASCII_CONTROLS, "").length;
  };

  const truncate = (text: string, max: number): string => {
    if (width(text) <= max) return text;
    if (max <= 0) return "";
    const budget = max - width(ELLIPSIS);
    let out = "";
    let used = 0;
    let styled = false;
    let at = 0;
    // Walk plain runs grapheme by grapheme; escape sequences are copied (zero width).
    const consume = (plain: string): boolean => {
      for (const { segment } of graphemes.segment(plain)) {
        const w = width(segment);
        if (used + w > budget) return false;
        out += segment;
        used += w;
      }
      return true;
    };
    for (const match of text.matchAll(ANSI_TOKEN)) {
      if (!consume(text.slice(at, match.index))) return finish(out, styled);
      out += match[0];
      styled = true;
      at = match.index + match[0].length;
    }
    consume(text.slice(at));
    return finish(out, styled);
  };

  return {
    width,
    truncate,
    padEnd: (text, columns) => text + " ".repeat(Math.max(0, columns - width(text))),
  };
}

function finish(out: string, styled: boolean): string {
  return `${out}${styled ? "\x1b[0m" : ""}${ELLIPSIS}`;
}
