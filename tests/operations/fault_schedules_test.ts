// 200 seeded random fault schedules (tests/support/fault_schedules.ts) against one long run on
// the fake: every schedule follows a run of the same ~230 KB program (both streams, multi-byte
// characters, base64 bytes) through its own FaultProxy, in-process, with the `run` output path;
// the bytes written to stdout and stderr and the exit status must equal the sandbox's every
// time. In-process with a FakeClock (sleeps are instant), 8 at a time, so 200 schedules fit in
// a few seconds; a fresh operation per schedule so each one also meets the run while it is
// still producing. The podman variant (fewer schedules, one shared live operation) is
// tests/integration/fault_schedules_podman_test.ts.

import { assertEquals } from "../support/assert.ts";
import { FakeClock } from "../support/context.ts";
import { FakeApi } from "../support/fake_api.ts";
import { FakeSandbox } from "../support/fake_sandbox.ts";
import { expectedBytes, followUnderSchedule, LONG_RUN } from "../support/fault_schedules.ts";
import { mapLimit } from "../../src/parallel.ts";
import { TRUNCATE_AT } from "../support/fault_matrix.ts";

const SCHEDULES = 200;

Deno.test({
  name: "fault schedules (fake): 200 seeded schedules, output byte-identical every time",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = FakeApi.start();
    const sandbox = new FakeSandbox(fake).program(LONG_RUN);
    const stdout = expectedBytes(LONG_RUN, "stdout");
    const stderr = expectedBytes(LONG_RUN, "stderr");
    const failures: string[] = [];
    let faults = 0;
    try {
      await mapLimit(Array.from({ length: SCHEDULES }, (_, i) => i), 8, async (seed) => {
        const spawned = await fetch(`${fake.url}/v1/instances`, {
          method: "POST",
          headers: { authorization: `Bearer ${fake.token}` },
          body: JSON.stringify({
            command: "sh",
            args: ["-c", LONG_RUN.script],
            image: "11111111-2222-3333-4444-555555555555",
            truncate_output_at: TRUNCATE_AT,
            disposable: true,
          }),
        });
        const { uuid } = await spawned.json();
        const outcome = await followUnderSchedule(
          { hostname: "127.0.0.1", port: fake.port },
          fake.token,
          uuid,
          seed,
          new FakeClock(),
        );
        faults += outcome.faults;
        try {
          assertEquals(outcome.stdout, stdout, "stdout");
          assertEquals(outcome.stderr, stderr, "stderr");
          assertEquals(outcome.exit, LONG_RUN.exit, "exit status");
        } catch (error) {
          failures.push(`seed ${seed}: ${(error as Error).message.slice(0, 300)}`);
        }
      });
    } finally {
      await fake.close();
    }
    assertEquals(failures, []);
    assertEquals(sandbox.cancelled, []);
    // The schedules did inject faults (a few hundred over the 200).
    assertEquals(faults > SCHEDULES, true, `${faults} faults injected`);
  },
});
