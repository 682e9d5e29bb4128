// Spawn overhead: `contree run --disposable -- true` against the local server vs
// `podman run --rm IMAGE true` on the same busybox image, run after run.

import { podmanUnavailable } from "../../tests/support/podman.ts";
import { startTestServer } from "../../tests/support/server.ts";
import {
  benchMain,
  type BenchReport,
  checked,
  CONTAINERS_CONF,
  contreeArgv,
  contreeEnv,
  contreeLine,
  type Measured,
  round,
  serverEnv,
  shellLine,
  stats,
  tempDir,
} from "./lib.ts";

export const SPAWN_DEFAULTS = { runs: 7 };
export type SpawnOptions = typeof SPAWN_DEFAULTS;

const GOAL = 1.5;

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
  const server = await startTestServer({ busybox: true });
  const home = await tempDir("contree-bench-home-");
  try {
    const image = server.server.store.image(server.busybox)!.podman_id;
    const env = serverEnv(home.path, server, "bench-spawn");
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
    return {
      name: "spawn",
      title,
      commands: [
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
      ],
      goals: [{
        what: "contree / podman wall",
        value: `${round(ratio, 2)}×`,
        goal: `≤ ${GOAL}×`,
        met: ratio <= GOAL,
      }],
      notes: [
        "The local server runs in the bench process (tests/support/server.ts: port 0, a temporary home, the busybox rootfs imported through `POST /v1/images/import` with a file:// URL); podman runs the same image with the same containers.conf.",
        "The server's `duration` is its own time for the operation (assigned → completion); the rest of contree's wall time is its start, the spawn request and the event stream.",
      ],
    };
  } finally {
    await home.remove();
    await server.cleanup();
  }
}

if (import.meta.main) await benchMain(SPAWN_DEFAULTS, spawnBench);
