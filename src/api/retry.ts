// The retry contract (seed 001 and API spec §1.8): one ladder, one sleep per failure,
// Retry-After honoured, a bounded number of retries.

/** Delays in seconds; after the last one, 5 s repeats. */
export const RETRY_LADDER_SECONDS = [0.1, 0.2, 0.5, 1, 2, 5] as const;

/** Retries after the first attempt (so at most 8 attempts), as the reference CLI. */
export const DEFAULT_MAX_RETRIES = 7;

/** Longest Retry-After we obey; a larger value is clamped so a command cannot stall for hours. */
export const MAX_RETRY_AFTER_SECONDS = 300;

/** Delay in milliseconds before retry number `retry` (0-based). */
export function ladderDelayMs(retry: number): number {
  const ladder = RETRY_LADDER_SECONDS;
  return ladder[Math.min(Math.max(retry, 0), ladder.length - 1)] * 1000;
}

/**
 * Parses a Retry-After header (delta-seconds or HTTP-date) into seconds.
 * Negative → 0; garbage, Infinity or NaN → undefined (the ladder applies).
 */
export function parseRetryAfter(
  header: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text === "") return undefined;
  if (/^-?\d+(\.\d+)?$/.test(text)) {
    const seconds = Number(text);
    return Number.isFinite(seconds)
      ? Math.min(Math.max(seconds, 0), MAX_RETRY_AFTER_SECONDS)
      : undefined;
  }
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max((date - nowMs) / 1000, 0), MAX_RETRY_AFTER_SECONDS);
}

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method.toUpperCase());
}

/**
 * 410/425/429 mean "rejected before any processing", so every method may replay them;
 * 5xx only for idempotent methods; any other 4xx fails at once.
 */
export function isRetryableStatus(status: number, method: string): boolean {
  if (status === 410 || status === 425 || status === 429) return true;
  return status >= 500 && status <= 599 && isIdempotent(method);
}
