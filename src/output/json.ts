// `json` (JSONL) and `json-pretty` (one array): byte-compatible with Python's `json.dumps`
// defaults, which agent scripts of the reference CLI parse — `", "`/`": "` separators, ASCII
// only, float repr, ISO datetimes with `+00:00`, durations as float seconds.

import { RowFormatter } from "./base.ts";
import { LongText, Nested } from "./formatter.ts";
import type { GatheredWriter } from "../io.ts";
import type { NormalRow } from "./normalise.ts";
import { ensureAscii, jsonValue, pyJsonDump, pyJsonString } from "./pyjson.ts";

/**
 * Writes `pyJsonString` of a long text piece by piece: each decoded piece is escaped on its own
 * — the escaping works per code unit, so the pieces join into exactly the one-string result.
 */
async function writeLongText(text: LongText, out: GatheredWriter): Promise<void> {
  await out.add('"');
  for await (const piece of text.pieces()) {
    await out.add(ensureAscii(JSON.stringify(piece)).slice(1, -1));
  }
  await out.add('"');
}

/**
 * `json.dumps(row)`, or `json.dumps(row, indent=2)` nested `depth` levels deep, between `lead`
 * and `trail`; each long text is left in place, to be streamed.
 */
function jsonParts(
  row: NormalRow,
  depth?: number,
  lead = "",
  trail = "",
): (string | LongText)[] {
  if (row.length === 0) return [`${lead}{}${trail}`];
  const inner = depth === undefined ? "" : "  ".repeat(depth + 1);
  const separator = depth === undefined ? ", " : `,\n${inner}`;
  const parts: (string | LongText)[] = [];
  let text = lead + (depth === undefined ? "{" : `{\n${inner}`);
  row.forEach(([key, value], index) => {
    if (index > 0) text += separator;
    text += `${pyJsonString(key)}: `;
    if (value instanceof LongText) {
      parts.push(text, value);
      text = "";
    } else if (value instanceof Nested && depth !== undefined) {
      text += pyJsonDump(value.value, depth + 1);
    } else text += jsonValue(value);
  });
  parts.push(text + (depth === undefined ? "}" : `\n${"  ".repeat(depth)}}`) + trail);
  return parts;
}

/** Writes a row's text; a long text value is written in pieces, never held as one string. */
async function writeParts(parts: (string | LongText)[], out: GatheredWriter): Promise<void> {
  for (const part of parts) {
    if (typeof part === "string") await out.add(part);
    else await writeLongText(part, out);
  }
}

/** One object per line, written at once. */
export class JsonLinesFormatter extends RowFormatter {
  protected override readonly embedsNested = true;

  protected async emit(row: NormalRow): Promise<void> {
    await writeParts(jsonParts(row, undefined, "", "\n"), this.out);
    await this.rowEnd();
  }
}

/**
 * One array for the whole process, streamed: `[`, objects as they come, `]` on close. Each
 * object is the reference's `json.dumps(row, indent=2)` after `[\n` or `,\n`: its braces at
 * the line's start, its keys two spaces in.
 */
export class JsonPrettyFormatter extends RowFormatter {
  protected override readonly embedsNested = true;
  #rows = 0;

  protected async emit(row: NormalRow): Promise<void> {
    const lead = this.#rows++ === 0 ? "[\n" : ",\n";
    await writeParts(jsonParts(row, 0, lead), this.out);
    await this.rowEnd();
  }

  protected override finish(): Promise<void> {
    return this.#rows === 0 ? Promise.resolve() : this.deps.stdout.write("\n]\n");
  }
}
