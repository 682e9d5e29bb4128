// `csv` and `tsv`: Python's csv module with the excel / excel-tab dialects — a header row once,
// CRLF line endings, minimal quoting.

import { RowFormatter } from "./base.ts";
import { type FormatterDeps, LongText } from "./formatter.ts";
import type { GatheredWriter } from "../io.ts";
import { someMatch } from "./long_text.ts";
import type { NormalRow } from "./normalise.ts";
import { humanText, LocalTime } from "./render.ts";

/** What makes a field quoted. */
function specialCharacters(delimiter: string): RegExp {
  return delimiter === "," ? /[,"\r\n]/ : /[\t"\r\n]/;
}

/**
 * One record in excel quoting: fields holding the delimiter, `"`, CR or LF are quoted. A long
 * field is read twice: to decide its quotes, then to copy it.
 */
async function writeRecord(
  fields: (string | LongText)[],
  delimiter: string,
  out: GatheredWriter,
): Promise<void> {
  // A lone empty field is quoted so the record is not mistaken for a blank line (as Python).
  if (fields.length === 1 && fields[0] === "") return await out.add('""\r\n');
  const special = specialCharacters(delimiter);
  for (const [index, field] of fields.entries()) {
    if (index > 0) await out.add(delimiter);
    const quoted = typeof field === "string"
      ? special.test(field)
      : await someMatch(field, special);
    if (quoted) await out.add('"');
    const pieces = typeof field === "string" ? [field] : field.pieces();
    for await (const piece of pieces) await out.add(quoted ? piece.replaceAll('"', '""') : piece);
    if (quoted) await out.add('"');
  }
  await out.add("\r\n");
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

  protected async emit(row: NormalRow): Promise<void> {
    if (!this.#header) {
      this.#header = row.map(([key]) => key);
      await writeRecord(this.#header, this.#delimiter, this.out);
    }
    const values = new Map(row);
    const fields = this.#header.map((key) => {
      const value = values.get(key);
      if (value === undefined) return "";
      return value instanceof LongText ? value : humanText(value, this.#localTime);
    });
    await writeRecord(fields, this.#delimiter, this.out);
    await this.rowEnd();
  }
}
