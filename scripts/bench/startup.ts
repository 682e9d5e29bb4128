// Startup: `contree -v`, `contree --help` and `contree ps` against the local server, from source
// (`deno run` with the compiled binary's permissions) and compiled when a runtime for
// `deno compile` is at hand (DENORT_BIN), next to six floors: Deno loading nothing, Deno loading
// one npm package that imports nothing, Deno loading the Node built-ins commander imports, Deno
// loading only the command-line parser (commander from npm, and contree's vendored copy), and
// `ps` with no parser at all.

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

function floorArgv(file: string, fixtures = FIXTURES): string[] {
  return [Deno.execPath(), "run", ...COMPILE_PERMISSIONS, "--quiet", `${fixtures}${file}`];
}

const CHECKOUT = new URL("../../", import.meta.url).pathname;

/** The parser's exports, as `src/deps.ts` has them. */
const PARSER_EXPORT =
  /(\/\/ @ts-types="[^"]+"\n)?export \{[^}]*\} from "\.\/vendor\/commander\/index\.js";/;

/**
 * A copy of the checkout's `src/` (with deno.json and deno.lock, so that npm resolution is the
 * same) whose `src/deps.ts` exports empty stand-ins for the parser's classes. Every module that
 * imports deps.ts for anything (the output's width, say) would otherwise evaluate commander, and
 * with it Deno's Node layer: the fixture run from here is `ps` with a parser that costs nothing.
 * Returns the copy's fixtures folder.
 */
async function checkoutWithoutParser(dir: string): Promise<string> {
  await new Deno.Command("cp", {
    args: ["-r", `${CHECKOUT}src`, `${CHECKOUT}deno.json`, `${CHECKOUT}deno.lock`, dir],
  }).output();
  const deps = `${dir}/src/deps.ts`;
  const text = await Deno.readTextFile(deps);
  if (!PARSER_EXPORT.test(text)) throw new Error("src/deps.ts: the parser's export was not found");
  const standIns = ["Argument", "Command", "Help", "Option"].map((name) =>
    `export class ${name} {}`
  )
    .concat(
      ["CommanderError", "InvalidArgumentError"].map((name) =>
        `export class ${name} extends Error {}`
      ),
    );
  await Deno.writeTextFile(deps, text.replace(PARSER_EXPORT, standIns.join("\n")));
  const fixtures = `${dir}/scripts/bench/fixtures/`;
  await Deno.mkdir(fixtures, { recursive: true });
  await Deno.copyFile(`${FIXTURES}ps_without_parser.ts`, `${fixtures}ps_without_parser.ts`);
  return fixtures;
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
  const unparsed = await tempDir("contree-bench-no-parser-");
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
      "deno + the lightest npm package (eventsource-parser)",
      floorArgv("npm_floor.ts"),
      shellLine(["deno", "run", "--quiet", "scripts/bench/fixtures/npm_floor.ts"]),
    );
    await add(
      "deno + the Node built-ins commander imports",
      floorArgv("commander_node_imports.ts"),
      shellLine(["deno", "run", "--quiet", "scripts/bench/fixtures/commander_node_imports.ts"]),
    );
    await add(
      "deno + command-line parser only (commander from npm)",
      floorArgv("parser_from_npm.ts"),
      shellLine(["deno", "run", "--quiet", "scripts/bench/fixtures/parser_from_npm.ts"]),
    );
    await add(
      "deno + command-line parser only (vendored, as contree loads it)",
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
      floorArgv("ps_without_parser.ts", await checkoutWithoutParser(unparsed.path)),
      shellLine(["deno", "run", "--quiet", "scripts/bench/fixtures/ps_without_parser.ts"]) +
        "   # in a copy whose src/deps.ts has stand-ins for commander",
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
      "An npm package costs little by itself: the lightest-package row (ESM, no Node imports) is within 2 ms of Deno alone.",
      "What commander from npm costs is Deno's Node layer: its six Node built-ins (node:events, node:child_process, node:path, node:fs, node:process, node:util) alone cost about what the whole package does. contree's vendored copy (src/vendor/commander) imports stand-ins on Deno's APIs instead: compare the two parser rows.",
      "`ps` without the command tree runs the same App and body with no parser at all, from a copy of `src/` whose deps.ts has empty stand-ins for commander's classes: what `ps` would cost with a parser that cost nothing. Its gap to `contree ps` is the parser's whole cost: loading it, building the noun's commands and parsing.",
    );
  } finally {
    await dist.remove();
    await unparsed.remove();
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
