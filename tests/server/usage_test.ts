// The usage meter against cgroup trees laid out as the kernel's (v1 and v2) in a temporary
// directory: what it reads, what it refuses, and which cgroups its sweep removes.

import { UsageMeter } from "../../src/server/usage.ts";
import { exitResources } from "../../src/server/executor.ts";
import { assertEquals } from "../support/assert.ts";

const PREFIX = "contree-server-1-";
const OP = "op-1";

async function withTree(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "contree-cgroups-" });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function files(dir: string, contents: Record<string, string>): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(contents)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
}

Deno.test("usage: cgroup v1 counters in microseconds and bytes; podman gets the run's parent", async () => {
  await withTree(async (root) => {
    const meter = new UsageMeter(1, PREFIX, root);
    assertEquals(meter.cgroupArgs(OP), [
      "--cgroups=no-conmon",
      "--cgroup-parent",
      `/${PREFIX}${OP}`,
    ]);
    assertEquals(meter.read(OP), undefined, "nothing to read yet");
    await files(`${root}/cpuacct/${PREFIX}${OP}`, {
      "cpuacct.usage_user": "1500000499\n",
      "cpuacct.usage_sys": "250000000\n",
    });
    assertEquals(meter.read(OP), undefined, "no memory figure: nothing is reported");
    await files(`${root}/memory/${PREFIX}${OP}`, { "memory.max_usage_in_bytes": "42713088\n" });
    const used = meter.read(OP);
    assertEquals(used, { userMicros: 1500000, systemMicros: 250000, peakMemoryBytes: 42713088 });
    const resources = exitResources(used);
    assertEquals(Object.keys(resources).length, 15);
    assertEquals(
      [resources.user_time_us, resources.sys_time_us, resources.max_rss_kb],
      [1500000, 250000, 41712],
    );
    assertEquals(resources.minor_faults, -1);
    assertEquals(Object.values(exitResources(undefined)).every((value) => value === -1), true);
    await Deno.writeTextFile(`${root}/cpuacct/${PREFIX}${OP}/cpuacct.usage_sys`, "-3\n");
    assertEquals(meter.read(OP), undefined, "an odd counter: nothing is reported");
  });
});

Deno.test("usage: cgroup v2 cpu.stat and memory.peak; without memory.peak, CPU only", async () => {
  await withTree(async (root) => {
    const meter = new UsageMeter(2, PREFIX, root);
    const dir = `${root}/${PREFIX}${OP}`;
    await files(dir, {
      "cpu.stat": "usage_usec 1750000\nuser_usec 1500000\nsystem_usec 250000\nnr_periods 0\n",
    });
    assertEquals(meter.read(OP), { userMicros: 1500000, systemMicros: 250000 });
    await Deno.writeTextFile(`${dir}/memory.peak`, "4096\n");
    assertEquals(meter.read(OP), {
      userMicros: 1500000,
      systemMicros: 250000,
      peakMemoryBytes: 4096,
    });
  });
});

Deno.test("usage: a sweep removes this server's unused cgroups in every hierarchy, nothing else", async () => {
  await withTree(async (root) => {
    const meter = new UsageMeter(1, PREFIX, root);
    for (const hierarchy of ["cpuacct", "memory", "pids"]) {
      await Deno.mkdir(`${root}/${hierarchy}/${PREFIX}done`, { recursive: true });
      // A cgroup that still holds the container's (a directory that is not empty) stays.
      await Deno.mkdir(`${root}/${hierarchy}/${PREFIX}busy/libpod-1`, { recursive: true });
      await Deno.mkdir(`${root}/${hierarchy}/contree-other-server-done`);
      await Deno.mkdir(`${root}/${hierarchy}/machine.slice`);
    }
    // A run going on: podman may be between making its parent and the container's cgroup.
    meter.cgroupArgs("going-on");
    for (const hierarchy of ["cpuacct", "memory", "pids"]) {
      await Deno.mkdir(`${root}/${hierarchy}/${PREFIX}going-on`);
    }
    meter.sweep();
    const left = (hierarchy: string) =>
      [...Deno.readDirSync(`${root}/${hierarchy}`)].map((entry) => entry.name).sort();
    for (const hierarchy of ["cpuacct", "memory", "pids"]) {
      assertEquals(left(hierarchy), [
        "contree-other-server-done",
        `${PREFIX}busy`,
        `${PREFIX}going-on`,
        "machine.slice",
      ]);
    }
    meter.release("going-on");
    for (const hierarchy of ["cpuacct", "memory", "pids"]) {
      assertEquals(left(hierarchy), [
        "contree-other-server-done",
        `${PREFIX}busy`,
        "machine.slice",
      ]);
    }
  });
});
