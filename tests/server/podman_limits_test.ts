// Sandbox limits and isolation on real podman: memory (a run killed for it ends FAILED and says
// why), pids, CPUs, the layer cap of `resources_limits`, the user namespace of disposable runs,
// and the limits reported by whoami. Allocations and process counts are bounded: each run tries
// at most twice its limit.

import type { InstanceSpawnRequest, Operation, OperationEvent } from "../../src/api/models.ts";
import { decodeStreamRepr } from "../../src/api/stream_repr.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { podmanTest } from "../support/podman.ts";
import { parseEvents, startTestServer, type TestServer, waitOperation } from "../support/server.ts";

const MIB = 2 ** 20;
const decoder = new TextDecoder();

async function run(s: TestServer, body: Partial<InstanceSpawnRequest>): Promise<Operation> {
  const { uuid } = await s.client.spawn({ image: s.busybox, command: "", ...body });
  return await waitOperation(s.client, uuid);
}

function output(op: Operation, stream: "stdout" | "stderr" = "stdout"): string {
  return decoder.decode(decodeStreamRepr(op.metadata?.result?.[stream]));
}

async function eventLog(s: TestServer, uuid: string): Promise<OperationEvent[]> {
  return parseEvents(await (await s.fetch(`/operations/${uuid}/events`)).text());
}

podmanTest(
  "server on podman: memory, pids and CPU limits, layer cap, user namespace",
  async (t) => {
    const s = await startTestServer({
      busybox: true,
      concurrency: 2,
      limits: {
        memoryBytes: 32 * MIB,
        cpus: 0.5,
        pids: 16,
        userns: { hostStart: 1_500_000_000, size: 65536 },
      },
    });
    try {
      await t.step("whoami reports the limits", async () => {
        const { limits } = await s.client.whoami();
        assertEquals(limits, {
          instance_max_timeout: 3600,
          instance_memory_bytes: 32 * MIB,
          instance_cpu_millicores: 500,
          instance_max_pids: 16,
          instance_userns_ids: 65536,
          // The output caps (issue 16) sit beside them.
          instance_max_truncate_output_at: 16 * MIB,
          operation_max_output: 64 * MIB,
          request_max_body: 64 * MIB,
        });
      });

      await t.step("a run over its memory limit is killed and ends FAILED saying why", async () => {
        // busybox tail keeps a line in memory: 64 MiB without a newline needs 64 MiB.
        const op = await run(s, {
          command: "head -c 67108864 /dev/zero | tail -c 1 > /dev/null; echo survived",
          shell: true,
          disposable: true,
        });
        // tail is killed, not the shell: the run ran to its end.
        assertEquals(output(op), "survived\n");
        const killed = await run(s, { command: "tail", args: ["/dev/zero"], disposable: true });
        assertEquals(killed.status, "FAILED");
        assertMatch(killed.error!, /^out of memory: .*memory limit of 32 MiB/);
        assertEquals(killed.metadata?.result?.state?.signal, 9);
        const exit = (await eventLog(s, killed.uuid)).find((e) => e.type === "exit")!;
        assertEquals([exit.data.code, exit.data.signal], [-1, 9]); // signalled (API spec §3.6)
        const completion = (await eventLog(s, killed.uuid)).at(-1)!;
        assertEquals([completion.data.status, completion.data.error], ["FAILED", killed.error]);
        // conmon notes the kill in an `oom` file in podman's cwd: the server's home, not the
        // directory the server was started in (it appeared at the repository's root).
        assert((await Deno.stat(`${s.dataDir}/oom`)).isFile);
        // The same allocation fits under the limit when it is small enough.
        const fits = await run(s, {
          command: "head -c 8388608 /dev/zero | tail -c 1 | wc -c",
          shell: true,
          disposable: true,
        });
        assertEquals([fits.status, output(fits).trim()], ["SUCCESS", "1"]);
      });

      await t.step("the pids limit stops forks; CPUs are a CFS quota", async () => {
        const forks = await run(s, {
          command: "for i in $(seq 32); do sleep 1 & done; echo all forked",
          shell: true,
          disposable: true,
        });
        assertEquals(forks.status, "SUCCESS");
        assertEquals(forks.metadata?.result?.state?.exit_code, 2);
        assertMatch(output(forks, "stderr"), /can't fork/);
        const few = await run(s, {
          command: "for i in $(seq 4); do sleep 0.1 & done; wait; echo all forked",
          shell: true,
          disposable: true,
        });
        assertEquals(output(few), "all forked\n");
        const cgroup = await run(s, {
          command: "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us " +
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
          shell: true,
        });
        assertEquals(output(cgroup), `16\n50000\n${32 * MIB}\n`);
      });

      await t.step("disposable runs get a user namespace; committed runs do not", async () => {
        const mapped = await run(s, {
          command: "cat /proc/self/uid_map /proc/self/gid_map; id -u",
          shell: true,
          disposable: true,
          uid: 1000,
        });
        const map = (line: string) => line.trim().split(/\s+/).join(" ");
        assertEquals(output(mapped).trim().split("\n").map(map), [
          "0 1500000000 65536",
          "0 1500000000 65536",
          "1000",
        ]);
        const committed = await run(s, { command: "cat", args: ["/proc/self/uid_map"] });
        assertEquals(map(output(committed)), "0 0 4294967295");
        // The committed image keeps container ids (no host ids leak into it).
        const owned = await run(s, {
          command: "mkdir -p /srv && touch /srv/f && chown 5:6 /srv/f",
          shell: true,
        });
        const check = await run(s, {
          command: "stat -c '%u %g' /srv/f",
          shell: true,
          image: owned.result_image_uuid!,
          disposable: true,
        });
        assertEquals(output(check), "5 6\n");
        const refused = await s.fetch("/instances", {
          method: "POST",
          body: JSON.stringify({ image: s.busybox, command: "true", disposable: true, uid: 70000 }),
        });
        assertEquals(refused.status, 400);
        assertMatch((await refused.json()).error, /below 65536/);
      });

      await t.step(
        "resources_limits.max_layer_bytes: a run that writes more is not committed",
        async () => {
          const big = await run(s, {
            command: "head -c 2000000 /dev/zero > /root/blob",
            shell: true,
            resources_limits: { max_layer_bytes: 1_000_000 },
          });
          assertEquals(big.status, "FAILED");
          assertMatch(big.error!, /more than resources_limits\.max_layer_bytes \(1000000\)/);
          assertEquals(big.result_image_uuid, undefined);
          const cap = (await eventLog(s, big.uuid)).find((e) => e.type === "size_cap")!;
          assertEquals(cap.data.limit_bytes, 1_000_000);
          assertEquals((cap.data.file_size as number) > 2_000_000 - 1, true);
          const small = await run(s, {
            command: "echo small > /root/note",
            shell: true,
            resources_limits: { max_layer_bytes: 1_000_000 },
          });
          assertEquals(small.status, "SUCCESS");
        },
      );
    } finally {
      await s.cleanup();
    }
  },
);
