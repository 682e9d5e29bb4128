// Python's `json.dumps` text of single values: the escaping, float repr and separators that
// every JSON-shaped output of the reference CLI has (the formatters, `show --raw`, TOML floats).

import { Duration, Nested } from "./formatter.ts";
import { type Scalar, UtcDateTime } from "./normalise.ts";
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
export function ensureAscii(json: string): string {
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

/** The JSON text of one normalised value (a nested one compact). */
export function jsonValue(value: Scalar): string {
  if (value === null) return "null";
  if (value instanceof UtcDateTime) return pyJsonString(value.isoformat());
  if (value instanceof Duration) return pyFloatRepr(value.seconds);
  if (value instanceof Nested) return pyJsonDump(value.value);
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
 * tell `2.0` from `2`). With `depth`, `json.dumps(…, indent=2)` of a value that many levels
 * deep: members on their own lines, the closing bracket `depth` indents in.
 */
export function pyJsonDump(value: unknown, depth?: number): string {
  if (value === undefined) return "null";
  const members = Array.isArray(value)
    ? value.map((item) => pyJsonDump(item, nextDepth(depth)))
    : typeof value === "object" && value !== null
    ? Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => `${pyJsonString(key)}: ${pyJsonDump(item, nextDepth(depth))}`)
    : undefined;
  // What a parse gives besides: null, strings, numbers, booleans.
  if (members === undefined) return jsonValue(value as Scalar);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (depth === undefined || members.length === 0) return `${open}${members.join(", ")}${close}`;
  const inner = "  ".repeat(depth + 1);
  return `${open}\n${inner}${members.join(`,\n${inner}`)}\n${"  ".repeat(depth)}${close}`;
}

function nextDepth(depth: number | undefined): number | undefined {
  return depth === undefined ? undefined : depth + 1;
}
