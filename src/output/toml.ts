// `toml`: each row is a `[[results]]` table of scalar keys.

import { RowFormatter } from "./base.ts";
import { Duration, LongText } from "./formatter.ts";
import { pyFloatRepr } from "./pyjson.ts";
import { type NormalRow, type Scalar, UtcDateTime } from "./normalise.ts";
import { integerText } from "./render.ts";

const TOML_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

/** The inside of a TOML basic string: control characters escaped, the rest as it is. */
function tomlEscaped(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/["\\\x00-\x1f\x7f]/g, (char) =>
    TOML_ESCAPES[char] ??
      `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`);
}

/** A TOML basic string (control characters escaped; other characters as UTF-8). */
export function tomlString(text: string): string {
  return `"${tomlEscaped(text)}"`;
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

function tomlFloat(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  return pyFloatRepr(value);
}

export function tomlValue(value: Exclude<Scalar, LongText>): string {
  if (value === null) return '""';
  if (value instanceof UtcDateTime) return value.isoformat();
  if (value instanceof Duration) return tomlFloat(value.seconds);
  switch (typeof value) {
    case "string":
      return tomlString(value);
    case "number":
      return Number.isInteger(value) ? integerText(value) : tomlFloat(value);
    default:
      return String(value); // bigint, boolean
  }
}

export class TomlFormatter extends RowFormatter {
  protected async emit(row: NormalRow): Promise<void> {
    const out = this.out;
    await out.add("[[results]]\n");
    for (const [key, value] of row) {
      if (!(value instanceof LongText)) {
        await out.add(`${tomlKey(key)} = ${tomlValue(value)}\n`);
        continue;
      }
      await out.add(`${tomlKey(key)} = "`);
      for await (const piece of value.pieces()) await out.add(tomlEscaped(piece));
      await out.add('"\n');
    }
    await out.add("\n");
    await this.rowEnd();
  }
}
