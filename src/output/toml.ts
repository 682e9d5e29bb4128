// `toml`: each row is a `[[results]]` table of scalar keys.

import { RowFormatter } from "./base.ts";
import { Duration } from "./formatter.ts";
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

/** A TOML basic string (control characters escaped; other characters as UTF-8). */
export function tomlString(text: string): string {
  // deno-lint-ignore no-control-regex
  const escaped = text.replace(/["\\\x00-\x1f\x7f]/g, (char) =>
    TOML_ESCAPES[char] ??
      `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`);
  return `"${escaped}"`;
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

function tomlFloat(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  return pyFloatRepr(value);
}

export function tomlValue(value: Scalar): string {
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
  protected emit(row: NormalRow): Promise<void> {
    const lines = row.map(([key, value]) => `${tomlKey(key)} = ${tomlValue(value)}\n`);
    return this.deps.stdout.write(`[[results]]\n${lines.join("")}\n`);
  }
}
