// `csv` and `tsv`: Python's csv module with the excel / excel-tab dialects — a header row once,
// CRLF line endings, minimal quoting.

import { RowFormatter } from "./base.ts";
import type { FormatterDeps } from "./formatter.ts";
import type { NormalRow } from "./normalise.ts";
import { humanText, LocalTime } from "./render.ts";

/** One record in excel quoting: fields holding the delimiter, `"`, CR or LF are quoted. */
export function delimitedLine(fields: string[], delimiter: string): string {
  // A lone empty field is quoted so the record is not mistaken for a blank line (as Python).
  if (fields.length === 1 && fields[0] === "") return '""\r\n';
  const quoted = fields.map((field) =>
    field.includes(delimiter) || /["\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field
  );
  return `${quoted.join(delimiter)}\r\n`;
}

export class DelimitedFormatter extends RowFormatter {
  readonly #delimiter: string;
  readonly #localTime: LocalTime;
  /** Columns of the header, fixed by the first row; later rows fill these columns only. */
  #header?: string[];

  constructor(name: "csv" | "tsv", deps: FormatterDeps) {
    super(name, deps);
    this.#delimiter = name === "csv" ? "," : "\t";
    this.#localTime = new LocalTime(deps.timeZone);
  }

  protected emit(row: NormalRow): Promise<void> {
    let out = "";
    if (!this.#header) {
      this.#header = row.map(([key]) => key);
      out += delimitedLine(this.#header, this.#delimiter);
    }
    const values = new Map(row);
    const fields = this.#header.map((key) => {
      const value = values.get(key);
      return value === undefined ? "" : humanText(value, this.#localTime);
    });
    return this.deps.stdout.write(out + delimitedLine(fields, this.#delimiter));
  }
}
