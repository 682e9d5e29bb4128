// Row normalisation shared by every formatter (CLI spec §7): nested values are dropped, known
// keys are typed (timestamps, durations, modes), and columns are ordered head → first-seen →
// tail, with the first-seen order remembered across all rows of the process.

import { type ColumnOrder, Duration, LongText, Nested, type Row } from "./formatter.ts";

/**
 * A UTC instant with microsecond precision (what Python's datetime keeps). `Date` has only
 * milliseconds, and server timestamps carry microseconds that JSON output must preserve.
 */
export class UtcDateTime {
  /** `seconds` is whole epoch seconds (floored); `micros` is 0…999999 within that second. */
  constructor(readonly seconds: number, readonly micros: number) {}

  static fromDate(date: Date): UtcDateTime | undefined {
    const ms = date.getTime();
    if (!Number.isFinite(ms)) return undefined;
    const seconds = Math.floor(ms / 1000);
    return new UtcDateTime(seconds, (ms - seconds * 1000) * 1000);
  }

  /** Epoch seconds, possibly fractional (a file's `mtime`). */
  static fromEpoch(epoch: number): UtcDateTime | undefined {
    if (!Number.isFinite(epoch)) return undefined;
    let seconds = Math.floor(epoch);
    let micros = Math.round((epoch - seconds) * 1e6);
    if (micros === 1_000_000) {
      seconds += 1;
      micros = 0;
    }
    return new UtcDateTime(seconds, micros);
  }

  /** Whole-second `Date` (human rendering shows seconds, truncated like strftime). */
  toDate(): Date {
    return new Date(this.seconds * 1000);
  }

  /** Python's `datetime.isoformat()` for a UTC datetime: fraction only when non-zero. */
  isoformat(): string {
    const d = this.toDate();
    const year = d.getUTCFullYear();
    const date = `${pad(year, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const fraction = this.micros === 0 ? "" : `.${pad(this.micros, 6)}`;
    return `${date}T${time}${fraction}+00:00`;
  }
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses an ISO 8601 timestamp as Python's `datetime.fromisoformat` does (any number of
 * fractional digits, truncated to microseconds; `Z` or a numeric offset). A timestamp without
 * an offset is UTC — SQLite and the server write UTC without a suffix (fix of CLI spec §12.31).
 * Returns undefined when `text` is not such a timestamp.
 */
export function parseIsoDateTime(text: string): UtcDateTime | undefined {
  const match = ISO_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", fraction = "", offset = ""] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  // Date.UTC maps years 0…99 to 1900…1999 and rolls over invalid days; reject both.
  if (check.getUTCFullYear() !== year || check.getUTCDate() !== day) return undefined;
  let offsetSeconds = 0;
  if (offset && offset.toUpperCase() !== "Z") {
    const digits = offset.slice(1).replace(":", "");
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2, 4) || "0");
    if (hours > 23 || minutes > 59) return undefined;
    offsetSeconds = (offset[0] === "-" ? -1 : 1) * (hours * 3600 + minutes * 60);
  }
  const micros = Number(fraction.slice(0, 6).padEnd(6, "0"));
  return new UtcDateTime(ms / 1000 - offsetSeconds, micros);
}

/** A normalised scalar: what every formatter renders. */
export type Scalar =
  | null
  | string
  | number
  | bigint
  | boolean
  | UtcDateTime
  | Duration
  | LongText
  | Nested;

/** A normalised row: ordered key/value pairs. */
export type NormalRow = [key: string, value: Scalar][];

// `ready_at` and `archived_at` are the task layer's (task status, task archive list).
const TIMESTAMP_KEYS = new Set([
  "created_at",
  "updated_at",
  "started_at",
  "finished_at",
  "ready_at",
  "archived_at",
]);
const NULL_AS_EMPTY_KEYS = new Set(["error", "tag"]);

/** Microsecond precision, as Python's timedelta keeps. */
function durationOf(seconds: number): Duration {
  return new Duration(Math.round(seconds * 1e6) / 1e6);
}

/** Types one value by its key; `undefined` means "drop this key" (nested or unrepresentable). */
export function normaliseValue(key: string, value: unknown): Scalar | undefined {
  if (value === undefined || value === null) return NULL_AS_EMPTY_KEYS.has(key) ? "" : null;
  if (value instanceof Duration) return durationOf(value.seconds);
  if (value instanceof UtcDateTime || value instanceof LongText || value instanceof Nested) {
    return value;
  }
  if (value instanceof Date) return UtcDateTime.fromDate(value) ?? null;
  switch (typeof value) {
    case "string":
      return TIMESTAMP_KEYS.has(key) ? parseIsoDateTime(value) ?? value : value;
    case "number":
      if (key === "duration") return durationOf(value);
      if (key === "mtime") return UtcDateTime.fromEpoch(value) ?? value;
      if (key === "mode" && Number.isInteger(value)) return value.toString(8);
      return value;
    case "bigint":
      return key === "mode" ? value.toString(8) : value;
    case "boolean":
      return value;
    default:
      return undefined; // objects, arrays, functions, symbols
  }
}

/**
 * Orders the columns of every row of one process: pinned head keys, then the other keys in
 * the order they were first seen in any row, then pinned tail keys. Each row keeps only its
 * own keys.
 */
export class ColumnOrderer {
  #head: readonly string[] = [];
  #tail: readonly string[] = [];
  #pinned = new Set<string>();
  readonly #seen: string[] = [];
  readonly #seenSet = new Set<string>();

  setOrder(order: ColumnOrder): void {
    this.#head = order.head ?? [];
    this.#tail = (order.tail ?? []).filter((key) => !this.#head.includes(key));
    this.#pinned = new Set([...this.#head, ...this.#tail]);
  }

  normalise(row: Row): NormalRow {
    const values = new Map<string, Scalar>();
    for (const [key, raw] of Object.entries(row)) {
      const value = normaliseValue(key, raw);
      if (value === undefined) continue;
      values.set(key, value);
      if (!this.#seenSet.has(key)) {
        this.#seenSet.add(key);
        this.#seen.push(key);
      }
    }
    const keys = [
      ...this.#head.filter((key) => values.has(key)),
      ...this.#seen.filter((key) => values.has(key) && !this.#pinned.has(key)),
      ...this.#tail.filter((key) => values.has(key)),
    ];
    return keys.map((key) => [key, values.get(key)!]);
  }
}
