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
