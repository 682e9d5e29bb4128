// Spawn cost of sandbox isolation (issue 15): `podman run --rm IMAGE true` plain, with the
// server's default limits (memory, CPUs, pids), with its user namespace (--uidmap/--gidmap), and
// with both — alternating run after run so load changes hit every variant alike. Then the same
// through the server: disposable `true` runs on a server with the default limits and user
// namespace vs one with none, alternating, each operation's own duration.

import { limitArgs, type SandboxLimits, userNamespaceArgs } from "../../src/server/limits.ts";
import { DEFAULT_LIMITS } from "../../src/server/server.ts";
import { podmanUnavailable } from "../../tests/support/podman.ts";
import { startTestServer, type TestServer, waitOperation } from "../../tests/support/server.ts";
import {
  benchMain,
  type BenchReport,
  checked,
  CONTAINERS_CONF,
  contreeEnv,
  round,
  type Row,
  shellLine,
  stats,
} from "./lib.ts";

export const ISOLATION_DEFAULTS = { runs: 9 };
export type IsolationOptions = typeof ISOLATION_DEFAULTS;

const NONE: SandboxLimits = { memoryBytes: 0, cpus: 0, pids: 0 };

async function serverRun(server: TestServer): Promise<number> {
  const { uuid } = await server.client.spawn({
    image: server.busybox,
    command: "true",
    disposable: true,
  });
  const op = await waitOperation(server.client, uuid);
  if (op.status !== "SUCCESS") throw new Error(`run failed: ${op.error}`);
  return Number(op.duration);
}

export async function isolationBench(options: IsolationOptions): Promise<BenchReport> {
  const title = "Spawn cost of limits and the user namespace";
  const unavailable = await podmanUnavailable();
  if (unavailable) {
    return { name: "isolation", title, commands: [], rows: [], goals: [], notes: [unavailable] };
  }
  const isolated = await startTestServer({ busybox: true, limits: DEFAULT_LIMITS });
  const bare = await startTestServer({ busybox: true, limits: NONE });
  try {
    const image = isolated.server.store.image(isolated.busybox)!.podman_id;
    const env = { ...contreeEnv(), CONTAINERS_CONF };
    const variants = [
      { subject: "podman run --rm IMAGE true", flags: [] as string[] },
      { subject: "… + limits", flags: limitArgs(DEFAULT_LIMITS) },
      { subject: "… + user namespace", flags: userNamespaceArgs(DEFAULT_LIMITS.userns) },
      {
        subject: "… + limits + user namespace",
        flags: [...limitArgs(DEFAULT_LIMITS), ...userNamespaceArgs(DEFAULT_LIMITS.userns)],
      },
    ];
    const argv = (flags: string[]) => [
      "podman",
      "run",
      "--rm",
      "--network",
      "none",
      ...flags,
      image,
      "true",
    ];
    const walls = variants.map(() => [] as number[]);
    const servers = [[] as number[], [] as number[]];
    // Warm-up (the first mapped run prepares the id-mapped mount), then alternate.
    for (const variant of variants) await checked(variant.subject, argv(variant.flags), { env });
    await serverRun(isolated);
    await serverRun(bare);
    for (let run = 0; run < options.runs; run++) {
      for (const [index, variant] of variants.entries()) {
        walls[index].push(
          (await checked(variant.subject, argv(variant.flags), { env })).wallMs / 1000,
        );
      }
      servers[0].push(await serverRun(bare));
      servers[1].push(await serverRun(isolated));
    }
    const rows: Row[] = variants.map((variant, index) => ({
      subject: variant.subject,
      metric: "wall",
      unit: "s",
      stats: stats(walls[index]),
    }));
    rows.push(
      {
        subject: "server: disposable `true`, no limits, no user namespace",
        metric: "duration",
        unit: "s",
        stats: stats(servers[0]),
      },
      {
        subject: "server: disposable `true`, default limits + user namespace",
        metric: "duration",
        unit: "s",
        stats: stats(servers[1]),
      },
    );
    const ratioOf = (value: number, base: number) => `${round(value / base, 2)}×`;
    const ratio = (value: number) => ratioOf(value, rows[0].stats.median);
    return {
      name: "isolation",
      title,
      commands: variants.map((variant) =>
        `CONTAINERS_CONF=tests/podman/containers.conf ${
          shellLine(argv(variant.flags).map((a) => a === image ? "IMAGE" : a))
        }`
      ),
      rows,
      goals: [
        { what: "limits / plain", value: ratio(rows[1].stats.median), goal: "(measured)" },
        { what: "user namespace / plain", value: ratio(rows[2].stats.median), goal: "(measured)" },
        { what: "both / plain", value: ratio(rows[3].stats.median), goal: "(measured)" },
        {
          what: "server duration, isolated / bare",
          value: ratioOf(rows[5].stats.median, rows[4].stats.median),
          goal: "(measured)",
        },
      ],
      notes: [
        `Limits: ${shellLine(limitArgs(DEFAULT_LIMITS))}; user namespace: ${
          shellLine(userNamespaceArgs(DEFAULT_LIMITS.userns))
        } (the server's defaults).`,
        "The server rows are each operation's own `duration` (assigned → completion) on two in-process servers (tests/support/server.ts), alternating.",
      ],
    };
  } finally {
    await isolated.cleanup();
    await bare.cleanup();
  }
}

if (import.meta.main) await benchMain(ISOLATION_DEFAULTS, isolationBench);
