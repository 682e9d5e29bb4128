// `json` (JSONL) and `json-pretty` (one array): byte-compatible with Python's `json.dumps`
// defaults, which agent scripts of the reference CLI parse — `", "`/`": "` separators, ASCII
// only, float repr, ISO datetimes with `+00:00`, durations as float seconds.

import { RowFormatter } from "./base.ts";
import { Duration, LongText } from "./formatter.ts";
import { type NormalRow, type Scalar, UtcDateTime } from "./normalise.ts";
import { integerText } from "./render.ts";

/** Python's `repr(float)`: shortest round-trip digits, exponent below 1e-4 and from 1e16. */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const [mantissa, exponentText] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exponent = Number(exponentText);
  const sign = value < 0 ? "-" : "";
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
    return `${sign}${whole}.${digits.slice(exponent + 1) || "0"}`;
  }
  const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exp = String(Math.abs(exponent)).padStart(2, "0");
  return `${sign}${head}e${exponent < 0 ? "-" : "+"}${exp}`;
}

/** Escapes of the code units JSON.stringify leaves as they are: DEL and everything above. */
const NON_ASCII = /[\u007f-\uffff]/;
const unitEscapes: string[] = [];

/**
 * `JSON.stringify` output with everything outside printable ASCII escaped as `json.dumps`
 * (`ensure_ascii=True`) does. JSON.stringify already writes `\"`, `\\`, `\b\f\n\r\t`, other
 * control characters and lone surrogates as lower-case `\uXXXX`, exactly as Python does; what
 * is left are DEL and the non-ASCII code units. Each UTF-16 unit is escaped on its own, so an
 * astral character becomes its surrogate pair, as in Python.
 */
function ensureAscii(json: string): string {
  if (!NON_ASCII.test(json)) return json;
  let out = "";
  let from = 0;
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i);
    if (code < 0x7f) continue;
    out += json.slice(from, i) +
      (unitEscapes[code] ??= `\\u${code.toString(16).padStart(4, "0")}`);
    from = i + 1;
  }
  return out + json.slice(from);
}

/** A JSON string with everything outside printable ASCII escaped (`ensure_ascii=True`). */
export function pyJsonString(text: string): string {
  return ensureAscii(JSON.stringify(text));
}

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

export function jsonValue(value: Scalar): string {
  if (value === null) return "null";
  if (value instanceof UtcDateTime) return pyJsonString(value.isoformat());
  if (value instanceof Duration) return pyFloatRepr(value.seconds);
  switch (typeof value) {
    case "string":
      return pyJsonString(value);
    case "number":
      return Number.isInteger(value) ? integerText(value) : pyFloatRepr(value);
    default:
      return String(value); // bigint, boolean
  }
}

/**
 * Python's `json.dumps(value)` of a parsed JSON value: `", "` and `": "` separators, non-ASCII
 * escaped, key order kept. A number is an integer when it has no fraction (the parse cannot
 * tell `2.0` from `2`).
 */
export function pyJsonDump(value: unknown): string {
  if (value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(pyJsonDump).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${
      Object.entries(value as Record<string, unknown>)
        .filter(([, item]) => item !== undefined)
        .map(([key, item]) => `${pyJsonString(key)}: ${pyJsonDump(item)}`)
        .join(", ")
    }}`;
  }
  return jsonValue(value as Scalar); // what a parse gives: null, strings, numbers, booleans
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
  #rows = 0;

  protected emit(row: NormalRow): Promise<void> {
    const lead = this.#rows++ === 0 ? "[\n" : ",\n";
    return writeParts([lead, ...jsonParts(row, 0)], (chunk) => this.deps.stdout.write(chunk));
  }

  protected override finish(): Promise<void> {
    return this.#rows === 0 ? Promise.resolve() : this.deps.stdout.write("\n]\n");
  }
}
