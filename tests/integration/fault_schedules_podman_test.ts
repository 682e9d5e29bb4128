// Seeded random fault schedules (tests/support/fault_schedules.ts) against one long run on the
// local server on podman. One operation runs the long program (~230 KB on both streams, paused
// ten times so it lasts a few seconds); 24 followers, each through its own FaultProxy with its
// own schedule, follow it at once from its start, in-process with the `run` output path and the
// real clock. 24 rather than 200: they share one live run (the faults meet it while it runs,
// then in its drain), and the real clock's backoff sleeps (up to 5 s, Retry-After up to 1 s)
// would make 200 sequential schedules take minutes; the fake runs all 200
// (tests/operations/fault_schedules_test.ts).

import { assertEquals } from "../support/assert.ts";
import { TRUNCATE_AT } from "../support/fault_matrix.ts";
import { expectedBytes, followUnderSchedule, LONG_RUN } from "../support/fault_schedules.ts";
import { podmanTest } from "../support/podman.ts";
import { startTestServer } from "../support/server.ts";

const SCHEDULES = 24;

/** The same bytes as LONG_RUN, with pauses so the run is still going while it is followed. */
const SLOW_SCRIPT = LONG_RUN.script.replace(
  "i=$((i+1));",
  "i=$((i+1)); [ $((i % 15)) -eq 0 ] && sleep 0.3;",
);

podmanTest(
  "fault schedules (podman): 24 seeded schedules on one live run, byte-identical",
  async () => {
    const server = await startTestServer({ busybox: true });
    try {
      const { uuid } = await server.client.spawn({
        command: "sh",
        args: ["-c", SLOW_SCRIPT],
        image: server.busybox,
        truncate_output_at: TRUNCATE_AT,
        disposable: true,
      });
      const upstream = { hostname: "127.0.0.1", port: server.server.port };
      const outcomes = await Promise.all(
        Array.from(
          { length: SCHEDULES },
          (_, seed) => followUnderSchedule(upstream, server.token, uuid, 1000 + seed),
        ),
      );
      const stdout = expectedBytes(LONG_RUN, "stdout");
      const stderr = expectedBytes(LONG_RUN, "stderr");
      const failures = outcomes.flatMap((outcome, seed) => {
        const wrong = [];
        if (!sameBytes(outcome.stdout, stdout)) {
          wrong.push(`stdout (${outcome.stdout.length} bytes)`);
        }
        if (!sameBytes(outcome.stderr, stderr)) {
          wrong.push(`stderr (${outcome.stderr.length} bytes)`);
        }
        if (outcome.exit !== LONG_RUN.exit) wrong.push(`exit ${outcome.exit}`);
        return wrong.length ? [`seed ${1000 + seed}: ${wrong.join(", ")}`] : [];
      });
      assertEquals(failures, []);
      const faults = outcomes.reduce((n, o) => n + o.faults, 0);
      assertEquals(faults > SCHEDULES, true, `${faults} faults injected`);
    } finally {
      await server.cleanup();
    }
  },
);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
