// `table` (and `default` for generic rows): rows are buffered until `flush`; the first flush
// fixes the columns (the first row's keys) and their widths, later flushes reuse them so pages
// line up and the header is printed once.
//
// On a TTY the table fits the terminal (cells cut with `…`, one warning per process) and
// status words are coloured. Off a TTY nothing is ever cut: a value wider than its column is
// printed whole (the reference cut those too — CLI spec §12.18, see docs/DEVIATIONS.md).

import { type StyleName, Styler } from "../style.ts";
import { RowFormatter } from "./base.ts";
import type { FormatterDeps } from "./formatter.ts";
import type { NormalRow } from "./normalise.ts";
import { humanText, LocalTime, textLines } from "./render.ts";
import { type TextWidth, textWidthFor } from "./width.ts";

const COLUMN_GAP = 2;
const MIN_FITTED_WIDTH = 3;
/** Terminal width when stdout is treated as a TTY but reports no size (FORCE_COLOR, a pipe). */
const FALLBACK_TERMINAL_WIDTH = 80;

export const TRUNCATION_WARNING =
  "Output truncated to fit terminal; use --format json to see full values";

const WORD_STYLES = new Map<string, StyleName>([
  ["SUCCESS", "green"],
  ["FAILED", "red"],
  ["CANCELLED", "yellow"],
  ["PENDING", "gray"],
  ["ASSIGNED", "cyan"],
  ["EXECUTING", "blue"],
  ["true", "green"],
  ["false", "red"],
]);

function wordStyles(value: string): StyleName[] {
  const style = WORD_STYLES.get(value);
  return style ? [style] : [];
}

/**
 * Shrinks column widths to fit `total` terminal columns: columns narrower than a fair share
 * keep their width, the space left is shared evenly by the wider ones (at least 3 each).
 */
export function fitWidths(natural: readonly number[], total: number): number[] {
  let remaining = total - COLUMN_GAP * (natural.length - 1);
  if (natural.reduce((sum, w) => sum + w, 0) <= remaining) return [...natural];
  let wide = natural.map((_, i) => i);
  for (;;) {
    const share = Math.floor(remaining / wide.length);
    const narrow = wide.filter((i) => natural[i] <= share);
    if (narrow.length === 0) break;
    for (const i of narrow) remaining -= natural[i];
    wide = wide.filter((i) => natural[i] > share);
  }
  const share = Math.max(MIN_FITTED_WIDTH, Math.floor(remaining / wide.length));
  let spare = Math.max(0, remaining - share * wide.length);
  const fitted = [...natural];
  for (const i of wide) fitted[i] = share + (spare-- > 0 ? 1 : 0);
  return fitted;
}

interface Layout {
  keys: string[];
  widths: number[];
}

export class TableFormatter extends RowFormatter {
  readonly #localTime: LocalTime;
  readonly #styler: Styler;
  #buffer: NormalRow[] = [];
  #layout?: Layout;
  /** Some cell was cut; the warning is logged once per process. */
  #truncated = false;
  #warned = false;

  constructor(name: "table" | "default", deps: FormatterDeps) {
    super(name, deps);
    this.#localTime = new LocalTime(deps.timeZone);
    this.#styler = new Styler(deps.color);
  }

  protected emit(row: NormalRow): Promise<void> {
    this.#buffer.push(row);
    return Promise.resolve();
  }

  override async flush(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const rows = this.#buffer;
    this.#buffer = [];
    const keys = this.#layout?.keys ?? rows[0].map(([key]) => key);
    const cells = rows.map((row) => {
      const values = new Map(row);
      return keys.map((key) => {
        const value = values.get(key);
        return value === undefined ? "" : humanText(value, this.#localTime);
      });
    });
    const header = keys.map((key) => key.toUpperCase());
    const text = await textWidthFor([...(this.#layout ? [] : header), ...cells.flat()]);
    let out = "";
    if (!this.#layout) {
      this.#layout = { keys, widths: this.#widths(text, header, cells) };
      out += this.#line(text, header.map((title) => [title, ["bold"]]));
    }
    for (const row of cells) out += this.#rowLines(text, row);
    if (!this.#warned && this.#truncated) {
      this.#warned = true;
      this.deps.log.warning(TRUNCATION_WARNING);
    }
    await this.deps.stdout.write(out);
  }

  /** A row's physical lines: multi-line cells stack, shorter cells are blank below. */
  #rowLines(text: TextWidth, row: string[]): string {
    const lines = row.map(textLines);
    const height = Math.max(...lines.map((cell) => cell.length));
    let out = "";
    for (let i = 0; i < height; i++) {
      out += this.#line(text, row.map((value, c) => [lines[c][i] ?? "", wordStyles(value)]));
    }
    return out;
  }

  #widths(text: TextWidth, header: string[], cells: string[][]): number[] {
    const natural = header.map((title) => text.width(title));
    for (const row of cells) {
      row.forEach((cell, c) => {
        for (const line of textLines(cell)) natural[c] = Math.max(natural[c], text.width(line));
      });
    }
    if (!this.deps.tty) return natural;
    const columns = this.deps.columns();
    return fitWidths(natural, columns && columns > 0 ? columns : FALLBACK_TERMINAL_WIDTH);
  }

  /** One physical line: cells padded to their column width, cut only on a TTY. */
  #line(text: TextWidth, cells: [string, StyleName[]][]): string {
    const widths = this.#layout!.widths;
    const parts = cells.map(([cell, styles], c) => {
      let shown = cell;
      if (this.deps.tty && text.width(cell) > widths[c]) {
        shown = text.truncate(cell, widths[c]);
        this.#truncated = true;
      }
      const padding = " ".repeat(Math.max(0, widths[c] - text.width(shown)));
      return (shown === "" ? shown : this.#styler.apply(shown, ...styles)) + padding;
    });
    return `${parts.join(" ".repeat(COLUMN_GAP))}\n`;
  }
}
