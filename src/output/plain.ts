// `plain`: one `key: value` line per field, rows separated by `---`.

import { visibleText } from "../log.ts";
import { RowFormatter } from "./base.ts";
import { type FormatterDeps, LongText } from "./formatter.ts";
import { LineReader } from "./long_text.ts";
import type { NormalRow } from "./normalise.ts";
import { humanText, LocalTime, textLines } from "./render.ts";
import { textWidthFor } from "./width.ts";

export class PlainFormatter extends RowFormatter {
  readonly #localTime: LocalTime;
  #rows = 0;

  constructor(deps: FormatterDeps) {
    super("plain", deps);
    this.#localTime = new LocalTime(deps.timeZone);
  }

  protected async emit(row: NormalRow): Promise<void> {
    if (row.length === 0) return;
    const text = await textWidthFor(row.map(([key]) => key));
    const labelWidth = Math.max(...row.map(([key]) => text.width(key))) + 2;
    const indent = " ".repeat(labelWidth);
    // On a terminal a value cannot drive it (ESC) or reorder the line (bidi controls).
    const shown = (value: string) => this.deps.tty ? visibleText(value) : value;
    if (this.#rows++ > 0) await this.out.add("---\n");
    for (const [key, value] of row) {
      await this.out.add(text.padEnd(`${key}:`, labelWidth));
      if (!(value instanceof LongText)) {
        const [first, ...rest] = textLines(humanText(value, this.#localTime)).map(shown);
        await this.out.add(`${first}\n`);
        for (const line of rest) await this.out.add(line === "" ? "\n" : `${indent}${line}\n`);
        continue;
      }
      // The same lines, read in segments: a line after the first is indented unless empty.
      const lines = new LineReader(value);
      for (let first = true; await lines.nextLine(); first = false) {
        for (let segment, start = true; (segment = await lines.segment()); start = false) {
          await this.out.add(start && !first ? indent + shown(segment) : shown(segment));
        }
        await this.out.add("\n");
      }
    }
    await this.rowEnd();
  }
}
