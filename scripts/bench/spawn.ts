// Spawn overhead: `contree run --disposable -- true` against the local server vs
// `podman run --rm IMAGE true` on the same busybox image, run after run; then 20 of each at
// once (the server with its default concurrency, or --concurrency).

import { podmanUnavailable } from "../../tests/support/podman.ts";
import { startTestServer, waitOperation } from "../../tests/support/server.ts";
import {
  benchMain,
  type BenchReport,
  checked,
  CONTAINERS_CONF,
  contreeArgv,
  contreeEnv,
  contreeLine,
  LOCAL_PROFILE_ENV,
  type Measured,
  round,
  serverEnv,
  shellLine,
  stats,
  tempDir,
} from "./lib.ts";

export const SPAWN_DEFAULTS = {
  runs: 7,
  /** Processes started at once in the parallel case (0: skip it). */
  parallel: 20,
  /** Rounds of the parallel case. */
  parallelRuns: 3,
  /** The server's concurrency (0: its default, from the machine's cores). */
  concurrency: 0,
};
export type SpawnOptions = typeof SPAWN_DEFAULTS;

const GOAL = 1.2;

/** Starts `count` processes at once; the wall time until the last one exited. */
async function together(
  label: string,
  argv: readonly string[],
  count: number,
  env: Record<string, string>,
): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, () => checked(label, argv, { env })));
  return performance.now() - started;
}

export async function spawnBench(options: SpawnOptions): Promise<BenchReport> {
  const title = "Spawn overhead: `contree run --disposable -- true` vs `podman run --rm`";
  const unavailable = await podmanUnavailable();
  if (unavailable) {
    return {
      name: "spawn",
      title,
      commands: [],
      rows: [],
      goals: [],
      notes: [`not measurable here: ${unavailable}`],
    };
  }
  const server = await startTestServer({
    busybox: true,
    concurrency: options.concurrency || undefined,
  });
  const home = await tempDir("contree-bench-home-");
  try {
    const image = server.server.store.image(server.busybox)!.podman_id;
    const env = { ...serverEnv(home.path, server, "bench-spawn"), ...LOCAL_PROFILE_ENV };
    const podmanEnv = { ...contreeEnv(), CONTAINERS_CONF };
    await checked("contree use", contreeArgv(["use", server.busybox]), { env });
    const runArgs = ["run", "--disposable", "--", "true"];
    const podmanArgv = ["podman", "run", "--rm", image, "true"];
    const contree: Measured[] = [];
    const podman: Measured[] = [];
    // Warm up both (image mount cache, podman storage), then alternate.
    await checked("contree run", contreeArgv(runArgs), { env });
    await checked("podman run", podmanArgv, { env: podmanEnv });
    for (let i = 0; i < options.runs; i++) {
      contree.push(await checked("contree run", contreeArgv(runArgs), { env }));
      podman.push(await checked("podman run", podmanArgv, { env: podmanEnv }));
    }
    // Server-side time of each measured run: from the operations' own records.
    const operations = await server.client.listOperations({ kind: "instance", limit: 100 });
    const durations = operations.slice(0, options.runs).map((op) => Number(op.duration ?? NaN));
    const contreeWall = stats(contree.map((m) => m.wallMs / 1000));
    const podmanWall = stats(podman.map((m) => m.wallMs / 1000));
    const ratio = contreeWall.median / podmanWall.median;
    // Many at once: the server queues beyond its concurrency; podman runs them all.
    const contreeBatch: number[] = [];
    const podmanBatch: number[] = [];
    const apiBatch: number[] = [];
    /** The same runs spawned through the API (no client processes): the server's own part. */
    const throughApi = async () => {
      const started = performance.now();
      await Promise.all(Array.from({ length: options.parallel }, async () => {
        const { uuid } = await server.client.spawn({
          image: server.busybox,
          command: "true",
          disposable: true,
        });
        await waitOperation(server.client, uuid);
      }));
      return (performance.now() - started) / 1000;
    };
    for (let i = 0; i < (options.parallel > 0 ? options.parallelRuns : 0); i++) {
      contreeBatch.push(
        await together("contree run", contreeArgv(runArgs), options.parallel, env) / 1000,
      );
      podmanBatch.push(
        await together("podman run", podmanArgv, options.parallel, podmanEnv) / 1000,
      );
      apiBatch.push(await throughApi());
    }
    const batchRatio = stats(contreeBatch).median / stats(podmanBatch).median;
    return {
      name: "spawn",
      title,
      commands: [
        `deno task bench --only spawn   # or: deno run -A scripts/bench/spawn.ts --runs ${options.runs} --parallel ${options.parallel}`,
        contreeLine(runArgs),
        `CONTAINERS_CONF=tests/podman/containers.conf ${
          shellLine(["podman", "run", "--rm", "localhost/contree/<busybox uuid>", "true"])
        }`,
      ],
      rows: [
        {
          subject: "contree run --disposable -- true",
          metric: "wall",
          unit: "s",
          stats: contreeWall,
        },
        {
          subject: "… its operation on the server",
          metric: "duration",
          unit: "s",
          stats: stats(durations),
        },
        { subject: "podman run --rm IMAGE true", metric: "wall", unit: "s", stats: podmanWall },
        ...(contreeBatch.length > 0
          ? [
            {
              subject: `${options.parallel} × contree run --disposable -- true at once`,
              metric: "wall until the last exits",
              unit: "s",
              stats: stats(contreeBatch),
            },
            {
              subject: `${options.parallel} × podman run --rm IMAGE true at once`,
              metric: "wall until the last exits",
              unit: "s",
              stats: stats(podmanBatch),
            },
            {
              subject: `${options.parallel} spawned through the API at once (no clients)`,
              metric: "wall until the last completion",
              unit: "s",
              stats: stats(apiBatch),
            },
          ]
          : []),
      ],
      goals: [
        {
          what: "contree / podman wall",
          value: `${round(ratio, 2)}×`,
          goal: `≤ ${GOAL}×`,
          met: ratio <= GOAL,
        },
        ...(contreeBatch.length > 0
          ? [
            {
              what: `${options.parallel} at once, contree / podman wall`,
              value: `${round(batchRatio, 2)}×`,
              goal: `≤ ${GOAL}×`,
              met: batchRatio <= GOAL,
            },
            {
              what: `${options.parallel} at once through the API (the server alone) / podman`,
              value: `${round(stats(apiBatch).median / stats(podmanBatch).median, 2)}×`,
              goal: "(informational)",
            },
          ]
          : []),
      ],
      notes: [
        "The local server runs in the bench process (tests/support/server.ts: port 0, a temporary home, the busybox rootfs imported through `POST /v1/images/import` with a file:// URL); podman runs the same image with the same containers.conf.",
        "The server's `duration` is its own time for the operation (assigned → completion); the rest of contree's wall time is its start, the spawn request and the event stream.",
        `Server concurrency: ${
          options.concurrency || "its default (from the cores)"
        }. The parallel case starts all processes at once and waits for the last; rounds alternate contree and podman.`,
      ],
    };
  } finally {
    await home.remove();
    await server.cleanup();
  }
}

if (import.meta.main) await benchMain(SPAWN_DEFAULTS, spawnBench);
