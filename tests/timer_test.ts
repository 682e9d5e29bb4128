import { systemClock } from "../src/context.ts";
import { MAX_TIMER_MS, timerDelay } from "../src/timer.ts";
import { assertEquals, assertRejects } from "./support/assert.ts";

Deno.test("timerDelay: 0 or more, at most 2^31 - 1 ms (past it a timer fires at once)", () => {
  assertEquals([timerDelay(-5), timerDelay(1500), timerDelay(2_200_000_000), timerDelay(1e33)], [
    0,
    1500,
    MAX_TIMER_MS,
    MAX_TIMER_MS,
  ]);
});

Deno.test("a 25-day sleep waits (capped at the timer's limit), it does not end at once", async () => {
  const delays: number[] = [];
  const original = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return original(fn, 60_000);
  }) as typeof setTimeout;
  const aborter = new AbortController();
  try {
    const sleeping = systemClock.sleep(25 * 86_400_000, aborter.signal);
    aborter.abort(new Error("woken"));
    await assertRejects(() => sleeping, Error, "woken");
  } finally {
    globalThis.setTimeout = original;
  }
  assertEquals(delays, [MAX_TIMER_MS]);
});
