import { ContreeError, UsageError } from "../../src/errors.ts";
import {
  dossierPath,
  listTaskIds,
  metaYamlPath,
  readTaskMeta,
  splitDossierPath,
  taskExists,
  updateTaskMeta,
  writeTaskMeta,
} from "../../src/tasks/meta.ts";
import { archiveRoot, assertPathSafe, metaDir, resolveTaskRoots } from "../../src/tasks/paths.ts";
import { envFromRecord } from "../../src/env.ts";
import { assertEquals, assertRejects, assertThrows } from "../support/assert.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const META = {
  project_name: "proj",
  task_id: "k3v8h",
  name: "fix-bug",
  mode: null,
  workspace: "/tasks/k3v8h",
  created_at: "2026-06-08T20:00:00.000+00:00",
  exit_code: 124,
  deleting: false,
};

Deno.test("metadata round-trips through the split files", async () => {
  await withDir(async (dir) => {
    const metas = `${dir}/meta`;
    await writeTaskMeta(dossierPath(metas, "k3v8h"), META);
    assertEquals(await readTaskMeta(metas, "k3v8h"), META);
    // The dossier holds exactly the identity triple in wire keys, pretty, with a newline.
    assertEquals(
      await Deno.readTextFile(dossierPath(metas, "k3v8h")),
      '{\n  "project": "proj",\n  "task": "k3v8h",\n  "name": "fix-bug"\n}\n',
    );
    const yaml = await Deno.readTextFile(metaYamlPath(metas, "k3v8h"));
    assertEquals(yaml.includes("fix-bug"), false);
    assertEquals(yaml.includes("exit_code: 124"), true);
    // No temp file is left behind.
    assertEquals([...Deno.readDirSync(metas)].map((e) => e.name).sort(), [
      "k3v8h_dossier.json",
      "k3v8h_meta.yml",
    ]);
  });
});

Deno.test("the dossier omits empty values, stringifies others, and keeps unicode", async () => {
  await withDir(async (dir) => {
    await writeTaskMeta(dossierPath(dir, "k3v8h"), {
      project_name: "",
      task_id: "k3v8h",
      name: "ü",
    });
    assertEquals(
      await Deno.readTextFile(dossierPath(dir, "k3v8h")),
      '{\n  "task": "k3v8h",\n  "name": "ü"\n}\n',
    );
  });
});

Deno.test("either file alone is a task; the dossier triple wins; extra wire keys ignored", async () => {
  await withDir(async (dir) => {
    assertEquals(await readTaskMeta(dir, "k3v8h"), null);
    assertEquals(await taskExists(dir, "k3v8h"), false);
    await Deno.writeTextFile(metaYamlPath(dir, "k3v8h"), "name: old\nmode: cli\n");
    assertEquals(await readTaskMeta(dir, "k3v8h"), { name: "old", mode: "cli" });
    assertEquals(await taskExists(dir, "k3v8h"), true);
    await Deno.writeTextFile(
      dossierPath(dir, "k3v8h"),
      JSON.stringify({ name: "new", task: "k3v8h", shield: "x" }),
    );
    assertEquals(await readTaskMeta(dir, "k3v8h"), { name: "new", mode: "cli", task_id: "k3v8h" });
    await Deno.remove(metaYamlPath(dir, "k3v8h"));
    assertEquals(await readTaskMeta(dir, "k3v8h"), { name: "new", task_id: "k3v8h" });
    await Deno.writeTextFile(dossierPath(dir, "k3v8h"), "  \n");
    assertEquals(await readTaskMeta(dir, "k3v8h"), {});
  });
});

Deno.test("parse errors surface as one-line ContreeErrors naming the file", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(metaYamlPath(dir, "k3v8h"), "name: [unclosed\n");
    const error = await assertRejects(
      () => readTaskMeta(dir, "k3v8h"),
      ContreeError,
      "k3v8h_meta.yml",
    );
    assertEquals(error.message.includes("\n"), false);
    await Deno.writeTextFile(metaYamlPath(dir, "k3v8h"), "- a list\n");
    await assertRejects(() => readTaskMeta(dir, "k3v8h"), ContreeError, "not a mapping");
    await Deno.remove(metaYamlPath(dir, "k3v8h"));
    await Deno.writeTextFile(dossierPath(dir, "k3v8h"), "{nope");
    await assertRejects(() => readTaskMeta(dir, "k3v8h"), ContreeError, "k3v8h_dossier.json");
  });
});

Deno.test("only a dossier path is a write handle", () => {
  assertEquals(splitDossierPath("/m/k3v8h_dossier.json"), {
    metaDir: "/m",
    taskId: "k3v8h",
    yaml: "/m/k3v8h_meta.yml",
  });
  for (const bad of ["/m/k3v8h_meta.yml", "/m/k3v8h.json", "/m/_dossier.json", "/m/other"]) {
    assertThrows(() => splitDossierPath(bad), Error, "not a dossier-file handle");
  }
});

Deno.test("path-unsafe IDs and project names are refused by every path builder", () => {
  for (const bad of ["", ".", "..", "..x", "a/b", "a\\b"]) {
    assertThrows(() => assertPathSafe("task_id", bad), UsageError, "Refusing path-unsafe task_id");
    assertThrows(() => dossierPath("/m", bad), UsageError);
    assertThrows(() => metaYamlPath("/m", bad), UsageError);
  }
  const roots = { configRoot: "/c", stateRoot: "/s" };
  assertThrows(() => metaDir(roots, "../etc"), UsageError, "Refusing path-unsafe project_name");
  assertThrows(() => archiveRoot(roots, "a/b"), UsageError);
});

Deno.test("enumeration: both kinds of file, temp files skipped, duplicates collapsed", async () => {
  await withDir(async (dir) => {
    assertEquals(await listTaskIds(`${dir}/missing`), undefined);
    await writeTaskMeta(dossierPath(dir, "k3v8h"), META);
    await Deno.writeTextFile(metaYamlPath(dir, "m2aaa"), "name: x\n");
    await Deno.writeTextFile(`${dir}/n4bbb_meta.yml.123.tmp`, "name: y\n");
    await Deno.writeTextFile(`${dir}/README`, "");
    await Deno.mkdir(`${dir}/p5ccc_meta.yml`);
    assertEquals([...(await listTaskIds(dir))!].sort(), ["k3v8h", "m2aaa"]);
  });
});

Deno.test("update writes a patch; unknown tasks are a no-op", async () => {
  await withDir(async (dir) => {
    assertEquals(await updateTaskMeta(dir, "k3v8h", { exit_code: 1 }), null);
    assertEquals(await listTaskIds(dir), new Set());
    await writeTaskMeta(dossierPath(dir, "k3v8h"), META);
    await updateTaskMeta(dir, "k3v8h", { exit_code: 0, ready_at: "x" });
    assertEquals(await readTaskMeta(dir, "k3v8h"), { ...META, exit_code: 0, ready_at: "x" });
  });
});

Deno.test("roots: env overrides, XDG, HOME", () => {
  const env = (vars: Record<string, string>) => envFromRecord(vars);
  assertEquals(resolveTaskRoots(env({ CONTREE_HOME: "/h" }), "/home/u"), {
    configRoot: "/h",
    stateRoot: "/home/u/.local/share/contree",
  });
  assertEquals(
    resolveTaskRoots(
      env({ CONTREE_TASKS_CONFIG_DIR: "~/cfg", CONTREE_TASKS_ROOT: "~/st", XDG_DATA_HOME: "/x" }),
      "/home/u",
    ),
    { configRoot: "/home/u/cfg", stateRoot: "/home/u/st" },
  );
  assertEquals(
    resolveTaskRoots(env({ XDG_DATA_HOME: "/x", XDG_CONFIG_HOME: "/xc" }), "/home/u"),
    { configRoot: "/xc/contree", stateRoot: "/x/contree" },
  );
  // Relative: against the cwd (podman read `relstate/…` as a volume name, `./x` from inside
  // the task's directory).
  assertEquals(
    resolveTaskRoots(env({ CONTREE_HOME: "h2", CONTREE_TASKS_ROOT: "./st" }), "/home/u", "/w/d"),
    { configRoot: "/w/d/h2", stateRoot: "/w/d/st" },
  );
});
