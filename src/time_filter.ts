// `--since` / `--until` values (CLI spec §8.12), parsed to a UTC instant:
//   1. a date starting with a 4-digit year: `YYYY[sep MM[sep DD]][T|space HH[sep MM[sep SS[.f]]]]`
//      with seps `- . / space` (`:` too in the time), optional `Z` or `±HH:MM`; missing parts
//      are 1 / 1 / 00:00:00;
//   2. `HH:MM[:SS]` → that time today (UTC);
//   3. otherwise an interval, a sum of `[+-]N[unit]` (unit s or none = seconds, m, h, d,
//      M = 30 days, y = 365 days; the sign is ignored) → now minus that.
// Differences from the reference (§12.24): an unknown unit is an error instead of being
// ignored (`5x`), and a longer bare number (`86400`) is seconds instead of a failed date. A
// bare 4-digit number is still a year (`3600` = the year 3600), as in the reference.

import { UsageError } from "./errors.ts";

const UNIT_SECONDS: Record<string, number> = {
  "": 1,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  M: 30 * 86400,
  y: 365 * 86400,
};

const DATE_PATTERN = new RegExp(
  "^(\\d{4})(?:[-./ ](\\d{1,2})(?:[-./ ](\\d{1,2}))?)?" +
    "(?:[T ](\\d{1,2})(?:[-.:/ ](\\d{1,2})(?:[-.:/ ](\\d{1,2})(\\.\\d+)?)?)?)?" +
    "\\s*(Z|[+-]\\d\\d:?\\d\\d)?$",
  "i",
);
const TIME_PATTERN = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/;
const INTERVAL_TOKEN = /\s*[+-]?\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]?)/y;

function invalid(option: string, value: string, why: string): UsageError {
  return new UsageError(`invalid ${option} value '${value}': ${why}`);
}

function parseDate(value: string, option: string): Date {
  const match = DATE_PATTERN.exec(value.trim());
  if (!match) {
    throw invalid(option, value, "expected YYYY[-MM[-DD]][THH[:MM[:SS]]][Z]");
  }
  const [, y, mo = "1", d = "1", h = "0", mi = "0", s = "0", fraction = "", zone = ""] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  const valid = month >= 1 && month <= 12 && day >= 1 &&
    day <= new Date(Date.UTC(year, month, 0)).getUTCDate() && hour < 24 && minute < 60 &&
    second < 60;
  if (!valid) throw invalid(option, value, "no such date or time");
  const ms = fraction ? Math.round(Number(fraction) * 1000) : 0;
  let epoch = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC maps years 0–99 to 1900–1999.
  if (year < 100) epoch = new Date(epoch).setUTCFullYear(year);
  if (zone && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    epoch -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return new Date(epoch);
}

function parseInterval(value: string, option: string, nowMs: number): Date {
  let seconds = 0;
  let at = 0;
  let tokens = 0;
  const text = value.trim();
  INTERVAL_TOKEN.lastIndex = 0;
  while (at < text.length) {
    INTERVAL_TOKEN.lastIndex = at;
    const match = INTERVAL_TOKEN.exec(text);
    if (!match) {
      throw invalid(option, value, "expected a date, HH:MM, or an interval such as 90s, 1h30m, 2d");
    }
    const unit = match[2];
    if (!(unit in UNIT_SECONDS)) {
      throw invalid(option, value, `unknown unit '${unit}' (use s, m, h, d, M or y)`);
    }
    seconds += Number(match[1]) * UNIT_SECONDS[unit];
    at = INTERVAL_TOKEN.lastIndex;
    tokens++;
  }
  if (tokens === 0) throw invalid(option, value, "empty value");
  const date = new Date(nowMs - seconds * 1000);
  // A Date holds ±100 million days; further back is no time at all.
  if (Number.isNaN(date.getTime())) throw invalid(option, value, "too far back");
  return date;
}

/** Parses a time-filter value; `option` names the flag in errors (exit 2). */
export function parseTimeFilter(value: string, nowMs: number, option = "--since"): Date {
  const text = value.trim();
  if (/^\d{4}(\D|$)/.test(text)) return parseDate(text, option);
  const time = TIME_PATTERN.exec(text);
  if (time) {
    const [hour, minute, second = 0] = time.slice(1).map((part) => Number(part ?? 0));
    if (hour >= 24 || minute >= 60 || second >= 60) {
      throw invalid(option, value, "no such time");
    }
    const today = new Date(nowMs);
    return new Date(
      Date.UTC(
        today.getUTCFullYear(),
        today.getUTCMonth(),
        today.getUTCDate(),
        hour,
        minute,
        second,
      ),
    );
  }
  return parseInterval(text, option, nowMs);
}

/** The API's form: `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`. */
export function formatApiTime(date: Date): string {
  const iso = date.toISOString();
  const ms = date.getUTCMilliseconds();
  return ms === 0
    ? `${iso.slice(0, 19)}Z`
    : `${iso.slice(0, 19)}.${String(ms * 1000).padStart(6, "0")}Z`;
}

/** Both bounds of a `--since/--until` pair, parsed against `nowMs`. */
export function timeRange(
  options: { since?: string; until?: string },
  nowMs: number,
): { since?: Date; until?: Date } {
  return {
    since: options.since === undefined
      ? undefined
      : parseTimeFilter(options.since, nowMs, "--since"),
    until: options.until === undefined
      ? undefined
      : parseTimeFilter(options.until, nowMs, "--until"),
  };
}
