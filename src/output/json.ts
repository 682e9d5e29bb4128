// `json` (JSONL) and `json-pretty` (one array): byte-compatible with Python's `json.dumps`
// defaults, which agent scripts of the reference CLI parse — `", "`/`": "` separators, ASCII
// only, float repr, ISO datetimes with `+00:00`, durations as float seconds.

import { RowFormatter } from "./base.ts";
import { LongText, Nested } from "./formatter.ts";
import type { NormalRow } from "./normalise.ts";
import { ensureAscii, jsonValue, pyJsonDump, pyJsonString } from "./pyjson.ts";

/**
 * Bytes decoded per piece when a long text is written: each piece and its escaped form stay
 * far below V8's 128 KiB regular-object limit (larger strings live in the large-object space,
 * which only a full GC frees).
 */
const LONG_TEXT_PIECE_BYTES = 16 * 1024;
/** Output gathered before one write to stdout (escaping grows a piece at most 6×). */
const WRITE_BYTES = 1024 * 1024;

/**
 * Writes `pyJsonString` of a long text piece by piece: its UTF-8 bytes are decoded as one
 * `TextDecoder` would decode them whole (invalid sequences become U+FFFD), and each decoded
 * piece is escaped on its own — the escaping works per code unit, so the pieces join into
 * exactly the one-string result. The escaped text is ASCII, gathered in one reused buffer.
 */
async function writeLongText(
  text: LongText,
  write: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const out = new Uint8Array(WRITE_BYTES + 6 * LONG_TEXT_PIECE_BYTES + 2);
  let used = encoder.encodeInto('"', out).written;
  const add = async (piece: string) => {
    if (!piece) return;
    used += encoder.encodeInto(ensureAscii(JSON.stringify(piece)).slice(1, -1), out.subarray(used))
      .written;
    if (used >= WRITE_BYTES) {
      await write(out.subarray(0, used));
      used = 0;
    }
  };
  for await (const chunk of text.chunks()) {
    for (let at = 0; at < chunk.length; at += LONG_TEXT_PIECE_BYTES) {
      await add(decoder.decode(chunk.subarray(at, at + LONG_TEXT_PIECE_BYTES), { stream: true }));
    }
  }
  await add(decoder.decode());
  used += encoder.encodeInto('"', out.subarray(used)).written;
  await write(out.subarray(0, used));
}

/** `json.dumps(row)`, or `json.dumps(row, indent=2)` nested `depth` levels deep. */
export function jsonObject(row: NormalRow, depth?: number): string {
  return jsonParts(row, depth).join("");
}

/** The text of a row, with each long text left in place to be streamed. */
function jsonParts(row: NormalRow, depth?: number): (string | LongText)[] {
  if (row.length === 0) return ["{}"];
  const inner = depth === undefined ? "" : "  ".repeat(depth + 1);
  const separator = depth === undefined ? ", " : `,\n${inner}`;
  const parts: (string | LongText)[] = [];
  let text = depth === undefined ? "{" : `{\n${inner}`;
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
  parts.push(text + (depth === undefined ? "}" : `\n${"  ".repeat(depth)}}`));
  return parts;
}

/** Writes a row's text; a long text value is written in pieces, never held as one string. */
async function writeParts(
  parts: (string | LongText)[],
  write: (chunk: string | Uint8Array) => Promise<void>,
): Promise<void> {
  let pending = "";
  for (const part of parts) {
    if (typeof part === "string") {
      pending += part;
      continue;
    }
    if (pending) await write(pending);
    pending = "";
    await writeLongText(part, write);
  }
  if (pending) await write(pending);
}

/** One object per line, written at once. */
export class JsonLinesFormatter extends RowFormatter {
  protected override readonly streamsLongText = true;
  protected override readonly embedsNested = true;

  protected emit(row: NormalRow): Promise<void> {
    const parts = jsonParts(row);
    parts.push("\n");
    return writeParts(parts, (chunk) => this.deps.stdout.write(chunk));
  }
}

/**
 * One array for the whole process, streamed: `[`, objects as they come, `]` on close. Each
 * object is the reference's `json.dumps(row, indent=2)` after `[\n` or `,\n`: its braces at
 * the line's start, its keys two spaces in.
 */
export class JsonPrettyFormatter extends RowFormatter {
  protected override readonly streamsLongText = true;
  protected override readonly embedsNested = true;
  #rows = 0;

  protected emit(row: NormalRow): Promise<void> {
    const lead = this.#rows++ === 0 ? "[\n" : ",\n";
    return writeParts([lead, ...jsonParts(row, 0)], (chunk) => this.deps.stdout.write(chunk));
  }

  protected override finish(): Promise<void> {
    return this.#rows === 0 ? Promise.resolve() : this.deps.stdout.write("\n]\n");
  }
}
