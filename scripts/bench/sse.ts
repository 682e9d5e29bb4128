// SSE throughput and peak RSS: `contree run` streaming 200 MB of stdout events (default
// formatter, stdout to /dev/null) vs `curl --compressed -N` reading the same endpoint, run
// after run, in the same bench.
//
// The endpoint is the local server's event route over a stored log (sse_server.ts): 64 KiB
// stdout events (what the local server emits per pipe read), gzip'd and flushed per chunk.
//   - "as served": compressed per request, as the local server does — the goal's measurement.
//   - "precompressed": the same gzip bytes computed once, so the server costs nothing and the
//     clients' own cost shows (this machine's cores are shared between server and client).
//   - "end to end" (--e2e-runs, needs podman): the real local server running
//     `yes … | head -c N` in busybox; curl spawns with a POST and then follows.

import { podmanUnavailable } from "../../tests/support/podman.ts";
import { startTestServer } from "../../tests/support/server.ts";
import {
  benchMain,
  type BenchReport,
  checked,
  contreeArgv,
  contreeLine,
  curlDownload,
  type Goal,
  LOCAL_PROFILE_ENV,
  mb,
  measure,
  type Measured,
  round,
  type Row,
  rssMethod,
  serverEnv,
  shellLine,
  stats,
  tempDir,
} from "./lib.ts";
import { startReplayServer } from "./sse_server.ts";

export const SSE_DEFAULTS = {
  runs: 5,
  /** Megabytes (10^6 bytes) of stdout: 200 MiB. */
  mb: 209.7152,
  /** Bytes per stdout event of the "as served" log (what the local server emits per read). */
  chunk: 65536,
  /** Event sizes of the precompressed (client-bound) logs, comma-separated. */
  "precompressed-chunks": "65536,4096",
  binary: false,
  /** End-to-end runs on the real local server (0 = skip); each takes ~10 s per client. */
  "e2e-runs": 1,
};
export type SseOptions = typeof SSE_DEFAULTS;

/** Issue 4: contree / curl throughput as served. */
const THROUGHPUT_GOAL = 0.8;
/** Issue 17: contree / curl wall time, as served and client-bound (precompressed). */
const AS_SERVED_WALL_GOAL = 1.05;
const PRECOMPRESSED_WALL_GOAL = 2;
const RSS_GOAL_MB = 150;
const PRECOMPRESSED_RSS_GOAL_MB = 64;

interface Pair {
  contree: Measured[];
  curl: Measured[];
}

function curlArgv(url: string, token: string): string[] {
  return curlDownload(url, token, ["-N"]);
}

/** Alternates contree and curl so load changes hit both alike. */
async function alternate(
  runs: number,
  contree: () => Promise<Measured>,
  curl: () => Promise<Measured>,
): Promise<Pair> {
  const pair: Pair = { contree: [], curl: [] };
  for (let i = 0; i < runs; i++) {
    pair.contree.push(await contree());
    pair.curl.push(await curl());
  }
  return pair;
}

function rowsAndGoals(
  label: string,
  bytes: number,
  pair: Pair,
  kind: "as served" | "precompressed" | "informational",
): { rows: Row[]; goals: Goal[]; ratio: number } {
  const throughput = (m: Measured) => mb(bytes) / (m.wallMs / 1000);
  const contreeRate = stats(pair.contree.map(throughput));
  const curlRate = stats(pair.curl.map(throughput));
  const contreeRss = stats(pair.contree.map((m) => (m.peakRssKb ?? NaN) / 1024));
  const rows: Row[] = [
    { subject: `contree run (${label})`, metric: "wall", unit: "s", stats: wall(pair.contree) },
    { subject: `contree run (${label})`, metric: "throughput", unit: "MB/s", stats: contreeRate },
    { subject: `contree run (${label})`, metric: "peak RSS", unit: "MB", stats: contreeRss },
    { subject: `curl (${label})`, metric: "wall", unit: "s", stats: wall(pair.curl) },
    { subject: `curl (${label})`, metric: "throughput", unit: "MB/s", stats: curlRate },
    {
      subject: `curl (${label})`,
      metric: "peak RSS",
      unit: "MB",
      stats: stats(pair.curl.map((m) => (m.peakRssKb ?? NaN) / 1024)),
    },
  ];
  const ratio = contreeRate.median / curlRate.median;
  // Wall ratio of the medians; the runs alternate, so load changes hit both alike.
  const wallRatio = wall(pair.contree).median / wall(pair.curl).median;
  const result: Goal[] = [];
  if (kind === "as served") {
    result.push({
      what: `contree / curl throughput (${label})`,
      value: String(round(ratio, 2)),
      goal: `≥ ${THROUGHPUT_GOAL}`,
      met: ratio >= THROUGHPUT_GOAL,
    }, {
      what: `contree / curl wall (${label})`,
      value: `${round(wallRatio, 2)}×`,
      goal: `≤ ${AS_SERVED_WALL_GOAL}×`,
      met: wallRatio <= AS_SERVED_WALL_GOAL,
    }, {
      what: `contree peak RSS (${label})`,
      value: `${round(contreeRss.max, 1)} MB (max)`,
      goal: `< ${RSS_GOAL_MB} MB`,
      met: contreeRss.max < RSS_GOAL_MB,
    });
  } else if (kind === "precompressed") {
    result.push({
      what: `contree / curl wall (${label})`,
      value: `${round(wallRatio, 2)}×`,
      goal: `≤ ${PRECOMPRESSED_WALL_GOAL}×`,
      met: wallRatio <= PRECOMPRESSED_WALL_GOAL,
    }, {
      what: `contree peak RSS (${label})`,
      value: `${round(contreeRss.median, 1)} MB (median)`,
      goal: `< ${PRECOMPRESSED_RSS_GOAL_MB} MB`,
      met: contreeRss.median < PRECOMPRESSED_RSS_GOAL_MB,
    });
  } else {
    result.push({
      what: `contree / curl wall (${label})`,
      value: `${round(wallRatio, 2)}×`,
      goal: "none (informational)",
    });
  }
  return { rows, goals: result, ratio };
}

function wall(runs: Measured[]) {
  return stats(runs.map((m) => m.wallMs / 1000));
}

/** The replayed log, as served or precompressed. */
async function replayBench(
  options: SseOptions,
  precompressed: boolean,
  chunk: number,
): Promise<{ rows: Row[]; goals: Goal[]; commands: string[]; notes: string[] }> {
  const totalBytes = Math.round(options.mb * 1_000_000);
  const server = await startReplayServer({
    totalBytes,
    chunkBytes: chunk,
    binary: options.binary,
    precompressed,
  });
  const home = await tempDir("contree-bench-home-");
  try {
    const env = serverEnv(home.path, server, "bench-sse");
    await checked("contree use", contreeArgv(["use", crypto.randomUUID()]), { env });
    const runArgs = ["run", "--", "generate"];
    const eventsUrl = `${server.url}/v1/operations/${server.operation}/events?follow=1`;
    // Unmeasured check: every byte arrives.
    const check = await checked("contree run", contreeArgv(runArgs), { env, stdout: "piped" });
    if (check.stdout.length !== totalBytes) {
      throw new Error(`contree run wrote ${check.stdout.length} bytes, expected ${totalBytes}`);
    }
    await checked("curl", curlArgv(eventsUrl, server.token));
    const pair = await alternate(
      options.runs,
      () => checked("contree run", contreeArgv(runArgs), { env }),
      () => checked("curl", curlArgv(eventsUrl, server.token)),
    );
    const label = `${precompressed ? "precompressed" : "as served"}, ${eventSize(chunk)} events`;
    const { rows, goals } = rowsAndGoals(
      label,
      totalBytes,
      pair,
      precompressed ? "precompressed" : "as served",
    );
    return {
      rows,
      goals,
      commands: [
        `${contreeLine(runArgs)} > /dev/null   # ${label}`,
        `${shellLine(curlArgv("$URL/v1/operations/$OP/events?follow=1", "$TOKEN"))}`,
      ],
      notes: precompressed
        ? [
          `precompressed: ${round(mb(server.gzipBytes), 1)} MB of gzip for ${
            round(mb(totalBytes), 1)
          } MB of output in ${server.events} events.`,
        ]
        : [],
    };
  } finally {
    await home.remove();
    await server.close();
  }
}

/** The real local server: a busybox container writes the bytes; each client spawns its own run. */
async function endToEndBench(
  options: SseOptions,
): Promise<{ rows: Row[]; goals: Goal[]; commands: string[]; notes: string[] }> {
  const unavailable = await podmanUnavailable();
  if (unavailable) {
    return { rows: [], goals: [], commands: [], notes: [`end to end: skipped (${unavailable})`] };
  }
  const totalBytes = Math.round(options.mb * 1_000_000);
  const script =
    `yes 'the quick brown fox jumps over the lazy dog 0123456789' | head -c ${totalBytes}`;
  // The cap raised so that every byte is kept (the server clamps truncate_output_at to it).
  const server = await startTestServer({ busybox: true, maxOutput: totalBytes });
  const home = await tempDir("contree-bench-home-");
  try {
    const env = { ...serverEnv(home.path, server, "bench-sse-e2e"), ...LOCAL_PROFILE_ENV };
    await checked("contree use", contreeArgv(["use", server.busybox]), { env });
    const runArgs = ["run", "-D", "-T", String(totalBytes), "-t", "600", "--", "sh", "-c", script];
    const spawnBody = JSON.stringify({
      command: script,
      shell: true,
      image: server.busybox,
      disposable: true,
      truncate_output_at: totalBytes,
      timeout: 600,
    });
    const curlRun = async (): Promise<Measured> => {
      const spawn = await checked("curl spawn", [
        "curl",
        "-s",
        "-f",
        "--compressed",
        "-H",
        `Authorization: Bearer ${server.token}`,
        "-H",
        "Content-Type: application/json",
        "-d",
        spawnBody,
        `${server.url}/v1/instances`,
      ], { stdout: "piped" });
      const { uuid } = JSON.parse(new TextDecoder().decode(spawn.stdout));
      // The log exists once the operation is assigned (425 before): wait for it like a client.
      const follow = [
        ...curlArgv(`${server.url}/v1/operations/${uuid}/events?follow=1`, server.token),
        "-w",
        "%{http_code}",
      ].filter((arg) => arg !== "-f");
      let waited = spawn.wallMs;
      for (let attempt = 0; attempt < 100; attempt++) {
        const read = await measure(follow, { stdout: "piped" });
        const status = new TextDecoder().decode(read.stdout);
        if (status === "200") return { ...read, wallMs: waited + read.wallMs };
        if (status !== "425") throw new Error(`curl follow answered ${status}: ${read.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        waited += read.wallMs + 50;
      }
      throw new Error(`the log of ${uuid} never appeared`);
    };
    const pair = await alternate(
      options["e2e-runs"],
      () => checked("contree run", contreeArgv(runArgs), { env }),
      curlRun,
    );
    const { rows, goals } = rowsAndGoals("end to end", totalBytes, pair, "informational");
    return {
      rows,
      goals,
      commands: [
        `${contreeLine(runArgs)} > /dev/null   # end to end`,
        `curl -s -f --compressed -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"command": "…", "shell": true, "disposable": true, "truncate_output_at": ${totalBytes}, …}' $URL/v1/instances`,
        `${shellLine(curlArgv("$URL/v1/operations/$UUID/events?follow=1", "$TOKEN"))}`,
      ],
      notes: [
        "end to end: the container's output is ingested by the server (podman pipe → SQLite event log) at the rate shown; both clients wait on it, so this row measures the server, not the client.",
      ],
    };
  } finally {
    await home.remove();
    await server.cleanup();
  }
}

function eventSize(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

export async function sseBench(options: SseOptions): Promise<BenchReport> {
  const parts = [await replayBench(options, false, options.chunk)];
  for (const chunk of options["precompressed-chunks"].split(",").map(Number).filter(Boolean)) {
    parts.push(await replayBench(options, true, chunk));
  }
  if (options["e2e-runs"] > 0) parts.push(await endToEndBench(options));
  return {
    name: "sse",
    title: `SSE throughput: ${round(options.mb / 1.048576, 1)} MiB of stdout events (${
      options.binary ? "random bytes, base64" : "text lines"
    })`,
    commands: parts.flatMap((p) => p.commands),
    rows: parts.flatMap((p) => p.rows),
    goals: parts.flatMap((p) => p.goals),
    notes: [
      "Server: a bench server built on the local server's event code (src/server/events.ts `EventLog` over its SQLite `Store`, `toResponse` gzip through a CompressionStream flushed per chunk), replaying one stored log; every `POST /v1/instances` answers with that operation.",
      `Peak RSS: ${rssMethod()}. Wall time: spawn to exit of the process (contree's includes its ~0.1 s start).`,
      ...parts.flatMap((p) => p.notes),
    ],
  };
}

if (import.meta.main) await benchMain(SSE_DEFAULTS, sseBench);
