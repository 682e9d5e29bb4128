// `contree -f json run` of a command printing 20 MB and 200 MB: wall time, peak RSS, and the
// row checked against the raw output. The server is the replay server of sse.ts (precompressed,
// 64 KiB stdout events), so the client's own cost is measured. `--formats json,csv,table,…`
// measures the text formats' rows too (their bytes are pinned by tests/output/long_text_test.ts).
//
// The reference Python CLI is not installed here (PyPI is unreachable): its figures are the ones
// issue 17 measured on this machine (20 MB: 1.38 s, 128 MB; 200 MB: completes).

import {
  benchMain,
  type BenchReport,
  checked,
  contreeArgv,
  contreeLine,
  type Goal,
  type Measured,
  round,
  type Row,
  rssMethod,
  serverEnv,
  type Stats,
  stats,
  tempDir,
} from "./lib.ts";
import { startReplayServer } from "./sse_server.ts";

export const JSON_RUN_DEFAULTS = { runs: 5, sizes: "20,200", formats: "json" };
export type JsonRunOptions = typeof JSON_RUN_DEFAULTS;

/** Issue 17's measurement of the reference CLI (`-f json run`, 20 MB): seconds and MB. */
const REFERENCE_20MB = { wall: 1.38, rss: 128 };
const RSS_GOALS_MB: Record<number, number> = { 20: 100, 200: 150 };

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Fails unless the JSON row carries exactly the bytes the default format streams. */
async function checkRow(row: Uint8Array, raw: Uint8Array): Promise<void> {
  const text = new TextDecoder().decode(row);
  if (!text.endsWith("}\n") || text.indexOf("\n") !== text.length - 1) {
    throw new Error("-f json run did not print one JSON line");
  }
  const parsed = JSON.parse(text);
  const keys = Object.keys(parsed).join(",");
  if (!keys.endsWith("exit_code,image,tag,stdout,stderr,error")) {
    throw new Error(`unexpected columns: ${keys}`);
  }
  const got = await sha256(new TextEncoder().encode(parsed.stdout));
  if (got !== await sha256(raw)) throw new Error("the row's stdout differs from the raw output");
  if (/[^\x20-\x7e\n]/.test(text)) throw new Error("the row is not ASCII");
}

function runArgs(format: string): string[] {
  return ["-f", format, "run", "--", "generate"];
}

/** Fails unless a text format's row holds at least the raw output (it adds quotes, padding). */
function checkTextRow(format: string, row: Uint8Array, raw: Uint8Array): void {
  if (row.length < raw.length) {
    throw new Error(`-f ${format} run printed ${row.length} bytes for ${raw.length} of output`);
  }
}

async function sizeBench(options: JsonRunOptions, megabytes: number, format: string) {
  const totalBytes = megabytes * 1_000_000;
  const server = await startReplayServer({
    totalBytes,
    chunkBytes: 65536,
    binary: false,
    precompressed: true,
  });
  const home = await tempDir("contree-bench-home-");
  try {
    const env = serverEnv(home.path, server, "bench-json-run");
    await checked("contree use", contreeArgv(["use", crypto.randomUUID()]), { env });
    const args = runArgs(format);
    const raw = await checked("contree run", contreeArgv(["run", "--", "generate"]), {
      env,
      stdout: "piped",
    });
    const what = `contree -f ${format} run`;
    const row = await checked(what, contreeArgv(args), { env, stdout: "piped" });
    if (format === "json") await checkRow(row.stdout, raw.stdout);
    else checkTextRow(format, row.stdout, raw.stdout);
    const runs: Measured[] = [];
    for (let i = 0; i < options.runs; i++) {
      runs.push(await checked(what, contreeArgv(args), { env }));
    }
    return runs;
  } finally {
    await home.remove();
    await server.close();
  }
}

export async function jsonRunBench(options: JsonRunOptions): Promise<BenchReport> {
  const rows: Row[] = [];
  const goals: Goal[] = [];
  const formats = options.formats.split(",").filter(Boolean);
  for (const format of formats) {
    for (const megabytes of options.sizes.split(",").map(Number).filter(Boolean)) {
      const runs = await sizeBench(options, megabytes, format);
      const wall = stats(runs.map((m) => m.wallMs / 1000));
      const rss = stats(runs.map((m) => (m.peakRssKb ?? NaN) / 1024));
      const subject = `contree -f ${format} run, ${megabytes} MB`;
      rows.push({ subject, metric: "wall", unit: "s", stats: wall });
      rows.push({ subject, metric: "peak RSS", unit: "MB", stats: rss });
      if (format === "json") goals.push(...jsonGoals(megabytes, wall, rss));
    }
  }
  return {
    name: "json-run",
    title: "`-f json run`: the whole output in one JSON row",
    commands: formats.map((format) => `${contreeLine(runArgs(format))} > /dev/null`),
    rows,
    goals,
    notes: [
      "Server: the replay server of sse.ts (precompressed, 64 KiB text events). Each row was checked once (not timed): one ASCII JSON line whose `stdout` decodes to exactly the bytes `contree run` streams in the default format; the escaping itself is pinned by tests/output/json_text_test.ts. A text format's row was checked to hold at least the output's bytes.",
      `Reference CLI: not installed here; ${REFERENCE_20MB.wall} s and ${REFERENCE_20MB.rss} MB for 20 MB are issue 17's measurement of it on this machine.`,
      `Peak RSS: ${rssMethod()}.`,
    ],
  };
}

/** Issue 17's goals for `-f json run`. */
function jsonGoals(megabytes: number, wall: Stats, rss: Stats): Goal[] {
  const goals: Goal[] = [];
  if (megabytes === 20) {
    goals.push({
      what: "wall / reference CLI (20 MB)",
      value: `${round(wall.median / REFERENCE_20MB.wall, 2)}× (${round(wall.median, 2)} s)`,
      goal: `≤ 1.0× (${REFERENCE_20MB.wall} s)`,
      met: wall.median <= REFERENCE_20MB.wall,
    });
  }
  const rssGoal = RSS_GOALS_MB[megabytes];
  if (rssGoal !== undefined) {
    goals.push({
      what: `peak RSS (${megabytes} MB)`,
      value: `${round(rss.max, 1)} MB (max)`,
      goal: `≤ ${rssGoal} MB`,
      met: rss.max <= rssGoal,
    });
  }
  return goals;
}

if (import.meta.main) await benchMain(JSON_RUN_DEFAULTS, jsonRunBench);
