// `contree op wait` on 500 operations:
//   - finishing at random times: wall time of the process vs the time the last operation
//     finishes (both from the moment contree is started), and how many requests the wait made.
//     The server is the FakeApi with a clocked operations collection: an operation reports
//     EXECUTING until its finish time, then SUCCESS, and its completion stream (`events`)
//     pushes the completion at that time (the local server would need 500 containers).
//   - all finished, on a plain keep-alive HTTP/1.1 server (nagle_server.ts) with and without
//     TCP_NODELAY: a server that writes headers and body separately without it stalls every
//     response of a kept-alive connection behind the client's delayed ACK.

import type { Operation } from "../../src/api/models.ts";
import { FakeApi } from "../../tests/support/fake_api.ts";
import { startNagleServer } from "./nagle_server.ts";
import {
  benchMain,
  type BenchReport,
  checked,
  contreeArgv,
  contreeLine,
  type Goal,
  round,
  type Row,
  serverEnv,
  stats,
  tempDir,
} from "./lib.ts";

export const WAIT_DEFAULTS = {
  runs: 3,
  operations: 500,
  /** Operations finish uniformly between `first` and `span` seconds after contree starts. */
  first: 1,
  span: 12,
  /** Runs of the finished-operations case, per server. */
  "finished-runs": 5,
};
export type WaitOptions = typeof WAIT_DEFAULTS;

/** Issue 4: wall / last finish. */
const GOAL = 1.2;
/** Issue 17: seconds from the last finish to contree's exit. */
const LATE_GOAL_S = 0.2;
/** Issue 17: the reference CLI on 500 finished operations (its measurement on this machine). */
const REFERENCE_FINISHED_S = 0.54;

function uuidFor(i: number): string {
  return `0000bead-0000-4000-8000-${String(i).padStart(12, "0")}`;
}

/** A collection whose operations finish on a schedule; counts the requests made. */
class ClockedOperations {
  finishAt = new Map<string, number>();
  listRequests = 0;
  getRequests = 0;
  eventStreams = 0;

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
    // The completion stream: init, then the completion at the finish time.
    fake.on("GET", "/v1/operations/:uuid/events", (_request, params) => {
      this.eventStreams++;
      const at = this.finishAt.get(params.uuid);
      if (at === undefined) return { status: 404, json: { error: "not found", status: 404 } };
      const wait = Math.max(0, at - performance.now());
      return {
        events: [
          { frame: { id: 0, type: "init", spid: 0 } },
          { delayMs: wait },
          {
            frame: {
              id: 1,
              type: "completion",
              data: { status: "SUCCESS", result_image_uuid: null, error: null, duration_ms: 1000 },
            },
          },
        ],
      };
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
    this.eventStreams = 0;
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

/** 500 operations finishing at random times on the clocked FakeApi. */
async function randomFinishes(options: WaitOptions): Promise<{ rows: Row[]; goals: Goal[] }> {
  const uuids = Array.from({ length: options.operations }, (_, i) => uuidFor(i));
  const fake = FakeApi.start();
  const operations = new ClockedOperations(fake, uuids);
  const home = await tempDir("contree-bench-home-");
  const walls: number[] = [];
  const lasts: number[] = [];
  const lates: number[] = [];
  const ratios: number[] = [];
  const lists: number[] = [];
  const gets: number[] = [];
  const streams: number[] = [];
  const args = ["-f", "json", "op", "wait", "-t", "600", ...uuids];
  try {
    const env = serverEnv(home.path, fake, "bench-wait");
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
      lates.push((result.wallMs - last) / 1000);
      ratios.push(result.wallMs / last);
      lists.push(operations.listRequests);
      gets.push(operations.getRequests);
      streams.push(operations.eventStreams);
    }
  } finally {
    await home.remove();
    await fake.close();
  }
  const ratio = stats(ratios);
  const late = stats(lates);
  const subject = `contree op wait (${options.first}–${options.span} s)`;
  return {
    rows: [
      { subject, metric: "wall", unit: "s", stats: stats(walls) },
      { subject: "last operation finishes", metric: "at", unit: "s", stats: stats(lasts) },
      { subject, metric: "exit after the last finish", unit: "s", stats: late },
      { subject, metric: "wall / last finish", unit: "×", stats: ratio },
      { subject, metric: "list requests", unit: "count", stats: stats(lists) },
      { subject, metric: "GET requests", unit: "count", stats: stats(gets) },
      { subject, metric: "completion streams", unit: "count", stats: stats(streams) },
    ],
    goals: [{
      what: "exit after the last of 500 finishes",
      value: `${round(late.median, 3)} s (max ${round(late.max, 3)} s)`,
      goal: `≤ ${LATE_GOAL_S} s`,
      met: late.max <= LATE_GOAL_S,
    }, {
      what: "wall / last finish",
      value: `${round(ratio.median, 2)}× (max ${round(ratio.max, 2)}×)`,
      goal: `≤ ${GOAL}×`,
      met: ratio.max <= GOAL,
    }],
  };
}

/** 500 finished operations on a keep-alive server with and without TCP_NODELAY. */
async function finishedOperations(options: WaitOptions): Promise<{ rows: Row[]; goals: Goal[] }> {
  const uuids = Array.from({ length: options.operations }, (_, i) => uuidFor(i));
  const args = ["-f", "json", "op", "wait", "-t", "600", ...uuids];
  const servers = [startNagleServer(true), startNagleServer(false)];
  const home = await tempDir("contree-bench-home-");
  const walls: number[][] = [[], []];
  const connections: number[][] = [[], []];
  try {
    const run = async (index: number) => {
      const server = servers[index];
      await Deno.remove(`${home.path}/cli`, { recursive: true }).catch(() => {});
      const env = serverEnv(home.path, { url: server.url, token: "bench" }, "bench-wait-finished");
      const before = server.connections;
      const result = await checked("contree op wait", contreeArgv(args), { env, stdout: "piped" });
      const rows = new TextDecoder().decode(result.stdout).trim().split("\n").filter(Boolean);
      if (rows.length !== options.operations) {
        throw new Error(`op wait printed ${rows.length} rows, expected ${options.operations}`);
      }
      return { wall: result.wallMs / 1000, connections: server.connections - before };
    };
    await run(0); // warm-up
    // Alternating, so that load changes hit both servers alike.
    for (let i = 0; i < options["finished-runs"]; i++) {
      for (const index of [0, 1]) {
        const result = await run(index);
        walls[index].push(result.wall);
        connections[index].push(result.connections);
      }
    }
  } finally {
    await home.remove();
    for (const server of servers) await server.close();
  }
  const rows: Row[] = [];
  const goals: Goal[] = [];
  ["with TCP_NODELAY", "without TCP_NODELAY"].forEach((label, index) => {
    const wall = stats(walls[index]);
    const subject = `contree op wait, ${options.operations} finished (server ${label})`;
    rows.push({ subject, metric: "wall", unit: "s", stats: wall });
    rows.push({ subject, metric: "connections", unit: "count", stats: stats(connections[index]) });
    goals.push({
      what: `${options.operations} finished, server ${label} / reference CLI`,
      value: `${round(wall.median / REFERENCE_FINISHED_S, 2)}× (${round(wall.median, 3)} s)`,
      goal: `≤ 1.0× (${REFERENCE_FINISHED_S} s)`,
      met: wall.median <= REFERENCE_FINISHED_S,
    });
  });
  return { rows, goals };
}

export async function waitBench(options: WaitOptions): Promise<BenchReport> {
  const parts = [await randomFinishes(options), await finishedOperations(options)];
  return {
    name: "wait",
    title: `op wait on ${options.operations} operations`,
    commands: [
      `${
        contreeLine(["-f", "json", "op", "wait", "-t", "600", "UUID…"])
      }   # ${options.operations} UUIDs`,
    ],
    rows: parts.flatMap((part) => part.rows),
    goals: parts.flatMap((part) => part.goals),
    notes: [
      "Random finishes: the FakeApi (tests/support/fake_api.ts) with operations that report EXECUTING until their finish time and push their completion on `events?follow=1&spid=0` then; times count from the spawn of contree (its start included).",
      "Requests: each round lists the active operations (pages of 100 per status), then GETs only those no longer listed; between rounds, up to 64 completion streams push completions, each fetched at once.",
      `Finished operations: scripts/bench/nagle_server.ts, a keep-alive HTTP/1.1 server writing headers and body separately, with and without TCP_NODELAY, runs alternating. The reference CLI is not installed here: ${REFERENCE_FINISHED_S} s is issue 17's measurement of it on this machine (server without TCP_NODELAY).`,
    ],
  };
}

if (import.meta.main) await benchMain(WAIT_DEFAULTS, waitBench);
