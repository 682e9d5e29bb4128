// `table` (and `default` for generic rows): rows are buffered until `flush`; the first flush
// fixes the columns (the first row's keys) and their widths, later flushes reuse them so pages
// line up and the header is printed once.
//
// On a TTY the table fits the terminal (cells cut with `…`, one warning per process) and
// status words are coloured. Off a TTY nothing is ever cut: a value wider than its column is
// printed whole (the reference cut those too — CLI spec §12.18, see docs/DEVIATIONS.md).

import { IN_LINE, visibleText } from "../log.ts";
import { type StyleName, Styler } from "../style.ts";
import { RowFormatter } from "./base.ts";
import { type FormatterDeps, LongText } from "./formatter.ts";
import { LineReader } from "./long_text.ts";
import type { NormalRow } from "./normalise.ts";
import { humanText, LocalTime, textLines } from "./render.ts";
import { loadTextWidth, type TextWidth, textWidthFor } from "./width.ts";

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
      return keys.map((key): Cell => {
        const value = values.get(key);
        if (value === undefined) return "";
        if (value instanceof LongText) return value;
        const shown = humanText(value, this.#localTime);
        return this.deps.tty ? textLines(shown).map(onTerminal).join("\n") : shown;
      });
    });
    const header = keys.map((key) => key.toUpperCase());
    // A long text is measured with the Unicode-aware functions, which agree with the ASCII ones
    // on printable ASCII: the result is the same, only slower.
    const text = cells.some((row) => row.some((cell) => cell instanceof LongText))
      ? await loadTextWidth()
      : await textWidthFor([...(this.#layout ? [] : header), ...cells.flat() as string[]]);
    if (!this.#layout) {
      this.#layout = { keys, widths: await this.#widths(text, header, cells) };
      await this.out.add(this.#line(text, header.map((title) => [title, ["bold"]])));
    }
    for (const row of cells) await this.#writeRow(text, row);
    if (!this.#warned && this.#truncated) {
      this.#warned = true;
      this.deps.log.warning(TRUNCATION_WARNING);
    }
    await this.out.flush();
  }

  /** A row's physical lines: multi-line cells stack, shorter cells are blank below. */
  async #writeRow(text: TextWidth, row: Cell[]): Promise<void> {
    const widths = this.#layout!.widths;
    const styles = row.map((cell) => typeof cell === "string" ? wordStyles(cell) : []);
    // Line by line: a long text is read once, alongside the other cells.
    const lines = row.map((cell) =>
      typeof cell === "string" ? textLines(cell) : new LineReader(cell)
    );
    const gap = " ".repeat(COLUMN_GAP);
    for (let i = 0;; i++) {
      const present: boolean[] = [];
      for (const cell of lines) {
        present.push(Array.isArray(cell) ? i < cell.length : await cell.nextLine());
      }
      if (!present.includes(true)) return;
      for (const [c, cell] of lines.entries()) {
        if (c > 0) await this.out.add(gap);
        if (!present[c]) await this.out.add(" ".repeat(widths[c]));
        else if (Array.isArray(cell)) await this.out.add(this.#cell(text, cell[i], styles[c], c));
        else await this.#writeLongCell(text, cell, c);
      }
      await this.out.add("\n");
    }
  }

  /** The current line of a long text as a cell: written in segments, cut only on a TTY. */
  async #writeLongCell(text: TextWidth, line: LineReader, c: number): Promise<void> {
    const width = this.#layout!.widths[c];
    let used = 0;
    if (!this.deps.tty) {
      for (let segment; (segment = await line.segment());) {
        await this.out.add(segment);
        used += text.width(segment);
      }
    } else {
      // Only as much of the line as decides the cut; the rest is skipped with the line.
      let head = "";
      for (let segment; used <= width && (segment = await line.segment());) {
        segment = onTerminal(segment);
        head += segment;
        used += text.width(segment);
      }
      if (used > width) {
        head = text.truncate(head, width);
        used = text.width(head);
        this.#truncated = true;
      }
      await this.out.add(head);
    }
    await this.out.add(" ".repeat(Math.max(0, width - used)));
  }

  async #widths(text: TextWidth, header: string[], cells: Cell[][]): Promise<number[]> {
    const natural = header.map((title) => text.width(title));
    for (const row of cells) {
      for (const [c, cell] of row.entries()) {
        natural[c] = Math.max(
          natural[c],
          typeof cell === "string"
            ? textLines(cell).reduce((widest, line) => Math.max(widest, text.width(line)), 0)
            : await widestLine(text, cell, this.deps.tty),
        );
      }
    }
    if (!this.deps.tty) return natural;
    const columns = this.deps.columns();
    return fitWidths(natural, columns && columns > 0 ? columns : FALLBACK_TERMINAL_WIDTH);
  }

  /** One physical line of short cells. */
  #line(text: TextWidth, cells: [string, StyleName[]][]): string {
    return `${
      cells.map(([cell, styles], c) => this.#cell(text, cell, styles, c)).join(
        " ".repeat(COLUMN_GAP),
      )
    }\n`;
  }

  /** One cell's text in a line: padded to its column width, cut only on a TTY. */
  #cell(text: TextWidth, cell: string, styles: StyleName[], c: number): string {
    const width = this.#layout!.widths[c];
    let shown = cell;
    if (this.deps.tty && text.width(cell) > width) {
      shown = text.truncate(cell, width);
      this.#truncated = true;
    }
    const padding = " ".repeat(Math.max(0, width - text.width(shown)));
    return (shown === "" ? shown : this.#styler.apply(shown, ...styles)) + padding;
  }
}

/**
 * A line of a cell on a terminal: a name cannot drive it (ESC) or break the columns (a tab, a
 * carriage return), its control characters show as \xNN.
 */
function onTerminal(line: string): string {
  return visibleText(line, IN_LINE);
}

/** A table cell: its text, or a long text read line by line. */
type Cell = string | LongText;

/** The display width of a long text's widest line (a line measured segment by segment). */
async function widestLine(text: TextWidth, long: LongText, tty: boolean): Promise<number> {
  const lines = new LineReader(long);
  let widest = 0;
  while (await lines.nextLine()) {
    let width = 0;
    for (let segment; (segment = await lines.segment());) {
      width += text.width(tty ? onTerminal(segment) : segment);
    }
    widest = Math.max(widest, width);
  }
  return widest;
}
