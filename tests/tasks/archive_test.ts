import {
  archiveTask,
  archiveTimestamp,
  findArchive,
  listArchives,
} from "../../src/tasks/archive.ts";
import { assertEquals } from "../support/assert.ts";

Deno.test("archive timestamps: UTC, compact, six fractional digits", () => {
  assertEquals(archiveTimestamp(Date.parse("2026-03-05T14:30:00.123Z")), "20260305T143000123000Z");
  assertEquals(archiveTimestamp(Date.parse("2026-12-31T23:59:59Z")), "20261231T235959000000Z");
});

async function withRoots(
  fn: (roots: { configRoot: string; stateRoot: string }, dir: string) => Promise<void>,
) {
  const dir = await Deno.makeTempDir();
  try {
    await fn({ configRoot: `${dir}/c`, stateRoot: `${dir}/s` }, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const NOW = Date.parse("2026-03-05T14:30:00.123Z");

Deno.test("archive entries: ID and name, collisions suffixed, unsafe names left out", async () => {
  await withRoots(async (roots, dir) => {
    const taskDir = `${dir}/task`;
    await Deno.mkdir(`${taskDir}/logs/sub`, { recursive: true });
    await Deno.writeTextFile(`${taskDir}/logs/container.log`, "line\n");
    await Deno.writeTextFile(`${taskDir}/logs/sub/x`, "x");
    const meta = { task_id: "k3v8h", name: "fix", mode: "run", exit_code: 124 };
    const root = `${roots.stateRoot}/archive/p/tasks`;
    const first = await archiveTask(roots, "p", "k3v8h", meta, taskDir, NOW);
    assertEquals(first, `${root}/20260305T143000123000Z_k3v8h_fix`);
    assertEquals(
      await Deno.readTextFile(`${first}/task.json`),
      JSON.stringify(meta, null, 2) + "\n",
    );
    assertEquals(await Deno.readTextFile(`${first}/logs/container.log`), "line\n");
    assertEquals(await Deno.readTextFile(`${first}/logs/sub/x`), "x");
    assertEquals(
      await archiveTask(roots, "p", "k3v8h", meta, taskDir, NOW),
      `${root}/20260305T143000123000Z_k3v8h_fix_1`,
    );
    assertEquals(
      await archiveTask(roots, "p", "k3v8h", meta, taskDir, NOW),
      `${root}/20260305T143000123000Z_k3v8h_fix_2`,
    );
    const noLogs = await archiveTask(roots, "p", "m2aaa", { name: "../evil" }, `${dir}/none`, NOW);
    assertEquals(noLogs, `${root}/20260305T143000123000Z_m2aaa`);
    assertEquals([...Deno.readDirSync(noLogs)].map((e) => e.name), ["task.json"]);
  });
});

Deno.test("archive listing: newest first; strays and unreadable entries skipped", async () => {
  await withRoots(async (roots, dir) => {
    assertEquals(await listArchives(roots, "p"), []);
    await archiveTask(roots, "p", "k3v8h", { task_id: "k3v8h", name: "old" }, dir, NOW);
    await archiveTask(roots, "p", "m2aaa", { task_id: "m2aaa", name: "new" }, dir, NOW + 1000);
    const root = `${roots.stateRoot}/archive/p/tasks`;
    await Deno.writeTextFile(`${root}/stray-file`, "");
    await Deno.mkdir(`${root}/20990101T000000000000Z_n3bbb`);
    await Deno.mkdir(`${root}/20990101T000000000000Z_p4ccc`);
    await Deno.writeTextFile(`${root}/20990101T000000000000Z_p4ccc/task.json`, "{corrupt");
    await Deno.mkdir(`${root}/20980101T000000000000Z_q5ddd`);
    await Deno.writeTextFile(`${root}/20980101T000000000000Z_q5ddd/task.json`, "  \n");
    const entries = await listArchives(roots, "p");
    assertEquals(entries.map((e) => e.entry), [
      "20980101T000000000000Z_q5ddd",
      "20260305T143001123000Z_m2aaa_new",
      "20260305T143000123000Z_k3v8h_old",
    ]);
    assertEquals(entries[0].meta, {});
    assertEquals(entries[1].archivedAt, "20260305T143001123000Z");
    assertEquals((await findArchive(roots, "p", "20260305T143000"))?.meta.name, "old");
    assertEquals((await findArchive(roots, "p", "2026"))?.meta.name, "new");
    assertEquals((await findArchive(roots, "p", "k3"))?.meta.name, "old");
    assertEquals(await findArchive(roots, "p", "zz"), undefined);
    assertEquals(await findArchive(roots, "p", ""), undefined);
  });
});
