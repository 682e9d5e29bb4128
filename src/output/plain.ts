// `plain`: one `key: value` line per field, rows separated by `---`.

import { RowFormatter } from "./base.ts";
import type { FormatterDeps } from "./formatter.ts";
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
    let out = this.#rows++ === 0 ? "" : "---\n";
    for (const [key, value] of row) {
      const [first, ...rest] = textLines(humanText(value, this.#localTime));
      out += `${text.padEnd(`${key}:`, labelWidth)}${first}\n`;
      for (const line of rest) out += line === "" ? "\n" : `${indent}${line}\n`;
    }
    await this.deps.stdout.write(out);
  }
}
