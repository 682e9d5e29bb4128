// Human rendering of normalised values (table, plain, csv, tsv — CLI spec §7): local
// datetimes, compact durations, two-decimal floats.

import { Duration } from "./formatter.ts";
import { type Scalar, UtcDateTime } from "./normalise.ts";

/** Renders datetimes as `YYYY-MM-DD HH:MM:SS` in one time zone. */
export class LocalTime {
  #format?: Intl.DateTimeFormat;

  /** `timeZone` is an IANA name (a leading `:` as in `TZ=:Europe/Paris` is allowed). */
  constructor(private readonly timeZone?: string) {}

  render(value: UtcDateTime): string {
    // Built on first use: most invocations print no datetime in a human format.
    this.#format ??= dateTimeFormat(this.timeZone?.replace(/^:/, "") || undefined);
    const parts: Record<string, string> = {};
    for (const part of this.#format.formatToParts(value.toDate())) parts[part.type] = part.value;
    const year = parts.year.padStart(4, "0");
    return `${year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
  }
}

function dateTimeFormat(timeZone: string | undefined): Intl.DateTimeFormat {
  const options: Intl.DateTimeFormatOptions = {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZone,
  };
  try {
    return new Intl.DateTimeFormat("en-US", options);
  } catch {
    // A TZ value Intl does not know (e.g. a POSIX rule like "EST5EDT,M3.2.0,M11.1.0"):
    // fall back to the zone the runtime itself derived.
    return new Intl.DateTimeFormat("en-US", { ...options, timeZone: undefined });
  }
}

/** `<s>s` under a minute, `<m>m<s>s` under an hour, else `<h>h<m>m` (whole seconds, truncated). */
export function durationText(duration: Duration): string {
  const total = Math.trunc(duration.seconds);
  const sign = total < 0 ? "-" : "";
  const abs = Math.abs(total);
  if (abs < 60) return `${sign}${abs}s`;
  const minutes = Math.floor(abs / 60);
  if (minutes < 60) return `${sign}${minutes}m${abs % 60}s`;
  return `${sign}${Math.floor(minutes / 60)}h${minutes % 60}m`;
}

/** Python's `f"{value:.2f}"`: exact ties round half to even (`0.125` → `0.12`). */
export function fixed2(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  const abs = Math.abs(value);
  // The only doubles exactly halfway between two hundredths end in .xx5 with x·8 integral
  // (…125, …375, …625, …875); toFixed rounds those up, Python to even.
  if (Number.isInteger(abs * 8) && !Number.isInteger(abs * 100) && abs < 2 ** 49) {
    const lower = Math.floor(abs * 100);
    const hundredths = lower % 2 === 0 ? lower : lower + 1;
    const text = (hundredths / 100).toFixed(2);
    return value < 0 ? `-${text}` : text;
  }
  return value.toFixed(2);
}

/** The human text of one value. */
export function humanText(value: Scalar, localTime: LocalTime): string {
  if (value === null) return "";
  if (value instanceof UtcDateTime) return localTime.render(value);
  if (value instanceof Duration) return durationText(value);
  if (typeof value === "number") {
    return Number.isInteger(value) ? integerText(value) : fixed2(value);
  }
  return String(value);
}

/** Integers print all their digits (never `1e+21`). */
export function integerText(value: number): string {
  return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
}

/** The lines of a multi-line value (a final line break ends the last line; it adds none). */
export function textLines(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}
