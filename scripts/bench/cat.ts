// `contree cat` of a 50 MB file (log-like text, and random bytes) vs `curl --compressed` on the
// same download route, run after run: as from any server (gzip, read through node:http), and on
// the `local` profile, which asks the local server for the bytes uncompressed and reads them with
// fetch (src/api/client.ts, `ClientDeps.local`).
//
// The server answers `GET /v1/inspect/{uuid}/download` as the local server does, compressed once
// and replayed (inspect_replay.ts), so both clients' own cost is what is measured.

import { startInspectReplay } from "./inspect_replay.ts";
import { prng } from "../../tests/support/prng.ts";
import {
  benchMain,
  type BenchReport,
  checked,
  contreeArgv,
  contreeLine,
  curlDownload,
  type Goal,
  LOCAL_PROFILE_ENV,
  type Measured,
  round,
  type Row,
  serverEnv,
  shellLine,
  stats,
  tempDir,
} from "./lib.ts";

export const CAT_DEFAULTS = { runs: 7, mb: 50 };
export type CatOptions = typeof CAT_DEFAULTS;

const GOAL = 1.5;

function fileBytes(kind: "text" | "random", size: number): Uint8Array {
  const random = prng(kind === "text" ? 11 : 12);
  const out = new Uint8Array(size);
  if (kind === "random") {
    for (let i = 0; i < size; i++) out[i] = Math.floor(random() * 256);
    return out;
  }
  const encoder = new TextEncoder();
  const words = ["worker", "request", "done", "queued", "GET /api/items", "cache", "retry"];
  for (let at = 0; at < size;) {
    const line = encoder.encode(
      `2026-06-08T20:14:${String(Math.floor(random() * 60)).padStart(2, "0")}Z INFO ${
        words[Math.floor(random() * words.length)]
      } item=${Math.floor(random() * 1e6)} took ${Math.floor(random() * 1000)}ms\n`,
    );
    const n = Math.min(line.length, size - at);
    out.set(line.subarray(0, n), at);
    at += n;
  }
  return out;
}

async function kindBench(options: CatOptions, kind: "text" | "random", local: boolean) {
  const bytes = fileBytes(kind, Math.round(options.mb * 1_000_000));
  const server = await startInspectReplay("download", bytes, "application/octet-stream");
  const home = await tempDir("contree-bench-home-");
  try {
    const env = {
      ...serverEnv(home.path, server, "bench-cat"),
      ...(local ? LOCAL_PROFILE_ENV : {}),
    };
    const args = ["cat", "--image", server.image, "/data/file"];
    const url = `${server.url}/v1/inspect/${server.image}/download?path=%2Fdata%2Ffile`;
    const curl = curlDownload(url, server.token);
    const check = await checked("contree cat", contreeArgv(args), { env, stdout: "piped" });
    if (check.stdout.length !== bytes.length || !check.stdout.every((b, i) => b === bytes[i])) {
      throw new Error("contree cat wrote other bytes than the file's");
    }
    await checked("curl", curl);
    const contree: Measured[] = [];
    const peer: Measured[] = [];
    for (let i = 0; i < options.runs; i++) {
      contree.push(await checked("contree cat", contreeArgv(args), { env }));
      peer.push(await checked("curl", curl));
    }
    return { contree, peer, args, curl, gzipBytes: server.gzipBytes };
  } finally {
    await home.remove();
    await server.close();
  }
}

export async function catBench(options: CatOptions): Promise<BenchReport> {
  const rows: Row[] = [];
  const goals: Goal[] = [];
  const commands: string[] = [];
  const notes: string[] = [];
  for (const place of ["any server", "local profile"]) {
    for (const kind of ["text", "random"] as const) {
      const result = await kindBench(options, kind, place === "local profile");
      const what = `${kind}, ${place}`;
      const contreeWall = stats(result.contree.map((m) => m.wallMs / 1000));
      const curlWall = stats(result.peer.map((m) => m.wallMs / 1000));
      rows.push(
        { subject: `contree cat (${what})`, metric: "wall", unit: "s", stats: contreeWall },
        {
          subject: `contree cat (${what})`,
          metric: "peak RSS",
          unit: "MB",
          stats: stats(result.contree.map((m) => (m.peakRssKb ?? NaN) / 1024)),
        },
        { subject: `curl --compressed (${what})`, metric: "wall", unit: "s", stats: curlWall },
      );
      const ratio = contreeWall.median / curlWall.median;
      goals.push({
        what: `contree cat / curl --compressed wall (${options.mb} MB ${what})`,
        value: `${round(ratio, 2)}×`,
        goal: `≤ ${GOAL}×`,
        met: ratio <= GOAL,
      });
      if (commands.length === 0) {
        commands.push(
          `${contreeLine(result.args.map((a) => a === result.args[2] ? "$IMAGE" : a))} > /dev/null`,
          shellLine(
            result.curl.map((a) =>
              a.startsWith("Authorization")
                ? "Authorization: Bearer $TOKEN"
                : a.startsWith("http")
                ? "$URL/v1/inspect/$IMAGE/download?path=%2Fdata%2Ffile"
                : a
            ),
          ),
        );
      }
      if (place === "any server") {
        notes.push(
          `${kind}: ${
            round(result.gzipBytes / 1e6, 1)
          } MB of gzip on the wire for ${options.mb} MB when asked for gzip.`,
        );
      }
    }
  }
  return {
    name: "cat",
    title: `cat of a ${options.mb} MB file vs curl --compressed`,
    commands,
    rows,
    goals,
    notes: [
      "Server: `GET /v1/inspect/{uuid}/download` answered as the local server does (64 KiB reads gzip'd by `toResponse` when the client asks for gzip), compressed once and replayed. The bytes contree writes were checked once against the file. curl asks for gzip everywhere; contree on the `local` profile asks for the bytes as they are.",
      ...notes,
    ],
  };
}

if (import.meta.main) await benchMain(CAT_DEFAULTS, catBench);
