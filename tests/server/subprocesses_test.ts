// Pure pieces of subprocesses: signal names, exit statuses, and the result folded from a log.

import type { OperationEvent } from "../../src/api/models.ts";
import { HttpError } from "../../src/server/errors.ts";
import { exitStatus, mainExitStatus } from "../../src/server/executor.ts";
import { foldProcess, parseSignal } from "../../src/server/subprocesses.ts";
import { assertEquals, assertThrows } from "../support/assert.ts";

Deno.test("subprocesses: signals by name, SIG name or number; KILL by default", () => {
  assertEquals(parseSignal(null), { name: "KILL", number: 9 });
  assertEquals(parseSignal("TERM"), { name: "TERM", number: 15 });
  assertEquals(parseSignal("sigint"), { name: "INT", number: 2 });
  assertEquals(parseSignal("1"), { name: "HUP", number: 1 });
  for (const bad of ["NOPE", "0", "99", "-9"]) {
    assertThrows(() => parseSignal(bad), HttpError, "unknown signal");
  }
});

Deno.test("subprocesses: 128+N from podman exec is signal N with exit code -1", () => {
  assertEquals(exitStatus(0), { code: 0, signal: -1 });
  assertEquals(exitStatus(3), { code: 3, signal: -1 });
  assertEquals(exitStatus(143), { code: -1, signal: 15 });
  assertEquals(exitStatus(137), { code: -1, signal: 9 });
  assertEquals(exitStatus(255), { code: 255, signal: -1 });
});

Deno.test("main process: a command the init could not start exits 127 or 126, as in a shell", () => {
  const failed = (reason: string) => `ERROR (catatonit:6): failed to exec pid1: ${reason}\n`;
  assertEquals(mainExitStatus(1, failed("No such file or directory")), { code: 127, signal: -1 });
  assertEquals(mainExitStatus(1, failed("Permission denied")), { code: 126, signal: -1 });
  assertEquals(mainExitStatus(1, `out\n${failed("Permission denied")}`).code, 126);
  // Only catatonit's own last line, and only with its exit code.
  assertEquals(mainExitStatus(1, `${failed("Permission denied")}later\n`).code, 1);
  assertEquals(mainExitStatus(2, failed("Permission denied")).code, 2);
  assertEquals(mainExitStatus(130, ""), { code: -1, signal: 2 });
});

Deno.test("subprocesses: the folded result of a process comes from its events", () => {
  const event = (id: number, type: string, data: Record<string, unknown>): OperationEvent => ({
    id,
    ts: "2026-06-08T20:00:00Z",
    spid: 2,
    type,
    data,
  });
  assertEquals(foldProcess([]), undefined);
  const running = [
    event(3, "spawn", { pid: -1, command: "cat" }),
    event(4, "stdout", { value: "a", encoding: "ascii" }),
    event(5, "stdout", { value: "/w==", encoding: "base64" }),
  ];
  assertEquals(foldProcess(running), {
    state: {
      exit_code: -1,
      signal: -1,
      pid: -1,
      timed_out: false,
      core_dump: false,
      stopped: false,
      continued: false,
    },
    stdout: { value: "Yf8=", encoding: "base64", truncated: false },
    stderr: { value: "", encoding: "ascii", truncated: false },
    resources: {},
  });
  const done = foldProcess([
    ...running,
    event(6, "truncated", { stream: "stdout", bytes_emitted: 2, bytes_dropped: 5 }),
    event(7, "exit", { pid: -1, code: -1, signal: 15, timed_out: false, duration_ms: 1500 }),
  ])!;
  assertEquals([done.state?.exit_code, done.state?.signal], [-1, 15]);
  assertEquals(done.stdout?.truncated, true);
  assertEquals(done.resources, { elapsed_time: 1.5 });
});
