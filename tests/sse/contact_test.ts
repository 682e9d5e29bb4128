import { ApiError, NetworkError } from "../../src/api/errors.ts";
import { envFromRecord } from "../../src/env.ts";
import { UsageError } from "../../src/errors.ts";
import { MemorySink } from "../../src/io.ts";
import { Logger } from "../../src/log.ts";
import {
  Contact,
  contactPolicyFromEnv,
  DEFAULT_CONTACT_POLICY,
  LostContact,
} from "../../src/sse/contact.ts";
import { assertEquals, assertThrows } from "../support/assert.ts";
import { FakeClock } from "../support/context.ts";
import { systemClock } from "../../src/context.ts";

Deno.test("contact: CONTREE_FOLLOW_TIMEOUT in seconds, 0 waits forever, garbage is a usage error", () => {
  const policy = (value?: string) =>
    contactPolicyFromEnv(
      envFromRecord(value === undefined ? {} : { CONTREE_FOLLOW_TIMEOUT: value }),
    );
  assertEquals(policy(), DEFAULT_CONTACT_POLICY);
  assertEquals(DEFAULT_CONTACT_POLICY, {
    lostAfterMs: 10_000,
    warnEveryMs: 60_000,
    giveUpAfterMs: 900_000,
  });
  assertEquals(policy("20").giveUpAfterMs, 20_000);
  assertEquals(policy(" 0 ").giveUpAfterMs, 0);
  assertEquals(policy("").giveUpAfterMs, 900_000);
  for (const bad of ["abc", "-1", "Infinity"]) {
    const error = assertThrows(() => policy(bad), UsageError);
    assertEquals(
      (error as Error).message,
      `CONTREE_FOLLOW_TIMEOUT must be a number of seconds (0 = wait forever), got '${bad}'`,
    );
  }
});

Deno.test("contact: the warning once at the threshold, then at most once a minute; back is one line", () => {
  const clock = new FakeClock();
  const sink = new MemorySink();
  const contact = new Contact(clock, new Logger(sink, "info"), "http://h", "op", {
    lostAfterMs: 10_000,
    warnEveryMs: 60_000,
    giveUpAfterMs: 0,
  });
  const warnings = () => sink.text().split("\n").filter((l) => l.startsWith("[WARNING]")).length;
  clock.advance(9_999);
  contact.check();
  assertEquals(warnings(), 0);
  assertEquals(contact.nextDueMs(), 1);
  clock.advance(1);
  contact.check();
  contact.check();
  assertEquals(warnings(), 1);
  assertEquals(contact.nextDueMs(), 60_000);
  clock.advance(59_999);
  contact.check();
  assertEquals(warnings(), 1);
  clock.advance(1);
  contact.check();
  assertEquals(warnings(), 2);
  // A gateway's 503 is not the server; a 500 is.
  contact.failed(new ApiError(503, "Service Unavailable", ""));
  contact.failed(new NetworkError("refused"));
  assertEquals(contact.silentMs(), 70_000);
  contact.failed(new ApiError(500, "Internal Server Error", ""));
  assertEquals(contact.silentMs(), 0);
  contact.reached();
  assertEquals(
    sink.text().split("\n").filter((l) => l.startsWith("[INFO]")),
    ["[INFO] Contact with http://h is back"],
  );
  clock.advance(1_000_000);
  contact.check(); // 0 = wait forever
});

Deno.test("contact: past the limit, LostContact (exit 1) names the operation and the way back", () => {
  const clock = new FakeClock();
  const contact = new Contact(clock, new Logger(new MemorySink()), "http://h", "op-1", {
    ...DEFAULT_CONTACT_POLICY,
    giveUpAfterMs: 20_000,
  });
  clock.advance(20_000);
  const error = assertThrows(() => contact.check(), LostContact);
  assertEquals((error as LostContact).exitCode, 1);
  assertEquals(
    (error as Error).message,
    "No contact with http://h for 20s; operation op-1 was left running on the server. " +
      "Pick it up later with: contree op wait op-1",
  );
});

Deno.test("contact: time this process did not run (stopped, Ctrl-Z) is not the server's silence", async () => {
  const sink = new MemorySink();
  const contact = new Contact(systemClock, new Logger(sink, "info"), "http://h", "op-1", {
    lostAfterMs: 200,
    warnEveryMs: 60_000,
    giveUpAfterMs: 400,
  });
  const result = await contact.watch(async () => {
    // The process stops for five times the give-up time: no timer of it runs meanwhile.
    const until = performance.now() + 2_000;
    while (performance.now() < until) {
      // stopped
    }
    // Resumed: the overdue watchdog tick runs before anything is read.
    await new Promise((resolve) => setTimeout(resolve, 0));
    contact.reached();
    return "done";
  });
  // Was LostContact ("No contact … for 0s") at the first tick after the stop.
  assertEquals(result, "done");
  assertEquals(sink.text(), "");
});

Deno.test("contact: while this side is busy, the silence clock stands still", async () => {
  const clock = new FakeClock();
  const contact = new Contact(clock, new Logger(new MemorySink(), "info"), "http://h", "op");
  clock.advance(3_000);
  await contact.busy(() => {
    clock.advance(60_000);
    assertEquals(contact.silentMs(), 0);
    return Promise.resolve();
  });
  assertEquals(contact.silentMs(), 0, "measured again from the end of the busy time");
  clock.advance(5);
  assertEquals(contact.silentMs(), 5);
});
