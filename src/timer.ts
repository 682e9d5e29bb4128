// Timer delays: setTimeout (and AbortSignal.timeout) fire at once past 2^31 − 1 ms, or refuse
// the value, so a long wait the user asked for (a 30-day timeout) would end immediately.

/** The longest delay a timer takes: ~24.8 days, a command line's "forever". */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` as a timer takes it: 0 or more, at most MAX_TIMER_MS. */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
