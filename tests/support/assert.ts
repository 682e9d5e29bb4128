// Assertions for tests, on node:assert/strict (jsr.io and @std/assert are unreachable).

import assertStrict from "node:assert/strict";

export function assert(condition: unknown, message?: string): asserts condition {
  assertStrict.ok(condition, message);
}

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  assertStrict.deepStrictEqual(actual, expected, message);
}

export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  assertStrict.notDeepStrictEqual(actual, expected, message);
}

export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  assertStrict.match(actual, pattern, message);
}

export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  assertStrict.ok(
    actual.includes(expected),
    message ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
  );
}

export async function assertRejects(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  errorClass?: new (...args: any[]) => Error,
  includes?: string,
): Promise<Error> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  assertStrict.ok(caught !== undefined, "expected the promise to reject");
  if (errorClass) {
    assertStrict.ok(
      caught instanceof errorClass,
      `expected ${errorClass.name}, got ${(caught as Error)?.constructor?.name}: ${
        (caught as Error)?.message
      }`,
    );
  }
  if (includes) assertStringIncludes((caught as Error).message, includes);
  return caught as Error;
}

export function assertThrows(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  errorClass?: new (...args: any[]) => Error,
  includes?: string,
): Error {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assertStrict.ok(caught !== undefined, "expected the function to throw");
  if (errorClass) {
    assertStrict.ok(caught instanceof errorClass, `expected ${errorClass.name}, got ${caught}`);
  }
  if (includes) assertStringIncludes((caught as Error).message, includes);
  return caught as Error;
}
