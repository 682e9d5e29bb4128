// `deno task bench [--only startup,sse,json-run,cat,transport,wait,spawn,isolation,followers,
// output,cat-server,upload,ls] [--runs N] [--out FILE]`: runs the benchmarks one after the other (each with
// its default, moderate size; run a single bench's own script for bigger runs) and prints one
// markdown report: machine facts, every bench's table, and a summary of the goals.

import { CAT_DEFAULTS, catBench } from "./cat.ts";
import { CAT_SERVER_DEFAULTS, catServerBench } from "./cat_server.ts";
import { FOLLOWERS_DEFAULTS, followersBench } from "./followers.ts";
import { ISOLATION_DEFAULTS, isolationBench } from "./isolation.ts";
import { JSON_RUN_DEFAULTS, jsonRunBench } from "./json_run.ts";
import { LS_DEFAULTS, lsBench } from "./ls.ts";
import {
  benchFlags,
  type BenchReport,
  machineFacts,
  renderFacts,
  renderReport,
  round,
} from "./lib.ts";
import { OUTPUT_DEFAULTS, outputBench } from "./output.ts";
import { SPAWN_DEFAULTS, spawnBench } from "./spawn.ts";
import { SSE_DEFAULTS, sseBench } from "./sse.ts";
import { STARTUP_DEFAULTS, startupBench } from "./startup.ts";
import { TRANSPORT_DEFAULTS, transportBench } from "./transport.ts";
import { UPLOAD_DEFAULTS, uploadBench } from "./upload.ts";
import { WAIT_DEFAULTS, waitBench } from "./wait.ts";

interface Bench {
  name: string;
  run(runs?: number): Promise<BenchReport>;
}

const BENCHES: Bench[] = [
  {
    name: "startup",
    run: (runs) => startupBench({ ...STARTUP_DEFAULTS, runs: runs ?? STARTUP_DEFAULTS.runs }),
  },
  { name: "sse", run: (runs) => sseBench({ ...SSE_DEFAULTS, runs: runs ?? SSE_DEFAULTS.runs }) },
  {
    name: "json-run",
    run: (runs) => jsonRunBench({ ...JSON_RUN_DEFAULTS, runs: runs ?? JSON_RUN_DEFAULTS.runs }),
  },
  { name: "cat", run: (runs) => catBench({ ...CAT_DEFAULTS, runs: runs ?? CAT_DEFAULTS.runs }) },
  {
    name: "transport",
    run: (runs) => transportBench({ ...TRANSPORT_DEFAULTS, runs: runs ?? TRANSPORT_DEFAULTS.runs }),
  },
  {
    name: "wait",
    run: (runs) => waitBench({ ...WAIT_DEFAULTS, runs: runs ?? WAIT_DEFAULTS.runs }),
  },
  {
    name: "spawn",
    run: (runs) => spawnBench({ ...SPAWN_DEFAULTS, runs: runs ?? SPAWN_DEFAULTS.runs }),
  },
  {
    name: "isolation",
    run: (runs) => isolationBench({ ...ISOLATION_DEFAULTS, runs: runs ?? ISOLATION_DEFAULTS.runs }),
  },
  {
    name: "followers",
    run: (runs) => followersBench({ ...FOLLOWERS_DEFAULTS, runs: runs ?? FOLLOWERS_DEFAULTS.runs }),
  },
  {
    name: "output",
    run: (runs) => outputBench({ ...OUTPUT_DEFAULTS, runs: runs ?? OUTPUT_DEFAULTS.runs }),
  },
  {
    name: "cat-server",
    run: (runs) =>
      catServerBench({ ...CAT_SERVER_DEFAULTS, runs: runs ?? CAT_SERVER_DEFAULTS.runs }),
  },
  {
    name: "upload",
    run: (runs) => uploadBench({ ...UPLOAD_DEFAULTS, runs: runs ?? UPLOAD_DEFAULTS.runs }),
  },
  { name: "ls", run: (runs) => lsBench({ ...LS_DEFAULTS, runs: runs ?? LS_DEFAULTS.runs }) },
];

function summary(reports: BenchReport[]): string {
  const lines = ["| bench | what | value | goal | met |", "| --- | --- | ---: | --- | --- |"];
  for (const report of reports) {
    for (const goal of report.goals) {
      lines.push(
        `| ${report.name} | ${goal.what} | ${goal.value} | ${goal.goal} | ${
          goal.met === undefined ? "—" : goal.met ? "yes" : "**no**"
        } |`,
      );
    }
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const usage = `usage: deno task bench [--only ${
    BENCHES.map((b) => b.name).join(",")
  }] [--runs N] [--out FILE]`;
  const flags = benchFlags(Deno.args, { only: "", runs: "", out: "" }, usage);
  const values = {
    only: flags.only || undefined,
    runs: flags.runs || undefined,
    out: flags.out || undefined,
  };
  const only = values.only?.split(",").map((name) => name.trim());
  const unknown = only?.filter((name) => !BENCHES.some((bench) => bench.name === name)) ?? [];
  if (unknown.length > 0) {
    console.error(
      `unknown bench: ${unknown.join(", ")} (${BENCHES.map((b) => b.name).join(", ")})`,
    );
    Deno.exit(2);
  }
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  if (runs !== undefined && !(Number.isInteger(runs) && runs > 0)) {
    console.error("--runs needs a positive integer");
    Deno.exit(2);
  }
  const started = performance.now();
  const facts = await machineFacts();
  const sections = [renderFacts(facts)];
  const reports: BenchReport[] = [];
  for (const bench of BENCHES.filter((b) => !only || only.includes(b.name))) {
    console.error(`bench: ${bench.name}…`);
    const benchStarted = performance.now();
    const report = await bench.run(runs);
    const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ")
      .slice(0, 3).join(" ");
    report.notes.push(
      `Took ${
        round((performance.now() - benchStarted) / 1000, 1)
      } s; load average at its end: ${load}.`,
    );
    reports.push(report);
    sections.push(renderReport(report));
  }
  sections.push(`### Goals\n\n${summary(reports)}`);
  sections.push(`Total: ${round((performance.now() - started) / 1000, 1)} s.`);
  const markdown = sections.join("\n\n") + "\n";
  console.log(markdown);
  if (values.out) await Deno.writeTextFile(values.out, markdown);
}
