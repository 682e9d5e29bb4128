// What a run used, on real podman: CPU time and peak memory from the run's own cgroup in the
// exit event, `metadata.result.resources` and the summary's consumed_cpu / consumed_memory; no
// cgroup of the server left after it stops. Where podman's cgroups cannot be read (rootless, the
// systemd manager) the figures stay −1: the test says SKIP then.

import type { Operation, OperationEvent } from "../../src/api/models.ts";
import { UsageMeter } from "../../src/server/usage.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { podmanTest, testPodman } from "../support/podman.ts";
import { parseEvents, startTestServer, waitOperation } from "../support/server.ts";

const meterHere = await UsageMeter.detect(testPodman, "probe");
if (!meterHere) {
  console.log("SKIP: run usage: podman's cgroups cannot be read here (not root, or not cgroupfs)");
}

podmanTest("server on podman: a run's CPU time and peak memory, from its own cgroup", async (t) => {
  if (!meterHere) return;
  const s = await startTestServer({ busybox: true });
  const serverId = s.server.serverId;
  try {
    // 24 MiB held at once (dd's buffer), then some CPU in the shell itself.
    const command = "dd if=/dev/zero of=/dev/null bs=24M count=1 2>/dev/null; " +
      "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo $i";
    for (const disposable of [false, true]) {
      await t.step(disposable ? "a disposable run" : "a run that is committed", async () => {
        const { uuid } = await s.client.spawn({
          image: s.busybox,
          command,
          shell: true,
          disposable,
        });
        const op: Operation = await waitOperation(s.client, uuid);
        assertEquals(op.status, "SUCCESS");
        const resources = op.metadata?.result?.resources as Record<string, number>;
        assert(resources.user_cpu_time > 0, `user time: ${JSON.stringify(resources)}`);
        assert(resources.system_cpu_time >= 0);
        assert(resources.user_cpu_time + resources.system_cpu_time < 60);
        assert(resources.max_rss >= 24 * 1024, `peak: ${resources.max_rss} KiB`);
        assert(resources.max_rss < 24 * 1024 + 64 * 1024, `peak: ${resources.max_rss} KiB`);
        const summary = op as unknown as Record<string, number>;
        assertEquals(summary.consumed_cpu, resources.user_cpu_time + resources.system_cpu_time);
        assertEquals(summary.consumed_memory, resources.max_rss);

        const events: OperationEvent[] = parseEvents(
          await (await s.fetch(`/operations/${uuid}/events`)).text(),
        );
        const exit = events.find((event) => event.type === "exit")!.data as {
          resources: Record<string, number>;
        };
        assertEquals(exit.resources.user_time_us, Math.round(resources.user_cpu_time * 1e6));
        assertEquals(exit.resources.sys_time_us, Math.round(resources.system_cpu_time * 1e6));
        assertEquals(exit.resources.max_rss_kb, resources.max_rss);
        assertEquals(exit.resources.major_faults, -1);

        const listed = await (await s.fetch(`/operations?limit=5`)).json() as Record<
          string,
          unknown
        >[];
        const row = listed.find((entry) => entry.uuid === uuid)!;
        assertEquals([row.consumed_cpu, row.consumed_memory], [
          summary.consumed_cpu,
          summary.consumed_memory,
        ]);
      });
    }
  } finally {
    await s.cleanup();
  }
  const left: string[] = [];
  for (const hierarchy of Deno.readDirSync("/sys/fs/cgroup")) {
    if (!hierarchy.isDirectory) continue;
    for (const entry of Deno.readDirSync(`/sys/fs/cgroup/${hierarchy.name}`)) {
      if (entry.name.startsWith(`contree-${serverId}-`)) {
        left.push(`${hierarchy.name}/${entry.name}`);
      }
    }
  }
  assertEquals(left, [], "the server's cgroups are gone after it stopped");
});
