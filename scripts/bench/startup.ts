// Startup: `contree -v`, `contree --help` and `contree ps` against the local server, from source
// (`deno run` with the compiled binary's permissions) and compiled when a runtime for
// `deno compile` is at hand (DENORT_BIN), next to two floors: Deno loading nothing, and Deno
// loading only the command-line parser.

import { startTestServer } from "../../tests/support/server.ts";
import { compile, hostTarget } from "../compile.ts";
import { COMPILE_PERMISSIONS } from "../permissions.ts";
import {
  benchMain,
  type BenchReport,
  contreeArgv,
  contreeLine,
  measureRuns,
  round,
  type Row,
  serverEnv,
  shellLine,
  stats,
  tempDir,
} from "./lib.ts";

export const STARTUP_DEFAULTS = { runs: 7 };
export type StartupOptions = typeof STARTUP_DEFAULTS;

/** Issue 17: from source, medians (the reference CLI: 184 ms). */
const GOALS_MS: Record<string, number> = {
  "contree -v, from source": 45,
  "contree ps (local server), from source": 55,
};

const FIXTURES = new URL("fixtures/", import.meta.url).pathname;

function floorArgv(file: string): string[] {
  return [Deno.execPath(), "run", ...COMPILE_PERMISSIONS, "--quiet", `${FIXTURES}${file}`];
}

/** A compiled contree, or why there is none. */
async function compiledBinary(dir: string): Promise<{ path?: string; why?: string }> {
  if (!Deno.env.get("DENORT_BIN")) {
    return {
      why:
        "`deno compile` downloads its runtime (denort) from dl.deno.land, which is unreachable here, and DENORT_BIN is unset",
    };
  }
  const [result] = await compile([hostTarget()], dir);
  return result.path ? { path: result.path } : { why: `deno compile failed: ${result.error}` };
}

export async function startupBench(options: StartupOptions): Promise<BenchReport> {
  const server = await startTestServer();
  const home = await tempDir("contree-bench-home-");
  const dist = await tempDir("contree-bench-dist-");
  const rows: Row[] = [];
  const commands: string[] = [];
  const notes: string[] = [];
  const env = serverEnv(home.path, server);
  const add = async (subject: string, argv: string[], line: string) => {
    const runs = await measureRuns(subject, argv, options.runs, { env });
    rows.push({
      subject,
      metric: "wall",
      unit: "ms",
      stats: stats(runs.map((m) => m.wallMs)),
    });
    rows.push({
      subject,
      metric: "peak RSS",
      unit: "MB",
      stats: stats(runs.map((m) => (m.peakRssKb ?? NaN) / 1024)),
    });
    commands.push(line);
  };
  try {
    await add(
      "deno, empty script",
      floorArgv("empty.ts"),
      shellLine(["deno", "run", "--quiet", "scripts/bench/fixtures/empty.ts"]),
    );
    await add(
      "deno + command-line parser only",
      floorArgv("parser_only.ts"),
      shellLine(["deno", "run", "--quiet", "scripts/bench/fixtures/parser_only.ts"]),
    );
    const cases: [string, string[]][] = [
      ["contree -v", ["-v"]],
      ["contree --help", ["--help"]],
      ["contree ps (local server)", ["ps"]],
    ];
    for (const [subject, args] of cases) {
      await add(`${subject}, from source`, contreeArgv(args), contreeLine(args));
    }
    await add(
      "ps without the command tree (same body, no parser)",
      floorArgv("ps_without_parser.ts"),
      shellLine(["deno", "run", "--quiet", "scripts/bench/fixtures/ps_without_parser.ts"]),
    );
    const compiled = await compiledBinary(dist.path);
    if (compiled.path) {
      for (const [subject, args] of cases) {
        await add(
          `${subject}, compiled`,
          [compiled.path, ...args],
          shellLine(["contree", ...args]),
        );
      }
    } else {
      notes.push(`Compiled binary: not measurable here (${compiled.why}).`);
    }
    notes.push(
      "Reference CLI (Python `contree`): not measured — it is not installed and PyPI is unreachable here.",
      "`ps` runs against the local server in the bench process (port 0, temporary home, no operations); the other commands make no request.",
      "Loaded from npm, commander starts Deno's Node compatibility layer (its CommonJS loader, node:events, node:process, node:fs, node:child_process): the parser-only row, the floor of every invocation.",
      "`ps` without the command tree runs the same App and body with no parser at all: the path to `ps` reaches the Node layer anyway (node:sqlite and node:buffer are static imports on it; the stream transport's node:http/https/zlib are in its graph), so a parser that cost nothing would not bring `ps` under its goal.",
    );
  } finally {
    await dist.remove();
    await home.remove();
    await server.cleanup();
  }
  const goals = rows.filter((row) => row.metric === "wall" && GOALS_MS[row.subject] !== undefined)
    .map((row) => ({
      what: `${row.subject.replace(", from source", "")} (median)`,
      value: `${round(row.stats.median, 1)} ms`,
      goal: `≤ ${GOALS_MS[row.subject]} ms`,
      met: row.stats.median <= GOALS_MS[row.subject],
    }));
  return {
    name: "startup",
    title: "Startup",
    commands,
    rows,
    goals,
    notes,
  };
}

if (import.meta.main) await benchMain(STARTUP_DEFAULTS, startupBench);
