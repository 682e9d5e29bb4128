// Seeded random fault schedules for one long run (issue 14): a schedule decides, from its seed
// alone, what each connection to the events route gets (pass, 5xx, 410/425/429 with
// Retry-After, a reset inside a gzip frame, a truncated gzip body, keepalives that close, junk,
// a clean end after some frames, a log without its completion) and what each record GET gets,
// so a failing seed replays exactly. `followUnderSchedule` follows an operation in-process
// through a FaultProxy with the `run` output path (followRun + OutputSink) and returns exactly
// the bytes it wrote and the exit status it composed.

import { ContreeClient } from "../../src/api/client.ts";
import { concatBytes } from "../../src/bytes.ts";
import type { Clock, Context } from "../../src/context.ts";
import { MemorySink } from "../../src/io.ts";
import { followRun, OutputSink } from "../../src/operations/live_output.ts";
import { runExitCode } from "../../src/operations/outcome.ts";
import { testContext } from "./context.ts";
import type { Chunk, Program } from "./fake_sandbox.ts";
import { isEvents, isRecord, status } from "./fault_matrix.ts";
import { type Fault, type FaultPlan, FaultProxy, frameType, PASS } from "./fault_proxy.ts";
import { prng, randomText } from "./prng.ts";

const encoder = new TextEncoder();

/** ~230 KB over both streams: long lines, multi-byte characters, bytes that force base64. */
export const LONG_RUN: Program = (() => {
  const pad = randomText(200, 1200, "abcdefghijklmnopqrstuvwxyz0123456789");
  const chunks: Chunk[] = [];
  for (let i = 0; i < 150; i++) {
    chunks.push({ stream: "stdout", bytes: encoder.encode(`out ${i} ${pad}\n`) });
    chunks.push({ stream: "stderr", bytes: encoder.encode(`err ${i} €uro ünïcödé\n`) });
  }
  chunks.push({ stream: "stdout", bytes: new Uint8Array([0xff, 0xfe, 0x00, 0x0a]) });
  return {
    script: `i=0; while [ $i -lt 150 ]; do echo "out $i ${pad}"; echo "err $i €uro ünïcödé" >&2; ` +
      "i=$((i+1)); done; printf '\\377\\376\\000\\n'; exit 5",
    chunks,
    exit: 5,
  };
})();

const JUNK = ["data: {not json\n\n", "data: [1]\n\n", "data: {}\n\n", "event: x\ndata: \u0001\n\n"];

/** Passes `n` frames, then ends the stream cleanly. */
function afterFrames(n: number): Fault {
  let seen = 0;
  return { frames: (frame) => (seen++ < n ? [frame] : null) };
}

/** The fault plan of schedule `seed`. */
export function schedulePlan(seed: number): FaultPlan {
  const random = prng(seed * 7919 + 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const size = () => 50 + Math.floor(random() * 30_000);
  const makers: (() => Fault)[] = [
    () => PASS,
    () => status(pick([500, 502, 503, 504])),
    () => status(pick([410, 425, 429]), pick([0, 1])),
    () => ({ resetAfter: size() }),
    () => ({ resetAfter: size() }),
    () => ({ endAfter: size() }),
    () => ({ stream: [": keepalive\n\n", ": keepalive\n\n"] }),
    () => ({ stream: [pick(JUNK)] }),
    () => afterFrames(Math.floor(random() * 400)),
    () => ({ frames: (frame) => (frameType(frame) === "completion" ? null : [frame]) }),
  ];
  const pollingOnly = random() < 0.03;
  const events = Array.from({ length: Math.floor(random() * 10) }, () => pick(makers));
  const records = Array.from(
    { length: Math.floor(random() * 4) },
    () => (random() < 0.5 ? status(503) : PASS),
  );
  let connection = 0;
  let record = 0;
  return (request) => {
    if (isEvents(request)) {
      if (pollingOnly) return status(404);
      const make = events[connection++];
      return make ? make() : PASS;
    }
    if (isRecord(request)) return records[record++] ?? PASS;
    return PASS;
  };
}

export interface ScheduleOutcome {
  stdout: Uint8Array;
  stderr: Uint8Array;
  exit: number;
  faults: number;
}

/**
 * Follows `uuid` through a proxy running schedule `seed`, with the `run` output path; the
 * context's clock may be a FakeClock (instant sleeps) or the system's.
 */
export async function followUnderSchedule(
  upstream: { hostname: string; port: number },
  token: string,
  uuid: string,
  seed: number,
  clock?: Clock,
): Promise<ScheduleOutcome> {
  const proxy = new FaultProxy(upstream, schedulePlan(seed));
  const ctx: Context = testContext({ clock });
  const client = new ContreeClient({ url: proxy.url, token, type: "jwt" }, {
    fetch,
    clock: ctx.clock,
    log: ctx.log,
    userAgent: "schedules",
  });
  const stdout = new MemorySink();
  const stderr = new MemorySink();
  try {
    const output = new OutputSink(ctx, { stdout, stderr });
    const followed = await followRun(ctx, client, uuid, output);
    return {
      stdout: stdout.bytes(),
      stderr: stderr.bytes(),
      exit: runExitCode(followed.operation),
      faults: proxy.faultsApplied,
    };
  } finally {
    await proxy.close();
  }
}

export function expectedBytes(program: Program, stream: Chunk["stream"]): Uint8Array {
  return concatBytes(program.chunks.filter((c) => c.stream === stream).map((c) => c.bytes));
}
