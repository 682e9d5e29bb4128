// `contree -f json ls` of a large directory vs `curl --compressed` taking the same listing, run
// after run, for two sizes: a listing past 16 MiB of JSON is parsed as it arrives and printed in
// pages (src/inspect/ls.ts), so its peak RSS should not grow with the directory.
//
// The server answers `GET /v1/inspect/{uuid}/list` with a listing shaped as the local server's
// (every field of its entries), gzip'd once and replayed (inspect_replay.ts), so the clients'
// own cost is measured.

import { startInspectReplay } from "./inspect_replay.ts";
import { fileItem } from "../../tests/support/images.ts";
import {
  benchMain,
  type BenchReport,
  checked,
  contreeArgv,
  contreeLine,
  curlDownload,
  type Goal,
  type Measured,
  round,
  type Row,
  serverEnv,
  stats,
  tempDir,
} from "./lib.ts";

export const LS_DEFAULTS = { runs: 3, small: 20_000, large: 400_000 };
export type LsOptions = typeof LS_DEFAULTS;

/** The listing as the local server writes it (every field, in its order). */
function listingJson(entries: number): Uint8Array {
  const files = Array.from(
    { length: entries },
    (_, i) => fileItem(`file-${String(i).padStart(7, "0")}.txt`, { size: i % 4096 }),
  );
  return new TextEncoder().encode(JSON.stringify({ path: "/d", files }));
}

async function sizeBench(options: LsOptions, entries: number) {
  const bytes = listingJson(entries);
  const server = await startInspectReplay("list", bytes, "application/json");
  try {
    const args = ["-f", "json", "ls", "--image", server.image, "/d"];
    const curl = curlDownload(
      `${server.url}/v1/inspect/${server.image}/list?path=%2Fd`,
      server.token,
    );
    // A fresh home for every run: a listing small enough to be cached is asked for each time.
    const inFreshHome = async <T>(fn: (env: Record<string, string>) => Promise<T>) => {
      const home = await tempDir("contree-bench-ls-");
      try {
        return await fn(serverEnv(home.path, server, "bench-ls"));
      } finally {
        await home.remove();
      }
    };
    await inFreshHome(async (env) => {
      const check = await checked("contree ls", contreeArgv(args), { env, stdout: "piped" });
      const lines = new TextDecoder().decode(check.stdout).split("\n").filter(Boolean);
      if (lines.length !== entries) throw new Error(`ls printed ${lines.length} rows`);
    });
    await checked("curl", curl);
    const contree: Measured[] = [];
    const peer: Measured[] = [];
    for (let i = 0; i < options.runs; i++) {
      contree.push(await inFreshHome((env) => checked("contree ls", contreeArgv(args), { env })));
      peer.push(await checked("curl", curl));
    }
    return { contree, peer, args, jsonMb: bytes.length / 1e6 };
  } finally {
    await server.close();
  }
}

export async function lsBench(options: LsOptions): Promise<BenchReport> {
  const rows: Row[] = [];
  const goals: Goal[] = [];
  const notes: string[] = [];
  const peaks: number[] = [];
  let args: string[] = [];
  for (const entries of [options.small, options.large]) {
    const result = await sizeBench(options, entries);
    args = result.args;
    const what = `${entries} entries, ${round(result.jsonMb, 1)} MB of JSON`;
    const rss = stats(result.contree.map((m) => (m.peakRssKb ?? NaN) / 1024));
    peaks.push(rss.median);
    rows.push(
      {
        subject: `contree -f json ls (${what})`,
        metric: "wall",
        unit: "s",
        stats: stats(result.contree.map((m) => m.wallMs / 1000)),
      },
      { subject: `contree -f json ls (${what})`, metric: "peak RSS", unit: "MB", stats: rss },
      {
        subject: `curl --compressed (${what})`,
        metric: "wall",
        unit: "s",
        stats: stats(result.peer.map((m) => m.wallMs / 1000)),
      },
    );
  }
  goals.push({
    what: `peak RSS, ${options.large} entries / ${options.small} entries (median)`,
    value: `${round(peaks[1] / peaks[0], 2)}×`,
    goal: "(measured: bounded memory)",
    met: undefined,
  });
  notes.push(
    "Each run has a fresh home, so no listing comes from the cache. The rows contree printed were counted once per size, in a run not timed.",
    `A listing of up to 16 MiB of JSON is parsed whole (and cached); the ${options.large}-entry one is parsed as it arrives and printed in pages of 1,000 rows.`,
  );
  return {
    name: "ls",
    title: "ls -f json of a large directory vs curl --compressed",
    commands: [
      `deno task bench --only ls   # or: deno run -A scripts/bench/ls.ts --runs ${options.runs}`,
      `${contreeLine(args.map((a) => a === args[4] ? "$IMAGE" : a))} > /dev/null`,
      'curl --compressed -s -f -o /dev/null -H "Authorization: Bearer $TOKEN" "$URL/v1/inspect/$IMAGE/list?path=%2Fd"',
    ],
    rows,
    goals,
    notes,
  };
}

if (import.meta.main) await benchMain(LS_DEFAULTS, lsBench);
