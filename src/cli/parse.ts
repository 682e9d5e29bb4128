// Argument parsers shared by command definitions.

import { InvalidArgumentError } from "../deps.ts";

/** A whole number ≥ `min` (a commander argParser: a bad value is a usage error, exit 2). */
export function intAtLeast(min: number): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value.trim());
    if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min) {
      throw new InvalidArgumentError(`expected a whole number (${min} or more), got '${value}'`);
    }
    return parsed;
  };
}

/** Whole numbers ≥ 1. */
export const positiveInt: (value: string) => number = intAtLeast(1);
/** Whole numbers ≥ 0. */
export const nonNegativeInt: (value: string) => number = intAtLeast(0);

/** A TCP port: 0–65535 (0 = any free port). */
export function port(value: string): number {
  const parsed = nonNegativeInt(value);
  if (parsed > 65535) {
    throw new InvalidArgumentError(`expected a port (0 to 65535), got '${value}'`);
  }
  return parsed;
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

/** A size in bytes: a whole number with an optional unit `b`, `k`, `m`, `g`, `t` (binary). */
export function byteSize(value: string): number {
  const match = /^\s*(\d+)\s*([bkmgt]?)(?:i?b)?\s*$/i.exec(value);
  const bytes = match ? Number(match[1]) * SIZE_UNITS[match[2].toLowerCase()] : NaN;
  if (!Number.isSafeInteger(bytes)) {
    throw new InvalidArgumentError(
      `expected a size such as 512m, 2g or 1073741824, got '${value}'`,
    );
  }
  return bytes;
}

/** A non-negative decimal number (e.g. a CPU count such as 1.5). */
export function nonNegativeNumber(value: string): number {
  const parsed = Number(value.trim());
  if (!/^\s*\d+(\.\d+)?\s*$/.test(value) || !Number.isFinite(parsed)) {
    throw new InvalidArgumentError(`expected a number (0 or more), got '${value}'`);
  }
  return parsed;
}
