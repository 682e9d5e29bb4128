// 200 MB of stdout through the local server: `contree run` streaming it against
// `podman run --rm --log-driver none` writing it straight to /dev/null, run after run; the
// server's peak RSS while it streams, its home's growth per run (database, WAL, output files),
// and how long after the `exit` event the `completion` came. The server runs as its own process
// (`contree server start`, cap raised with --max-output so that every byte is kept).

import { podmanUnavailable } from "../../tests/support/podman.ts";
import {
  busyboxRootfsFile,
  removePodmanObjects,
  waitOperation,
} from "../../tests/support/server.ts";
import { serverProcessEnv } from "../../src/server/defaults.ts";
import { Store } from "../../src/server/store.ts";
import { peakRssKb, resetPeakRss, startServerProcess } from "../../tests/support/server_process.ts";
import {
  benchMain,
  type BenchReport,
  checked,
  CONTAINERS_CONF,
  contreeArgv,
  contreeEnv,
  contreeLine,
  LOCAL_PROFILE_ENV,
  mb,
  type Measured,
  round,
  shellLine,
  stats,
  tempDir,
} from "./lib.ts";

export const OUTPUT_DEFAULTS = {
  runs: 5,
  /** Megabytes of stdout per run. */
  mb: 200,
  /** Run the server with Deno's and glibc's defaults, not the settings `server start -d` gives. */
  "deno-defaults": false,
};
export type OutputOptions = typeof OUTPUT_DEFAULTS;

const GOALS = { ratio: 1.3, rssMb: 200, diskRatio: 1.1, exitToCompletionMs: 100 };

/** Bytes a directory tree occupies on disk (allocated blocks). */
export async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    const info = await Deno.lstat(path);
    if (info.isDirectory) total += await diskBytes(path);
    else total += (info.blocks ?? Math.ceil(info.size / 512)) * 512;
  }
  return total;
}

/** Milliseconds from the `exit` event to the `completion` event of an operation. */
async function exitToCompletionMs(
  fetchEvents: () => Promise<Response>,
): Promise<number> {
  const text = await (await fetchEvents()).text();
  const events = text.split("\n").filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)));
  const exit = events.find((event) => event.type === "exit");
  const completion = events.find((event) => event.type === "completion");
  return Date.parse(completion.ts) - Date.parse(exit.ts);
}

export async function outputBench(options: OutputOptions): Promise<BenchReport> {
  const bytes = Math.round(options.mb * 1_000_000);
  const title = `${options.mb} MB of stdout through the local server vs podman directly`;
  const unavailable = await podmanUnavailable();
  if (unavailable) {
    return { name: "output", title, commands: [], rows: [], goals: [], notes: [unavailable] };
  }
  const dir = await tempDir("contree-bench-output-");
  const home = `${dir.path}/server`;
  // The server as `server start --detach` (the demo, docs/SERVER.md) runs it: its settings.
  const runtimeEnv = options["deno-defaults"] ? {} : serverProcessEnv({ get: () => undefined });
  const runtimeLine = Object.entries(runtimeEnv).map(([name, value]) => `${name}=${value} `)
    .join("");
  const server = await startServerProcess({
    home,
    args: ["--max-output", String(bytes + 1)],
    env: runtimeEnv,
  });
  try {
    const imported = await server.client.importImage({
      registry: { url: `file://${await busyboxRootfsFile()}` },
      tag: "busybox:bench",
    });
    const image = (await waitOperation(server.client, imported.uuid)).result_image_uuid!;
    const env = contreeEnv({
      CONTREE_HOME: `${dir.path}/client`,
      CONTREE_URL: server.url,
      CONTREE_TOKEN: server.token,
      CONTREE_SESSION: "bench-output",
      ...LOCAL_PROFILE_ENV,
    });
    await checked("contree use", contreeArgv(["use", image]), { env });
    const script = `yes 'the quick brown fox jumps over the lazy dog' | head -c ${bytes}`;
    const runArgs = (disposable: boolean) => [
      "run",
      ...(disposable ? ["--disposable"] : []),
      "-T",
      String(bytes),
      "--",
      "sh",
      "-c",
      script,
    ];
    const podmanArgv = [
      "podman",
      "run",
      "--rm",
      "--log-driver",
      "none",
      `localhost/contree/${image}`,
      "sh",
      "-c",
      script,
    ];
    const podmanEnv = { ...contreeEnv(), CONTAINERS_CONF };
    const lastOperation = async () =>
      (await server.client.listOperations({ kind: "instance", limit: 1 }))[0].uuid;
    const events = (uuid: string) => () => server.fetch(`/operations/${uuid}/events`);

    /** A spawn through the API followed by curl taking the gzip body as is: the server alone. */
    const curlFollow = async (): Promise<number> => {
      const started = performance.now();
      const { uuid } = await server.client.spawn({
        image,
        command: script,
        shell: true,
        disposable: true,
        truncate_output_at: bytes,
        timeout: 600,
      });
      await checked("curl", [
        "sh",
        "-c",
        'curl -s -f -N -o /dev/null -H "Accept-Encoding: gzip" -H "Authorization: Bearer $BENCH_TOKEN" "$1"',
        "curl",
        `${server.url}/v1/operations/${uuid}/events?follow=1`,
      ], { env: { ...contreeEnv(), BENCH_TOKEN: server.token } });
      return (performance.now() - started) / 1000;
    };
    const contree: Measured[] = [];
    const podman: Measured[] = [];
    const curl: number[] = [];
    const rss: number[] = [];
    const growth: number[] = [];
    const lag: number[] = [];
    // Warm-up (podman storage, the image mount, the output directory).
    await checked("contree run", contreeArgv(runArgs(true)), { env });
    await checked("podman run", podmanArgv, { env: podmanEnv });
    for (let i = 0; i < options.runs; i++) {
      const before = await diskBytes(home);
      resetPeakRss(server.pid);
      contree.push(await checked("contree run", contreeArgv(runArgs(true)), { env }));
      rss.push(peakRssKb(server.pid) / 1024);
      growth.push((await diskBytes(home)) - before);
      lag.push(await exitToCompletionMs(events(await lastOperation())));
      podman.push(await checked("podman run", podmanArgv, { env: podmanEnv }));
      curl.push(await curlFollow());
    }
    // One run that is committed to an image (what `contree run` does without --disposable).
    const before = await diskBytes(home);
    const committed = await checked("contree run", contreeArgv(runArgs(false)), { env });
    const committedGrowth = (await diskBytes(home)) - before;
    const committedLag = await exitToCompletionMs(events(await lastOperation()));

    const contreeWall = stats(contree.map((m) => m.wallMs / 1000));
    const podmanWall = stats(podman.map((m) => m.wallMs / 1000));
    const ratio = contreeWall.median / podmanWall.median;
    const rssStats = stats(rss);
    const growthStats = stats(growth.map((g) => mb(g)));
    const lagStats = stats(lag);
    return {
      name: "output",
      title,
      commands: [
        `deno task bench --only output   # or: deno run -A scripts/bench/output.ts --runs ${options.runs} --mb ${options.mb}`,
        `${runtimeLine}contree server start --port 0 --max-output ${bytes + 1}`,
        contreeLine(runArgs(true)),
        `CONTAINERS_CONF=tests/podman/containers.conf ${
          shellLine(podmanArgv).replace(`localhost/contree/${image}`, "IMAGE")
        }`,
      ],
      rows: [
        { subject: "contree run --disposable", metric: "wall", unit: "s", stats: contreeWall },
        {
          subject: "podman run --rm --log-driver none",
          metric: "wall",
          unit: "s",
          stats: podmanWall,
        },
        {
          subject: "spawn + curl -N (the gzip body as sent)",
          metric: "wall",
          unit: "s",
          stats: stats(curl),
        },
        { subject: "server, while streaming", metric: "peak RSS", unit: "MB", stats: rssStats },
        { subject: "server home", metric: "growth per run", unit: "MB", stats: growthStats },
        { subject: "exit → completion", metric: "event timestamps", unit: "ms", stats: lagStats },
        {
          subject: "contree run (committed)",
          metric: "wall",
          unit: "s",
          stats: stats([committed.wallMs / 1000]),
        },
        {
          subject: "contree run (committed)",
          metric: "exit → completion (podman commit)",
          unit: "ms",
          stats: stats([committedLag]),
        },
        {
          subject: "contree run (committed)",
          metric: "home growth",
          unit: "MB",
          stats: stats([mb(committedGrowth)]),
        },
      ],
      goals: [
        {
          what: "contree / podman wall",
          value: `${round(ratio, 2)}×`,
          goal: `≤ ${GOALS.ratio}×`,
          met: ratio <= GOALS.ratio,
        },
        {
          what: "server peak RSS while streaming",
          value: `${round(rssStats.median, 1)} MB (max ${round(rssStats.max, 1)})`,
          goal: `< ${GOALS.rssMb} MB`,
          met: rssStats.max < GOALS.rssMb,
        },
        {
          what: "home growth per run / bytes kept",
          value: `${round(growthStats.median / mb(bytes), 3)}`,
          goal: `≤ ${GOALS.diskRatio}`,
          met: growthStats.max / mb(bytes) <= GOALS.diskRatio,
        },
        {
          what: "exit → completion",
          value: `${round(lagStats.median, 1)} ms (max ${round(lagStats.max, 1)})`,
          goal: `≤ ${GOALS.exitToCompletionMs} ms`,
          met: lagStats.max <= GOALS.exitToCompletionMs,
        },
      ],
      notes: [
        `The server is its own process (tests/support/server_process.ts: \`contree server start\` from source, a temporary home, the busybox rootfs imported with a file:// URL); peak RSS is its VmHWM, reset (clear_refs) before each run. Home growth counts allocated blocks of the database, its WAL and the output files. Runs alternate with podman; medians of ${options.runs}.`,
        runtimeLine
          ? `The server runs with the settings \`server start --detach\` gives it (${runtimeLine.trim()}; src/server/defaults.ts); \`--deno-defaults\` measures it without them.`
          : "The server runs with Deno's and glibc's defaults (--deno-defaults), as a foreground `server start` does unless its environment sets them.",
        "The ratio compares disposable runs with `podman run --rm` (neither makes an image). The committed run adds `podman commit` between exit and completion; its time does not depend on the output size.",
      ],
    };
  } finally {
    await server.stop();
    const serverId = serverIdOf(home);
    if (serverId) await removePodmanObjects(serverId);
    await dir.remove();
  }
}

/** The server id kept in a home's database (labels its podman objects). */
function serverIdOf(home: string): string | undefined {
  const store = Store.open(`${home}/contree.db`);
  try {
    return store.meta("server_id");
  } finally {
    store.close();
  }
}

if (import.meta.main) await benchMain(OUTPUT_DEFAULTS, outputBench);
