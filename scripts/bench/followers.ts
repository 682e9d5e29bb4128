// 50 concurrent followers of one operation on the local server: each is
// `curl -N -H 'Accept-Encoding: gzip' … | sha256sum`, started before the operation writes
// anything, so all of them follow it live; every follower must receive identical bytes (the
// gzip body itself: one encoding for all). curl does not inflate here, so that the followers'
// own work stays small next to the server's on a small machine; `--inflate` makes them
// `curl --compressed` instead. Then the same log is read by 50 followers at once after the fact
// (a replay), next to a single reader, for the server's throughput when many clients read one
// log.

import { podmanUnavailable } from "../../tests/support/podman.ts";
import { startTestServer, type TestServer } from "../../tests/support/server.ts";
import {
  benchMain,
  type BenchReport,
  contreeEnv,
  mb,
  measure,
  type Measured,
  round,
  type Row,
  stats,
} from "./lib.ts";

export const FOLLOWERS_DEFAULTS = {
  runs: 2,
  followers: 50,
  /** Megabytes of stdout the operation writes. */
  mb: 20,
  /** Followers inflate the body (curl --compressed) instead of hashing it as sent. */
  inflate: false,
};
export type FollowersOptions = typeof FOLLOWERS_DEFAULTS;

/** Seconds the operation sleeps before writing, so that every follower is connected. */
const HEAD_START_S = 3;

const GOAL = 0.5;

/** The shell command of one follower (the token comes through the environment). */
function followerCommand(inflate: boolean): string {
  return inflate
    ? 'curl -s -f --compressed -N -H "Authorization: Bearer $BENCH_TOKEN" "$1" | sha256sum'
    : 'curl -s -f -N -H "Accept-Encoding: gzip" -H "Authorization: Bearer $BENCH_TOKEN" "$1" | sha256sum';
}

async function follow(
  server: TestServer,
  uuid: string,
  count: number,
  live: boolean,
  inflate: boolean,
) {
  const url = `${server.url}/v1/operations/${uuid}/events${live ? "?follow=1" : ""}`;
  const env = { ...contreeEnv(), BENCH_TOKEN: server.token };
  const argv = ["sh", "-c", followerCommand(inflate), "follower", url];
  const runs = await Promise.all(
    Array.from({ length: count }, () => measure(argv, { env, stdout: "piped" })),
  );
  const hashes = new Set(runs.map((run) => new TextDecoder().decode(run.stdout).trim()));
  const failed = runs.filter((run) => run.code !== 0);
  if (failed.length > 0) {
    throw new Error(`${failed.length} follower(s) failed: ${failed[0].stderr}`);
  }
  return { runs, identical: hashes.size === 1 };
}

async function sseBytes(server: TestServer, uuid: string): Promise<number> {
  const response = await server.fetch(`/operations/${uuid}/events`);
  return (await response.arrayBuffer()).byteLength;
}

export async function followersBench(options: FollowersOptions): Promise<BenchReport> {
  const title =
    `${options.followers} concurrent followers of one operation (${options.mb} MB of stdout)`;
  const unavailable = await podmanUnavailable();
  if (unavailable) {
    return { name: "followers", title, commands: [], rows: [], goals: [], notes: [unavailable] };
  }
  const bytes = Math.round(options.mb * 1_000_000);
  // The cap raised so that every byte is kept (the server clamps truncate_output_at to it).
  const server = await startTestServer({ busybox: true, maxOutput: bytes });
  const live = new Map<number, { rate: number[]; lag: number[] }>();
  const replayRate: number[] = [];
  const replayAggregate: number[] = [];
  const soloRate: number[] = [];
  let identical = true;
  let frameBytes = 0;

  /** One operation followed live by `count` followers; returns its uuid. */
  const followLive = async (count: number): Promise<string> => {
    const { uuid } = await server.client.spawn({
      command:
        `sleep ${HEAD_START_S}; yes 'the quick brown fox jumps over the lazy dog' | head -c ${bytes}`,
      shell: true,
      image: server.busybox,
      disposable: true,
      truncate_output_at: bytes,
      timeout: 600,
    });
    // Connect once the log exists (425 before), while the command still sleeps.
    while ((await server.fetch(`/operations/${uuid}/events?since=0`)).status !== 200) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const followed = await follow(server, uuid, count, true, options.inflate);
    identical &&= followed.identical;
    const operation = await server.client.getOperation(uuid);
    if (operation.status !== "SUCCESS") throw new Error(`operation ${operation.status}`);
    const log = (await (await server.fetch(`/operations/${uuid}/events`)).text()).split("\n")
      .filter((line) => line.startsWith("data: ")).map((line) => JSON.parse(line.slice(6)));
    if (log.some((e) => e.type === "truncated")) throw new Error("the output was truncated");
    const firstOutput = Date.parse(log.find((e) => e.type === "stdout").ts);
    const completion = Date.parse(log.find((e) => e.type === "completion").ts);
    // Output rate while it was produced, and how long after the completion each follower was
    // done (the same clock: the server runs in this process).
    const entry = live.get(count) ?? { rate: [], lag: [] };
    live.set(count, entry);
    for (const follower of followed.runs) {
      entry.rate.push(mb(bytes) / ((follower.endedAt - firstOutput) / 1000));
      entry.lag.push(follower.endedAt - completion);
    }
    return uuid;
  };

  try {
    for (let run = 0; run < options.runs; run++) {
      await followLive(1);
      const uuid = await followLive(options.followers);
      frameBytes = await sseBytes(server, uuid);
      const solo = await follow(server, uuid, 1, false, options.inflate);
      soloRate.push(mb(bytes) / (solo.runs[0].wallMs / 1000));
      const replay = await follow(server, uuid, options.followers, false, options.inflate);
      identical &&= replay.identical;
      const walls = replay.runs.map((r: Measured) => r.wallMs / 1000);
      for (const wall of walls) replayRate.push(mb(bytes) / wall);
      replayAggregate.push(options.followers * mb(bytes) / Math.max(...walls));
    }
  } finally {
    await server.cleanup();
  }
  const liveRows = [...live.entries()].flatMap(([count, entry]): Row[] => [
    {
      subject: `${count} live follower${count > 1 ? "s" : ""}`,
      metric: "rate each, first output to done",
      unit: "MB/s",
      stats: stats(entry.rate),
    },
    {
      subject: `${count} live follower${count > 1 ? "s" : ""}`,
      metric: "done after the completion",
      unit: "ms",
      stats: stats(entry.lag),
    },
  ]);
  const rows: Row[] = [
    ...liveRows,
    {
      subject: "1 reader of the finished log",
      metric: "rate",
      unit: "MB/s",
      stats: stats(soloRate),
    },
    {
      subject: `${options.followers} readers of the finished log at once`,
      metric: "rate each",
      unit: "MB/s",
      stats: stats(replayRate),
    },
    {
      subject: `${options.followers} readers of the finished log at once`,
      metric: "aggregate",
      unit: "MB/s",
      stats: stats(replayAggregate),
    },
  ];
  const single = stats(live.get(1)?.rate ?? []).median;
  const many = stats(live.get(options.followers)?.rate ?? []).median;
  const share = many / single;
  return {
    name: "followers",
    title,
    commands: [
      `deno task bench --only followers   # or: deno run -A scripts/bench/followers.ts --runs ${options.runs}${
        options.inflate ? " --inflate" : ""
      }`,
      `sh -c '${
        followerCommand(options.inflate).replaceAll("$BENCH_TOKEN", "$TOKEN").replace(
          '"$1"',
          '"$URL/v1/operations/$UUID/events?follow=1"',
        )
      }'   # × ${options.followers} at once`,
    ],
    rows,
    goals: [
      {
        what: "every follower received identical bytes",
        value: identical ? "yes" : "no",
        goal: "identical",
        met: identical,
      },
      {
        what: `live rate each, ${options.followers} followers / 1 follower`,
        value: `${round(share, 2)}`,
        goal: `≥ ${GOAL}`,
        met: share >= GOAL,
      },
    ],
    notes: [
      `The operation (busybox on the local server in the bench process) sleeps ${HEAD_START_S} s, then writes with \`yes … | head -c ${bytes}\`; all followers connect during the sleep. The SSE stream is ${
        round(mb(frameBytes), 1)
      } MB per follower (uncompressed); rates count stdout bytes. Followers are separate processes; per-follower rates count each one's own wall time.`,
      "Live followers cannot go faster than the output is produced (podman pipe → event log, in the same process that serves the streams); 'done after the completion' is how far behind the followers were.",
    ],
  };
}

if (import.meta.main) await benchMain(FOLLOWERS_DEFAULTS, followersBench);
