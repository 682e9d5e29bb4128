// `json` (JSONL) and `json-pretty` (one array): byte-compatible with Python's `json.dumps`
// defaults, which agent scripts of the reference CLI parse — `", "`/`": "` separators, ASCII
// only, float repr, ISO datetimes with `+00:00`, durations as float seconds.

import { RowFormatter } from "./base.ts";
import { Duration } from "./formatter.ts";
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

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

/** A JSON string with everything outside printable ASCII escaped (`ensure_ascii=True`). */
export function pyJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    const code = text.charCodeAt(i);
    if (SHORT_ESCAPES[char]) out += SHORT_ESCAPES[char];
    // Iterating UTF-16 code units yields surrogate pairs for astral characters, as Python does.
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += char;
  }
  return out + '"';
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

/** `json.dumps(row)`, or `json.dumps(row, indent=2)` nested `depth` levels deep. */
export function jsonObject(row: NormalRow, depth?: number): string {
  if (row.length === 0) return "{}";
  const members = row.map(([key, value]) => `${pyJsonString(key)}: ${jsonValue(value)}`);
  if (depth === undefined) return `{${members.join(", ")}}`;
  const inner = "  ".repeat(depth + 1);
  return `{\n${inner}${members.join(`,\n${inner}`)}\n${"  ".repeat(depth)}}`;
}

/** One object per line, written at once. */
export class JsonLinesFormatter extends RowFormatter {
  protected emit(row: NormalRow): Promise<void> {
    return this.deps.stdout.write(`${jsonObject(row)}\n`);
  }
}

/** One array for the whole process, streamed: `[`, objects as they come, `]` on close. */
export class JsonPrettyFormatter extends RowFormatter {
  #rows = 0;

  protected emit(row: NormalRow): Promise<void> {
    const lead = this.#rows++ === 0 ? "[\n  " : ",\n  ";
    return this.deps.stdout.write(lead + jsonObject(row, 1));
  }

  protected override finish(): Promise<void> {
    return this.#rows === 0 ? Promise.resolve() : this.deps.stdout.write("\n]\n");
  }
}
