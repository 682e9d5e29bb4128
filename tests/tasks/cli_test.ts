// `contree project` and `contree task` as real subprocesses, for everything that needs no
// running container (podman is pointed at a missing binary where it would be called).

import { assert, assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { runCli } from "../support/cli.ts";
import { remountReadOnly, tmpfsSkipReason, withTmpfs } from "../support/tmpfs.ts";

async function withRoots(fn: (env: Record<string, string>, dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "contree-task-cli-" });
  try {
    await fn({
      CONTREE_HOME: `${dir}/home`,
      CONTREE_TASKS_ROOT: `${dir}/state`,
      CONTREE_PODMAN: `${dir}/no-such-podman`,
    }, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("project new, list, show; bad input has one line and an exit code", async () => {
  await withRoots(async (env, dir) => {
    const empty = await runCli(["project", "list"], { env });
    assertEquals([empty.code, empty.stdout], [0, ""]);
    assertStringIncludes(empty.stderr, "No projects found");

    const created = await runCli(
      ["project", "new", "demo", "--image", "localhost/img:1", "--shutdown-timeout", "3"],
      { env },
    );
    assertEquals(created.code, 0, created.stderr);
    assertEquals(created.stdout, `Created project demo: ${dir}/home/projects/demo/project.yml\n`);
    const again = await runCli(["project", "new", "demo", "--image", "x"], { env });
    assertEquals(again.code, 1);
    assertMatch(
      again.stderr,
      /^\[ERROR\] Project 'demo' already exists: .* \(use --force to replace it\)\n$/,
    );

    const list = await runCli(["-f", "json", "project", "list"], { env });
    const row = JSON.parse(list.stdout);
    assertEquals([row.name, row.image, row.shutdown_timeout], ["demo", "localhost/img:1", 3]);
    assertEquals(row.tasks_root, `${dir}/state/sandbox-live/tasks/demo`);
    const show = await runCli(["project", "show", "demo"], { env });
    assertStringIncludes(show.stdout, `meta_dir:         ${dir}/state/core/projects/demo/tasks\n`);

    const badName = await runCli(["project", "new", "Bad", "--image", "x"], { env });
    assertEquals(badName.code, 2);
    assertMatch(badName.stderr, /^\[ERROR\] Invalid project name 'Bad'/);
    const missing = await runCli(["project", "show", "nope"], { env });
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "Project 'nope' not found");
    assertStringIncludes(missing.stderr, "contree project new nope --image IMAGE");
    const badTimeout = await runCli([
      "project",
      "new",
      "x",
      "--image",
      "i",
      "--shutdown-timeout",
      "-1",
    ], { env });
    assertEquals(badTimeout.code, 2);
  });
});

Deno.test("task new, list, rename, status without a container", async () => {
  await withRoots(async (env, dir) => {
    await runCli(["project", "new", "demo", "--image", "localhost/img:1"], { env });
    const created = await runCli(["task", "new", "demo", "--name", "Fix login bug"], { env });
    assertEquals(created.code, 0, created.stderr);
    const [, id] =
      created.stdout.match(/^Created task ([a-z0-9]{5}) \(fix-login-bug\) in (.*)\n$/) ?? [];
    assert(id, created.stdout);
    const taskDir = `${dir}/state/sandbox-live/tasks/demo/${id}`;
    assertStringIncludes(created.stdout, taskDir);
    assert((await Deno.stat(`${taskDir}/README.md`)).isFile);
    assert((await Deno.stat(`${taskDir}/workspace-dangerous/.new-task-marker`)).isFile);

    // Listing needs podman only when there are tasks; a missing podman is an error, not "not found".
    const broken = await runCli(["task", "list", "demo"], { env });
    assertEquals(broken.code, 1);
    assertStringIncludes(
      broken.stderr,
      "Container runtime unavailable — cannot query container states",
    );

    const renamed = await runCli(["task", "rename", `demo/${id.slice(0, 2)}`, "Ship It"], { env });
    assertEquals([renamed.code, renamed.stdout], [0, `Renamed task ${id} to ship-it\n`]);
    // The slash form without the new name says what is missing (it said "missing required
    // argument 'task'", which was given).
    for (const args of [[`demo/${id.slice(0, 2)}`], ["demo", id.slice(0, 2)]]) {
      const nameless = await runCli(["task", "rename", ...args], { env });
      assertEquals([nameless.code, nameless.stdout], [2, ""], String(args));
      assertEquals(
        nameless.stderr,
        "[ERROR] Missing the new name: task rename <project> <task> <name>\n",
      );
    }

    const status = await runCli(["task", "status", "demo", id.toUpperCase(), "--no-emoji"], {
      env,
    });
    assertEquals(status.code, 0, status.stderr);
    assertEquals(status.stdout.split("\n").slice(0, 4), [
      `Task ${id}:`,
      "  Name:            ship-it",
      "  Status:          created",
      "  Mode:            not set",
    ]);
    const json = await runCli(["-f", "json", "task", "status", `demo/${id}`], { env });
    const row = JSON.parse(json.stdout);
    assertEquals([row.id, row.name, row.status, row.mode, row.exit_code], [
      id,
      "ship-it",
      "created",
      null,
      null,
    ]);

    const badName = await runCli(["task", "new", "demo", "--name", "-x"], { env });
    assertEquals(badName.code, 2);
    assertEquals(badName.stderr, "[ERROR] Invalid task name: name must not start with a hyphen\n");
    const noTask = await runCli(["task", "status", "demo"], { env });
    assertEquals(noTask.code, 2);
    assertStringIncludes(noTask.stderr, "Missing task ID — 'contree task status' needs");
    // A prefix the random id cannot start with (1 in 1024 ids start with "z9").
    const miss = id.startsWith("z") ? "y9" : "z9";
    const unknown = await runCli(["task", "status", "demo", miss], { env });
    assertEquals(unknown.code, 1);
    assertEquals(unknown.stderr, `[ERROR] No task matching '${miss}' in project demo\n`);
    const malformed = await runCli(["task", "status", "demo", "zzz"], { env });
    assertEquals(malformed.code, 2);
    assertStringIncludes(malformed.stderr, "Invalid task ID prefix 'zzz'");
    const pathy = await runCli(["task", "status", "demo/..", ""], { env });
    assertEquals(pathy.code, 2);
    const extra = await runCli(["task", "status", `demo/${id}`, "more"], { env });
    assertEquals([extra.code, extra.stderr], [2, "[ERROR] Unexpected argument 'more'\n"]);
    const never = await runCli(["task", "stop", "demo", id], { env });
    assertEquals(never.code, 1);
    assertStringIncludes(never.stderr, `Task ${id} has never been run (no mode set)`);
    const badMode = await runCli(["task", "run", "demo", "--mode", "toad"], { env });
    assertEquals(badMode.code, 2);
    const noCommand = await runCli(["task", "run", "demo", "--mode", "run"], { env });
    assertEquals(noCommand.code, 1);
    assertStringIncludes(noCommand.stderr, "Project demo has no run.command");
    const files = [...Deno.readDirSync(`${dir}/state/core/projects/demo/tasks`)]
      .filter((entry) => entry.name !== ".lock"); // the lock of runs, renames and deletes
    assertEquals(files.length, 2, "still one task (a dossier and a meta file): none was created");
  });
});

Deno.test("delete completes with warnings when podman is missing; the archive lists it", async () => {
  await withRoots(async (env, dir) => {
    await runCli(["project", "new", "demo", "--image", "localhost/img:1"], { env });
    const created = await runCli(["task", "new", "demo", "--name", "ship-it"], { env });
    const id = created.stdout.split(" ")[2];
    const deleted = await runCli(["task", "delete", "demo", id], { env });
    assertEquals(deleted.code, 0, deleted.stderr);
    assertMatch(
      deleted.stdout,
      new RegExp(
        `^Deleted task ${id} \\(with warnings\\)\\. Archive: ${dir}/state/archive/demo/tasks/\\d{8}T\\d{12}Z_${id}_ship-it\\n$`,
      ),
    );
    assertStringIncludes(deleted.stderr, `[WARNING] Container demo-cli-${id}: `);
    assertStringIncludes(deleted.stderr, "no-such-podman not found");
    assertStringIncludes(deleted.stderr, "[WARNING] Containers may still be running");
    await assertGone(`${dir}/state/sandbox-live/tasks/demo/${id}`);
    await assertGone(`${dir}/state/core/projects/demo/tasks/${id}_dossier.json`);

    const archived = await runCli(["task", "archive", "list", "demo"], { env });
    assertMatch(archived.stdout, new RegExp(`^- \\d{8}T\\d{12}Z #${id}: ship-it\\n$`));
    // A hand-edited task.json: values of other types are not shown as `[object Object]`.
    const entry = [...Deno.readDirSync(`${dir}/state/archive/demo/tasks`)][0].name;
    const taskJson = `${dir}/state/archive/demo/tasks/${entry}/task.json`;
    Deno.writeTextFileSync(
      taskJson,
      JSON.stringify({ task_id: { a: 1 }, name: "two\nlines", mode: ["x"], exit_code: "3" }),
    );
    const edited = await runCli(["task", "archive", "list", "demo"], { env });
    assertMatch(edited.stdout, new RegExp(`^- \\d{8}T\\d{12}Z #${id}: two\\\\x0alines\\n$`));
    const editedJson = JSON.parse(
      (await runCli(["-f", "json", "task", "archive", "list", "demo"], {
        env,
      })).stdout,
    );
    assertEquals([editedJson.id, editedJson.mode, editedJson.exit_code], [id, null, null]);
    const logs = await runCli(["task", "archive", "logs", "demo", id], { env });
    assertEquals(logs.code, 1);
    assertStringIncludes(logs.stderr, `No archived logs found for prefix '${id}'`);
    const gone = await runCli(["task", "status", "demo", id], { env });
    assertEquals(gone.code, 1);
  });
});

async function assertGone(path: string) {
  try {
    await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  throw new Error(`${path} still exists`);
}

Deno.test({
  name: "task rename on a read-only tasks root: the system's words, exit 1, not 'Unexpected error'",
  ignore: tmpfsSkipReason !== undefined,
  fn: () =>
    withTmpfs("contree-task-ro-", 4, async (dir) => {
      const env = {
        CONTREE_HOME: `${dir}/home`,
        CONTREE_TASKS_ROOT: `${dir}/state`,
        CONTREE_PODMAN: `${dir}/no-such-podman`,
      };
      await runCli(["project", "new", "demo", "--image", "localhost/img:1"], { env });
      const created = await runCli(["-f", "json", "task", "new", "demo"], { env });
      assertEquals(created.code, 0, created.stderr);
      const { id } = JSON.parse(created.stdout);
      await remountReadOnly(dir);
      const renamed = await runCli(["task", "rename", "demo", id, "other"], { env });
      assertEquals([renamed.code, renamed.stdout], [1, ""]);
      assertMatch(renamed.stderr, /^\[ERROR\] Read-only file system \(os error 30\): open '.*'\n$/);
    }),
});
