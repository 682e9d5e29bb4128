// `contree op wait` on 500 operations that finish at random times: wall time of the process vs
// the time the last operation finishes (both from the moment contree is started), and how many
// requests the wait made.
//
// The server is the FakeApi with a clocked operations collection: an operation reports
// EXECUTING until its finish time, then SUCCESS (the local server would need 500 containers).

import type { Operation } from "../../src/api/models.ts";
import { FakeApi } from "../../tests/support/fake_api.ts";
import {
  benchMain,
  type BenchReport,
  checked,
  contreeArgv,
  contreeEnv,
  contreeLine,
  round,
  stats,
  tempDir,
} from "./lib.ts";

export const WAIT_DEFAULTS = {
  runs: 3,
  operations: 500,
  /** Operations finish uniformly between `first` and `span` seconds after contree starts. */
  first: 1,
  span: 12,
};
export type WaitOptions = typeof WAIT_DEFAULTS;

const GOAL = 1.2;

function uuidFor(i: number): string {
  return `0000bead-0000-4000-8000-${String(i).padStart(12, "0")}`;
}

/** A collection whose operations finish on a schedule; counts the requests made. */
class ClockedOperations {
  finishAt = new Map<string, number>();
  listRequests = 0;
  getRequests = 0;

  constructor(fake: FakeApi, private readonly uuids: string[]) {
    fake.on("GET", "/v1/operations", (request) => {
      this.listRequests++;
      const limit = Number(request.query.get("limit") ?? 100);
      const offset = Number(request.query.get("offset") ?? 0);
      const status = request.query.get("status");
      const rows = this.uuids.map((uuid) => this.operation(uuid))
        .filter((op) => !status || op.status === status);
      return { json: rows.slice(offset, offset + limit) };
    });
    fake.on("GET", "/v1/operations/:uuid", (_request, params) => {
      this.getRequests++;
      return this.finishAt.has(params.uuid)
        ? { json: this.operation(params.uuid) }
        : { status: 404, json: { error: "operation not found", status: 404 } };
    });
  }

  /** Schedules every operation from `start` (performance.now() milliseconds). */
  schedule(start: number, first: number, span: number): number {
    let last = 0;
    for (const uuid of this.uuids) {
      const at = (first + Math.random() * (span - first)) * 1000;
      last = Math.max(last, at);
      this.finishAt.set(uuid, start + at);
    }
    this.listRequests = 0;
    this.getRequests = 0;
    return last;
  }

  operation(uuid: string): Operation {
    const done = performance.now() >= this.finishAt.get(uuid)!;
    return {
      uuid,
      kind: "instance",
      status: done ? "SUCCESS" : "EXECUTING",
      error: null,
      created_at: "2026-06-08T20:00:00Z",
      duration: done ? 1 : null,
      metadata: { result: { state: done ? { exit_code: 0, timed_out: false } : null } },
    };
  }
}

export async function waitBench(options: WaitOptions): Promise<BenchReport> {
  const uuids = Array.from({ length: options.operations }, (_, i) => uuidFor(i));
  const fake = FakeApi.start();
  const operations = new ClockedOperations(fake, uuids);
  const home = await tempDir("contree-bench-home-");
  const walls: number[] = [];
  const lasts: number[] = [];
  const ratios: number[] = [];
  const lists: number[] = [];
  const gets: number[] = [];
  const args = ["-f", "json", "op", "wait", "-t", "600", ...uuids];
  try {
    const env = contreeEnv({
      CONTREE_HOME: home.path,
      CONTREE_URL: fake.url,
      CONTREE_TOKEN: fake.token,
      CONTREE_SESSION: "bench-wait",
    });
    for (let run = 0; run < options.runs; run++) {
      // A fresh home: terminal operations are cached in the session store between runs.
      await Deno.remove(`${home.path}/cli`, { recursive: true }).catch(() => {});
      const last = operations.schedule(performance.now(), options.first, options.span);
      const result = await checked("contree op wait", contreeArgv(args), { env, stdout: "piped" });
      const rows = new TextDecoder().decode(result.stdout).trim().split("\n").filter(Boolean);
      if (rows.length !== options.operations) {
        throw new Error(`op wait printed ${rows.length} rows, expected ${options.operations}`);
      }
      walls.push(result.wallMs / 1000);
      lasts.push(last / 1000);
      ratios.push(result.wallMs / last);
      lists.push(operations.listRequests);
      gets.push(operations.getRequests);
    }
  } finally {
    await home.remove();
    await fake.close();
  }
  const ratio = stats(ratios);
  return {
    name: "wait",
    title:
      `op wait: ${options.operations} operations finishing at random times (${options.first}–${options.span} s)`,
    commands: [
      `${
        contreeLine(["-f", "json", "op", "wait", "-t", "600", "UUID…"])
      }   # ${options.operations} UUIDs`,
    ],
    rows: [
      { subject: "contree op wait", metric: "wall", unit: "s", stats: stats(walls) },
      { subject: "last operation finishes", metric: "at", unit: "s", stats: stats(lasts) },
      { subject: "contree op wait", metric: "wall / last finish", unit: "×", stats: ratio },
      { subject: "contree op wait", metric: "list requests", unit: "count", stats: stats(lists) },
      { subject: "contree op wait", metric: "GET requests", unit: "count", stats: stats(gets) },
    ],
    goals: [{
      what: "wall / last finish",
      value: `${round(ratio.median, 2)}× (max ${round(ratio.max, 2)}×)`,
      goal: `≤ ${GOAL}×`,
      met: ratio.max <= GOAL,
    }],
    notes: [
      "Server: the FakeApi (tests/support/fake_api.ts) with operations that report EXECUTING until their finish time; times count from the spawn of contree (its ~0.1 s start included).",
      "Requests: each round lists the active operations (pages of 100 per status), then GETs only those no longer listed.",
    ],
  };
}

if (import.meta.main) await benchMain(WAIT_DEFAULTS, waitBench);
