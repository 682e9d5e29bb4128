// The lifecycle against real files and the in-memory podman.

import { ContreeError, Interrupted, UsageError } from "../../src/errors.ts";
import {
  captureTaskLogs,
  IDLE_SCRIPT,
  isoUtc,
  loginCommand,
  taskDelete,
  taskLogs,
  taskNew,
  taskRename,
  taskRun,
  taskStop,
  taskWait,
  WaitTimeout,
} from "../../src/tasks/lifecycle.ts";
import { listTaskIds, readTaskMeta, updateTaskMeta, withTaskLock } from "../../src/tasks/meta.ts";
import { metaDir } from "../../src/tasks/paths.ts";
import { PodmanNotFound, PodmanTimeout } from "../../src/podman.ts";
import { getTask, getTasks, listTasks } from "../../src/tasks/query.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../support/assert.ts";
import { type TaskBench, withBench } from "../support/tasks.ts";
import type { TaskContext } from "../../src/tasks/context.ts";

async function meta(bench: TaskBench, id: string) {
  return await readTaskMeta(metaDir(bench.roots, bench.project.name), id);
}

/** Resolves once some flock waits for the lock file at `path` (a `->` line in /proc/locks). */
async function blockedOnLock(path: string): Promise<void> {
  const inode = `:${(await Deno.stat(path)).ino} `;
  const waiting = () =>
    Deno.readTextFileSync("/proc/locks").split("\n")
      .some((line) => line.includes(" -> ") && line.includes(inode));
  for (let i = 0; i < 500 && !waiting(); i++) await new Promise((r) => setTimeout(r, 10));
  assert(waiting(), "the rename waits for the lock");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("new: ID, workspace 0700 with the marker, README, metadata; no podman", async () => {
  await withBench(async (bench) => {
    const { ctx, project } = bench;
    const a = await taskNew(ctx, project, { name: "Fix Login Bug" });
    const b = await taskNew(ctx, project);
    assertMatch(a.taskId, /^[ghjkmnp-tv-z][0-9][0-9a-hjkmnp-tv-z]{3}$/);
    assert(a.taskId !== b.taskId);
    assertEquals(a.name, "fix-login-bug");
    assertMatch(b.name, /^[a-z]+-[a-z0-9]+$/);
    assertEquals(a.taskDir, `${project.tasksRoot}/${a.taskId}`);
    const workspace = `${a.taskDir}/workspace-dangerous`;
    assertEquals((await Deno.stat(workspace)).mode! & 0o777, 0o700);
    const marker = await Deno.readTextFile(`${workspace}/.new-task-marker`);
    assert(marker.includes("reset to the latest remote HEAD"));
    assertEquals(marker.split("\n").filter((l) => l.startsWith("#")).length, 3);
    assert((await Deno.readTextFile(`${a.taskDir}/README.md`)).includes("Do not run git"));
    assert(await exists(`${metaDir(bench.roots, "proj")}/${a.taskId}_dossier.json`));
    assertEquals(await meta(bench, a.taskId), {
      project_name: "proj",
      task_id: a.taskId,
      name: "fix-login-bug",
      mode: null,
      workspace: a.taskDir,
      created_at: "2026-06-08T20:00:00.000+00:00",
    });
    const listed = await getTasks(ctx, project);
    assertEquals(listed.map((t) => t.taskId), [a.taskId, b.taskId].sort());
    assertEquals(listed.find((t) => t.taskId === a.taskId)?.createdAt, isoUtc(bench.clock.now()));
    assertEquals(bench.podman.calls, []);
  });
});

Deno.test("new: random names come from the project's categories", async () => {
  await withBench(async ({ ctx, project }) => {
    const { name } = await taskNew(ctx, project);
    const noun = name.split("-")[1];
    const { NAME_CATEGORIES } = await import("../../src/tasks/naming.ts");
    assert(NAME_CATEGORIES.weather.includes(noun), name);
  }, { nameCategories: ["weather"] });
});

Deno.test("new: invalid names fail before anything is written", async () => {
  await withBench(async (bench) => {
    for (const bad of ["@#$", "-my-task"]) {
      await assertRejects(() => taskNew(bench.ctx, bench.project, { name: bad }), UsageError);
    }
    assertEquals(await listTaskIds(metaDir(bench.roots, "proj")), undefined);
    assertEquals(await exists(bench.project.tasksRoot), false);
  });
});

Deno.test("new: a tasks.root that cannot be made is one clear error", async () => {
  await withBench(async (bench) => {
    const project = { ...bench.project, tasksRoot: "/proc/contree-nope/tasks" };
    // Was "Unexpected error: No such file or directory …" (an internal error's wording).
    await assertRejects(
      () => taskNew(bench.ctx, project),
      ContreeError,
      "Cannot create the tasks.root directory: ",
    );
  });
});

Deno.test("new: a tasks.root podman cannot bind-mount (a ':' in it) fails before anything is made", async () => {
  await withBench(async (bench) => {
    const tasksRoot = `${bench.project.tasksRoot}/a:b`;
    await assertRejects(
      () => taskNew(bench.ctx, { ...bench.project, tasksRoot }),
      UsageError,
      "':'",
    );
    assertEquals(await exists(bench.project.tasksRoot), false);
    assertEquals(await listTaskIds(metaDir(bench.roots, "proj")), undefined);
  });
});

Deno.test("rename: sanitised and persisted; invalid and unknown refused", async () => {
  await withBench(async (bench) => {
    const { ctx, project } = bench;
    const { taskId } = await taskNew(ctx, project, { name: "one" });
    assertEquals(await taskRename(ctx, project, taskId, "Ship It!"), "ship-it");
    assertEquals((await meta(bench, taskId))?.name, "ship-it");
    const dossier = await Deno.readTextFile(
      `${metaDir(bench.roots, "proj")}/${taskId}_dossier.json`,
    );
    assert(dossier.includes('"name": "ship-it"'));
    await assertRejects(() => taskRename(ctx, project, taskId, "-x"), UsageError, "hyphen");
    await assertRejects(() => taskRename(ctx, project, taskId, "%%"), UsageError, "'%%'");
    await assertRejects(
      () => taskRename(ctx, project, "g0000", "x"),
      ContreeError,
      "Unknown task g0000",
    );
    assertEquals((await meta(bench, taskId))?.name, "ship-it");
  });
});

Deno.test("rename: a task deleted while the rename waited for the lock is unknown", async () => {
  await withBench(async (bench) => {
    const { ctx, project } = bench;
    const { taskId } = await taskNew(ctx, project, { name: "one" });
    const metas = metaDir(bench.roots, project.name);
    let renaming!: Promise<string>;
    // A delete holds the lock; the rename finds the task, then waits for the lock.
    await withTaskLock(metas, async () => {
      renaming = taskRename(ctx, project, taskId, "two");
      await blockedOnLock(`${metas}/.lock`);
      for (const file of [`${taskId}_meta.yml`, `${taskId}_dossier.json`]) {
        await Deno.remove(`${metas}/${file}`);
      }
    });
    // Was: "Renamed task … to two", exit 0, for a task that was gone.
    await assertRejects(() => renaming, ContreeError, `Unknown task ${taskId}`);
    assertEquals(await meta(bench, taskId), null);
  });
});

Deno.test("run cli: container argv, mode and ready_at recorded, status running", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId, taskDir } = await taskNew(ctx, project, { name: "t" });
    bench.clock.advance(1500);
    const result = await taskRun(ctx, project, taskId, {});
    const name = `proj-cli-${taskId}`;
    assertEquals(result, { container: name, mode: "cli", state: "running", restarted: false });
    const [argv] = podman.argvOf("run");
    assertEquals(argv.slice(0, 6), ["run", "-d", "--name", name, "--hostname", name]);
    // podman (and the container's conmon, which leaves `oom` there) runs in the task's directory.
    assertEquals(podman.calls.find((c) => c.args[0] === "run")?.options?.cwd, taskDir);
    for (
      const pair of [
        ["--label", "contree.project=proj"],
        ["--label", `contree.task=${taskId}`],
        ["--label", "contree.mode=cli"],
        ["-v", `${taskDir}/workspace-dangerous:/workspace:Z`],
        ["-w", "/workspace"],
        ["-e", `TASK_ID=${taskId}`],
      ]
    ) {
      const at = argv.findIndex((a, i) => a === pair[0] && argv[i + 1] === pair[1]);
      assert(at > 0, `missing ${pair.join(" ")}`);
    }
    assertEquals(argv.slice(-4), ["localhost/test:latest", "/bin/sh", "-c", IDLE_SCRIPT]);
    const recorded = await meta(bench, taskId);
    assertEquals(recorded?.mode, "cli");
    assertEquals(recorded?.ready_at, "2026-06-08T20:00:01.500+00:00");
    assertEquals(recorded?.exit_code, null);
    const view = await getTask(ctx, project, taskId);
    assertEquals([view.status, view.containerState, view.container], ["running", "running", name]);
    await assertRejects(() => taskRun(ctx, project, taskId, {}), ContreeError, "already running");
    await assertRejects(
      () => taskRun(ctx, project, taskId, { mode: "run" }),
      ContreeError,
      "Task already ran in mode 'cli', cannot run in 'run'",
    );
  });
});

Deno.test("run: the mode is recorded before the start, ready_at only after it", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId } = await taskNew(ctx, project);
    podman.override((args) =>
      args[0] === "run"
        ? { code: 125, stdout: "", stderr: "Error: localhost/test:latest: image not known\n" }
        : undefined
    );
    await assertRejects(
      () => taskRun(ctx, project, taskId, { mode: "cli" }),
      ContreeError,
      "image not found locally",
    );
    const recorded = await meta(bench, taskId);
    assertEquals(recorded?.mode, "cli");
    assertEquals(recorded?.ready_at, undefined);
  });
});

Deno.test("run: two at once in two modes make one container; the other is refused", async () => {
  await withBench(async ({ ctx, project, podman }) => {
    const { taskId } = await taskNew(ctx, project);
    const results = await Promise.allSettled([
      taskRun(ctx, project, taskId, { mode: "cli" }),
      taskRun(ctx, project, taskId, { mode: "run", command: "sleep 100" }),
    ]);
    assertEquals(results.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assertMatch(refused.reason.message, /Task already ran in mode/);
    assertEquals(podman.argvOf("run").length, 1, "one container");
  });
});

Deno.test("run: a first launch that made no container leaves the mode free", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId } = await taskNew(ctx, project);
    let imageMissing = true;
    podman.override((args) =>
      imageMissing && args[0] === "run"
        ? { code: 125, stdout: "", stderr: "Error: localhost/test:latest: image not known\n" }
        : undefined
    );
    await assertRejects(() => taskRun(ctx, project, taskId, {}), ContreeError, "image not found");
    assertEquals((await meta(bench, taskId))?.mode, "cli");
    imageMissing = false;
    const run = await taskRun(ctx, project, taskId, { mode: "run", command: "true" });
    assertEquals([run.mode, run.container], ["run", `proj-run-${taskId}`]);
    // Once it ran, its mode is its own.
    await assertRejects(
      () => taskRun(ctx, project, taskId, { mode: "cli" }),
      ContreeError,
      "Task already ran in mode 'run', cannot run in 'cli'",
    );
  });
});

Deno.test("run: a run cut short before it recorded readiness (init) is finished by the next", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId } = await taskNew(ctx, project);
    await taskRun(ctx, project, taskId, {});
    const metas = metaDir(bench.roots, project.name);
    await updateTaskMeta(metas, taskId, { ready_at: null }); // as the cut-short run left it
    assertEquals((await getTask(ctx, project, taskId)).status, "init");
    const again = await taskRun(ctx, project, taskId, {});
    assertEquals([again.state, again.restarted], ["running", true]);
    assertEquals((await getTask(ctx, project, taskId)).status, "running");
    assertEquals(podman.argvOf("start"), [], "the running container is left as it is");
    // A task that is ready refuses as before.
    await assertRejects(() => taskRun(ctx, project, taskId, {}), ContreeError, "already running");
  });
});

Deno.test("run: a cli container that exits at once failed to start", async () => {
  await withBench(async ({ ctx, project, podman }) => {
    const { taskId } = await taskNew(ctx, project);
    podman.onCreate = (c) => {
      c.state = "exited";
      c.exitCode = 127;
    };
    await assertRejects(
      () => taskRun(ctx, project, taskId, {}),
      ContreeError,
      `Container proj-cli-${taskId} failed to start (state: exited)`,
    );
  });
});

Deno.test("run mode: project command, --command override, finished command is ready", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    podman.onCreate = (c) => {
      c.state = "exited";
      c.exitCode = 124;
    };
    const a = await taskNew(ctx, project);
    const result = await taskRun(ctx, project, a.taskId, { mode: "run" });
    assertEquals(result.state, "exited");
    assertEquals(podman.argvOf("run")[0].slice(-3), ["/bin/sh", "-c", "make test"]);
    assert(typeof (await meta(bench, a.taskId))?.ready_at === "string");
    const b = await taskNew(ctx, project);
    await taskRun(ctx, project, b.taskId, { mode: "run", command: "exit 124" });
    assertEquals(podman.argvOf("run")[1].slice(-3), ["/bin/sh", "-c", "exit 124"]);
    // podman reports `stopped` between the process's exit and its cleanup.
    podman.onCreate = (container) => void (container.state = "stopped");
    const d = await taskNew(ctx, project);
    assertEquals((await taskRun(ctx, project, d.taskId, { mode: "run" })).state, "stopped");
    const c = await taskNew(ctx, project);
    await assertRejects(
      () => taskRun(ctx, project, c.taskId, { command: "x" }),
      ContreeError,
      "--command applies to --mode run only",
    );
  });
});

Deno.test("run mode: list commands run as argv; no command at all is an error", async () => {
  await withBench(async ({ ctx, project, podman }) => {
    const { taskId } = await taskNew(ctx, project);
    await taskRun(ctx, { ...project, command: ["make", "check"] }, taskId, { mode: "run" });
    assertEquals(podman.argvOf("run")[0].slice(-3), ["localhost/test:latest", "make", "check"]);
    const other = await taskNew(ctx, project);
    await assertRejects(
      () => taskRun(ctx, { ...project, command: undefined }, other.taskId, { mode: "run" }),
      ContreeError,
      "Project proj has no run.command",
    );
    assertEquals((await readTaskMeta(metaDir(ctx.roots, "proj"), other.taskId))?.mode, null);
  });
});

Deno.test("run again: the existing container is started, the exit code cleared", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId } = await taskNew(ctx, project);
    await taskRun(ctx, project, taskId, { mode: "run" });
    podman.containers.get(`proj-run-${taskId}`)!.state = "exited";
    podman.containers.get(`proj-run-${taskId}`)!.exitCode = 3;
    await taskWait(ctx, project, taskId);
    assertEquals((await meta(bench, taskId))?.exit_code, 3);
    // No --mode: the recorded one.
    const again = await taskRun(ctx, project, taskId, {});
    assertEquals([again.mode, again.restarted], ["run", true]);
    assertEquals(podman.argvOf("start"), [["start", `proj-run-${taskId}`]]);
    assertEquals(podman.argvOf("run").length, 1);
    assertEquals((await meta(bench, taskId))?.exit_code, null);
    podman.containers.get(`proj-run-${taskId}`)!.state = "exited";
    await assertRejects(
      () => taskRun(ctx, project, taskId, { command: "x" }),
      ContreeError,
      "applies to a new container only",
    );
    // A start that fails runs nothing: the exit code recorded last stays.
    await taskWait(ctx, project, taskId);
    assertEquals((await meta(bench, taskId))?.exit_code, 3);
    podman.override((args) =>
      args[0] === "start" ? { code: 125, stdout: "", stderr: "Error: simulated\n" } : undefined
    );
    await assertRejects(() => taskRun(ctx, project, taskId, {}), ContreeError, "simulated");
    assertEquals((await meta(bench, taskId))?.exit_code, 3);
  });
});

Deno.test("run: a container of the task's name that another made is refused, not restarted", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId } = await taskNew(ctx, project);
    // `podman create --name proj-cli-<id>` by someone else: no labels of this task.
    await podman.run(["run", "-d", "--name", `proj-cli-${taskId}`, "busybox", "sleep", "1000"]);
    podman.containers.get(`proj-cli-${taskId}`)!.state = "exited";
    await assertRejects(
      () => taskRun(ctx, project, taskId, {}),
      ContreeError,
      `Container proj-cli-${taskId} already exists and is not task ${taskId}'s`,
    );
    assertEquals(podman.argvOf("start"), []);
    assertEquals((await meta(bench, taskId))?.mode ?? null, null, "nothing recorded");
  });
});

Deno.test("run again with the task's directory gone: said, with the way out", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId, taskDir } = await taskNew(ctx, project);
    await taskRun(ctx, project, taskId, {});
    podman.containers.get(`proj-cli-${taskId}`)!.state = "exited";
    await Deno.remove(taskDir, { recursive: true });
    // Was "podman not found; please install podman": podman's cwd is that directory.
    await assertRejects(
      () => taskRun(ctx, project, taskId, {}),
      ContreeError,
      `Task ${taskId}'s directory ${taskDir} is gone (its workspace with it); delete the task ` +
        `with: contree task delete proj ${taskId}`,
    );
  });
});

Deno.test("run: --command with --mode cli is bad input (exit 2) also for an existing task", async () => {
  await withBench(async (bench) => {
    const { ctx, project } = bench;
    const { taskId } = await taskNew(ctx, project);
    await assertRejects(
      () => taskRun(ctx, project, taskId, { mode: "cli", command: "x" }),
      UsageError,
      "--command applies to --mode run only",
    );
  });
});

Deno.test("run again: a container removed behind our back is made again with the task's --command", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId } = await taskNew(ctx, project);
    await taskRun(ctx, project, taskId, { mode: "run", command: "echo custom" });
    podman.containers.delete(`proj-run-${taskId}`);
    await taskRun(ctx, project, taskId, {});
    assertEquals(podman.argvOf("run").map((argv) => argv.slice(-3)), [
      ["/bin/sh", "-c", "echo custom"],
      ["/bin/sh", "-c", "echo custom"],
    ]);
  });
});

Deno.test("stop: timeout from the project, overridable; errors for every bad state", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    await assertRejects(() => taskStop(ctx, project, "g0000"), ContreeError, "Unknown task g0000");
    const { taskId } = await taskNew(ctx, project, { name: "s" });
    await assertRejects(
      () => taskStop(ctx, project, taskId),
      ContreeError,
      `Task ${taskId} has never been run (no mode set)`,
    );
    await taskRun(ctx, project, taskId, {});
    const name = `proj-cli-${taskId}`;
    assertEquals(await taskStop(ctx, project, taskId), {
      container: name,
      name: "s",
      deleting: false,
    });
    const stop = podman.calls.find((c) => c.args[0] === "stop")!;
    assertEquals(stop.args, ["stop", "--time", "10", name]);
    assertEquals(stop.options?.timeoutMs, 85_000);
    await assertRejects(
      () => taskStop(ctx, project, taskId),
      ContreeError,
      `Task ${taskId} container is not stoppable (state: exited)`,
    );
    podman.containers.get(name)!.state = "running";
    await taskStop(ctx, { ...project, shutdownTimeout: 3 }, taskId);
    // Paused by hand: unpaused first, as podman refuses to stop it.
    podman.containers.get(name)!.state = "paused";
    await taskStop(ctx, { ...project, shutdownTimeout: 3 }, taskId, 0);
    assertEquals(podman.argvOf("unpause"), [["unpause", name]]);
    // A stop cut short (Ctrl-C killed podman) leaves the container `stopping`: stopped again.
    podman.containers.get(name)!.state = "stopping";
    await taskStop(ctx, project, taskId, 1);
    assertEquals(podman.containers.get(name)!.state, "exited");
    assertEquals(podman.argvOf("stop").map((a) => a[2]), ["10", "3", "0", "1"]);
    // A delete that did not finish: the stop says so (its hint is then the delete, not a run).
    await updateTaskMeta(metaDir(bench.roots, project.name), taskId, { deleting: true });
    podman.containers.get(name)!.state = "running";
    assertEquals((await taskStop(ctx, project, taskId)).deleting, true);
    await updateTaskMeta(metaDir(bench.roots, project.name), taskId, { deleting: false });
    podman.containers.get(name)!.state = "running";
    podman.override((args) =>
      args[0] === "stop" ? { code: 125, stdout: "", stderr: "Error: boom\n" } : undefined
    );
    await assertRejects(
      () => taskStop(ctx, project, taskId),
      ContreeError,
      "Failed to stop container: podman stop failed (exit 125): boom",
    );
    podman.containers.delete(name);
    await assertRejects(
      () => taskStop(ctx, project, taskId),
      ContreeError,
      `Task ${taskId} container does not exist`,
    );
  });
});

Deno.test("stop and login with podman missing say so (was: the container does not exist)", async () => {
  await withBench(async ({ ctx, project, podman }) => {
    const { taskId } = await taskNew(ctx, project);
    await taskRun(ctx, project, taskId, {});
    podman.override(() => new PodmanNotFound("podman"));
    for (
      const act of [() => taskStop(ctx, project, taskId), () => loginCommand(ctx, project, taskId)]
    ) {
      await assertRejects(act, PodmanNotFound, "podman not found");
    }
  });
});

Deno.test("a stop cut short (stopping): login and run point to task stop, run starts nothing", async () => {
  await withBench(async ({ ctx, project, podman }) => {
    const { taskId } = await taskNew(ctx, project);
    await taskRun(ctx, project, taskId, {});
    const name = `proj-cli-${taskId}`;
    podman.containers.get(name)!.state = "stopping";
    const hint = `a stop was cut short; end it with: contree task stop proj ${taskId}`;
    const login = await assertRejects(() => loginCommand(ctx, project, taskId), ContreeError);
    assertEquals(login.message, `Container ${name} is not running (state: stopping: ${hint})`);
    const run = await assertRejects(() => taskRun(ctx, project, taskId, {}), ContreeError);
    assertEquals(run.message, `Task ${taskId}'s container ${name} is stopping (${hint})`);
    assertEquals(podman.argvOf("start"), []);
    // What the hint says works.
    await taskStop(ctx, project, taskId);
    assertEquals((await taskRun(ctx, project, taskId, {})).restarted, true);
  });
});

Deno.test("login: tmux, else bash, else the shell; errors before that", async () => {
  await withBench(async ({ ctx, project, podman }) => {
    const { taskId } = await taskNew(ctx, project);
    const name = `proj-cli-${taskId}`;
    await assertRejects(
      () => loginCommand(ctx, project, taskId),
      ContreeError,
      "has never been run",
    );
    await assertRejects(() => loginCommand(ctx, project, "g0000"), ContreeError, "Unknown task");
    podman.binaries = ["sh", "bash", "tmux"];
    await taskRun(ctx, project, taskId, {});
    assertEquals(await loginCommand(ctx, project, taskId), [
      "exec",
      "-it",
      name,
      "tmux",
      "new-session",
      "-A",
      "-s",
      "main",
    ]);
    const container = podman.containers.get(name)!;
    container.binaries.delete("tmux");
    assertEquals(await loginCommand(ctx, project, taskId), ["exec", "-it", name, "bash"]);
    container.binaries.delete("bash");
    assertEquals(await loginCommand(ctx, project, taskId), ["exec", "-it", name, "/bin/sh"]);
    assertEquals(
      await loginCommand(ctx, { ...project, shell: "/bin/ash" }, taskId),
      ["exec", "-it", name, "/bin/ash"],
    );
    // Paused by hand: `task run` would refuse it (it runs), so the hint is podman's.
    container.state = "paused";
    await assertRejects(
      () => loginCommand(ctx, project, taskId),
      ContreeError,
      `Container ${name} is paused: resume it with 'podman unpause ${name}'`,
    );
    await assertRejects(() => taskRun(ctx, project, taskId, {}), ContreeError, "podman unpause");
    container.state = "exited";
    await assertRejects(
      () => loginCommand(ctx, project, taskId),
      ContreeError,
      `Container ${name} is not running (state: exited). Run 'contree task run proj ${taskId}' first.`,
    );
    podman.containers.delete(name);
    await assertRejects(
      () => loginCommand(ctx, project, taskId),
      ContreeError,
      `Container ${name} does not exist.`,
    );
  });
});

Deno.test("logs: stdout and stderr captured to logs/container.log; last capture kept", async () => {
  await withBench(async ({ ctx, project, podman }) => {
    const { taskId, taskDir } = await taskNew(ctx, project);
    await assertRejects(() => taskLogs(ctx, project, taskId), ContreeError, "has never been run");
    await taskRun(ctx, project, taskId, {});
    const name = `proj-cli-${taskId}`;
    podman.containers.get(name)!.logs.push(
      { stream: "stdout", line: "out" },
      { stream: "stderr", line: "err" },
    );
    const live = await taskLogs(ctx, project, taskId);
    assertEquals(live, { path: `${taskDir}/logs/container.log`, container: name, live: true });
    const text = await Deno.readTextFile(live.path);
    assertEquals(text.split("\n").map((l) => l.replace(/^\S+ /, "")), ["out", "err", ""]);
    assertEquals(podman.calls.at(-1)?.args, ["logs", "--timestamps", name]);
    assertEquals(podman.calls.at(-1)?.options?.timeoutMs, 60_000);
    // A failing capture leaves the previous snapshot alone.
    podman.override((args) =>
      args[0] === "logs" ? { code: 125, stdout: "", stderr: "Error: storage broken\n" } : undefined
    );
    await assertRejects(
      () => captureTaskLogs(ctx, project, taskId, "cli", taskDir),
      ContreeError,
      `Cannot capture logs of ${name}: podman logs failed (exit 125): storage broken`,
    );
    assertEquals(await Deno.readTextFile(live.path), text);
    assertEquals([...Deno.readDirSync(`${taskDir}/logs`)].map((e) => e.name), ["container.log"]);
    // Container gone: the last capture is what there is.
    podman.containers.delete(name);
    assertEquals((await taskLogs(ctx, project, taskId)).live, false);
    await Deno.remove(live.path);
    await assertRejects(
      () => taskLogs(ctx, project, taskId),
      ContreeError,
      "does not exist and no logs were captured",
    );
  });
});

Deno.test("wait: the real exit code (124 too) is recorded; timeouts and failures are not", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId } = await taskNew(ctx, project);
    await assertRejects(() => taskWait(ctx, project, taskId), ContreeError, "has never been run");
    await taskRun(ctx, project, taskId, { mode: "run" });
    const name = `proj-run-${taskId}`;
    const container = podman.containers.get(name)!;
    container.state = "exited";
    container.exitCode = 124;
    assertEquals(await taskWait(ctx, project, taskId, 5), {
      exitCode: 124,
      container: name,
      restarted: false,
    });
    assertEquals(podman.calls.findLast((c) => c.args[0] === "wait")?.options?.timeoutMs, 5000);
    assertEquals((await meta(bench, taskId))?.exit_code, 124);
    assertEquals((await getTask(ctx, project, taskId)).status, "failed");

    await taskRun(ctx, project, taskId, {});
    assertEquals((await meta(bench, taskId))?.exit_code, null);
    podman.override((args) => args[0] === "wait" ? new PodmanTimeout(args, 5000) : undefined);
    const timeout = await assertRejects(() => taskWait(ctx, project, taskId, 5), WaitTimeout);
    assertEquals(
      timeout.message,
      `Timed out after 5s waiting for task ${taskId} (container ${name}); no exit code recorded`,
    );
    assertEquals((await meta(bench, taskId))?.exit_code, null);

    podman.override((args) =>
      args[0] === "wait"
        ? {
          code: 125,
          stdout: "",
          stderr: `Error: no container with name or ID "${name}" found: no such container`,
        }
        : undefined
    );
    await assertRejects(() => taskWait(ctx, project, taskId), ContreeError, "no such container");
    podman.override((args) =>
      args[0] === "wait" ? { code: 0, stdout: "oops\n", stderr: "" } : undefined
    );
    await assertRejects(() => taskWait(ctx, project, taskId), ContreeError, "printed no exit code");
    assertEquals((await meta(bench, taskId))?.exit_code, null);
    // A container whose command could not start stays `created`; podman wait says 0 at once.
    podman.override((args) =>
      args[0] === "wait" ? { code: 0, stdout: "0\n", stderr: "" } : undefined
    );
    container.state = "created";
    await assertRejects(() => taskWait(ctx, project, taskId), ContreeError, "never started");
    assertEquals((await meta(bench, taskId))?.exit_code, null);
    assertEquals((await getTask(ctx, project, taskId)).status === "completed", false);
  });
});

Deno.test("wait: a run started while the waiter was on its way is not given the old exit code", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId } = await taskNew(ctx, project);
    await taskRun(ctx, project, taskId, { mode: "run" });
    const name = `proj-run-${taskId}`;
    // Each start of the container is a run of its own, as podman's State.StartedAt says.
    let starts = 1;
    podman.override((args) => {
      if (args[0] === "start") starts++;
      return args[0] === "inspect" && args.includes("{{.Id}} {{.State.StartedAt}}")
        ? { code: 0, stdout: `${"f".repeat(64)} start-${starts}\n`, stderr: "" }
        : undefined;
    });
    // The waiter's `podman wait` has answered, but the waiter goes on only once let.
    const answered = Promise.withResolvers<void>();
    const go = Promise.withResolvers<void>();
    const waiter: TaskContext = {
      ...ctx,
      podman: {
        spawn: (args, options) => podman.spawn(args, options),
        interactive: (args) => podman.interactive(args),
        run: async (args, options) => {
          const result = await podman.run(args, options);
          if (args[0] === "wait") {
            answered.resolve();
            await go.promise;
          }
          return result;
        },
      },
    };
    const container = podman.containers.get(name)!;
    container.state = "exited";
    container.exitCode = 3;
    const waiting = taskWait(waiter, project, taskId);
    await answered.promise;
    const again = await taskRun(ctx, project, taskId, {});
    assertEquals([again.restarted, again.state], [true, "running"]);
    go.resolve();
    const waited = await waiting;
    assertEquals((await meta(bench, taskId))?.exit_code, null);
    assertEquals(waited, { exitCode: 3, container: name, restarted: true });
    assertEquals((await getTask(ctx, project, taskId)).status, "running");

    // No start in between: the code is recorded.
    container.state = "exited";
    assertEquals((await taskWait(ctx, project, taskId)).restarted, false);
    assertEquals((await meta(bench, taskId))?.exit_code, 3);
  });
});

Deno.test("list: live states from one query, filters, and a failed query is an error", async () => {
  await withBench(async ({ ctx, project, podman, logs }) => {
    assertEquals(await listTasks(ctx, project), []);
    const a = await taskNew(ctx, project, { name: "a" });
    const b = await taskNew(ctx, project, { name: "b" });
    const c = await taskNew(ctx, project, { name: "c" });
    await taskRun(ctx, project, a.taskId, {});
    await taskRun(ctx, project, b.taskId, { mode: "run" });
    podman.containers.get(`proj-run-${b.taskId}`)!.state = "exited";
    const before = podman.argvOf("ps").length;
    const all = await listTasks(ctx, project);
    assertEquals(podman.argvOf("ps").length, before + 1);
    const status = Object.fromEntries(all.map((t) => [t.name, t.status]));
    assertEquals(status, { a: "running", b: "stopped", c: "created" });
    assertEquals(all.map((t) => t.taskId), [a.taskId, b.taskId, c.taskId].sort());
    assertEquals((await listTasks(ctx, project, { status: "running" })).map((t) => t.name), ["a"]);
    assertEquals((await listTasks(ctx, project, { mode: "run" })).map((t) => t.name), ["b"]);
    assertEquals(await listTasks(ctx, project, { mode: "run", status: "running" }), []);

    await Deno.writeTextFile(`${metaDir(ctx.roots, "proj")}/${c.taskId}_meta.yml`, "{broken");
    assertEquals((await listTasks(ctx, project)).length, 2);
    assert(logs.text().includes(`Skipping malformed task metadata file for ${c.taskId}`));

    podman.override((args) =>
      args[0] === "ps" ? { code: 125, stdout: "", stderr: "Error: storage locked\n" } : undefined
    );
    await assertRejects(
      () => listTasks(ctx, project),
      ContreeError,
      "Container runtime unavailable — cannot query container states",
    );
    podman.override((args) => args[0] === "ps" ? new PodmanNotFound("podman") : undefined);
    await assertRejects(() => listTasks(ctx, project), ContreeError, "podman not found");
  });
});

Deno.test("status: work status from agent-config/work-status.yml", async () => {
  await withBench(async ({ ctx, project, podman }) => {
    const { taskId, taskDir } = await taskNew(ctx, project);
    const file = `${taskDir}/agent-config/work-status.yml`;
    await Deno.mkdir(`${taskDir}/agent-config`);
    const cases: [string, [string | null, string | null]][] = [
      ["status: coding\nmessage: half way\n", ["coding", "half way"]],
      ["testing\n", ["testing", null]],
      ["status: yak-shaving\n", ["yak-shaving", null]],
      ["", [null, null]],
      ["42\n", [null, null]],
      ["- a\n", [null, null]],
      ["status: 3\n", [null, null]],
      ["status: x\nmessage: [1]\n", [null, null]],
      ["{broken", [null, null]],
    ];
    for (const [text, expected] of cases) {
      await Deno.writeTextFile(file, text);
      const view = await getTask(ctx, project, taskId);
      assertEquals([view.workStatus, view.workMessage], expected, text);
    }
    assertEquals(podman.calls, [], "a task without a mode is never probed");
  });
});

Deno.test("status: the task writes work-status.yml, so only a small regular file is read, shown inert", async () => {
  await withBench(async ({ ctx, project, dir }) => {
    const { taskId, taskDir } = await taskNew(ctx, project);
    const file = `${taskDir}/agent-config/work-status.yml`;
    await Deno.mkdir(`${taskDir}/agent-config`);
    const status = async () => {
      const view = await getTask(ctx, project, taskId);
      return [view.workStatus, view.workMessage];
    };
    // Escapes would retitle, clear or recolour the user's terminal: shown, not obeyed.
    await Deno.writeTextFile(
      file,
      'status: "coding\\e]0;PWNED\\a\\e[31mRED"\nmessage: "hi\\e[2J"\n',
    );
    assertEquals(await status(), ["coding\\x1b]0;PWNED\\x07\\x1b[31mRED", "hi\\x1b[2J"]);
    // Nor can a line break or a tab forge a row of `task list` or a line of `task status`.
    await Deno.writeTextFile(
      file,
      'status: "coding]\\n- h9999: prod 🟢 running [mode=cli"\nmessage: "ok\\n  Exit code:\\t0"\n',
    );
    assertEquals(await status(), [
      "coding]\\x0a- h9999: prod 🟢 running [mode=cli",
      "ok\\x0a  Exit code:\\x090",
    ]);
    // A symlink is not followed: not to a secret of the host, not to an endless device.
    const secret = `${dir}/token`;
    await Deno.writeTextFile(secret, "status: s3cret-token\n");
    for (const target of [secret, "/dev/zero"]) {
      await Deno.remove(file);
      await Deno.symlink(target, file);
      assertEquals(await status(), [null, null], target);
    }
    // A FIFO is not opened (the open would block until a writer came).
    await Deno.remove(file);
    const fifo = await new Deno.Command("mkfifo", { args: [file] }).output();
    assert(fifo.success);
    assertEquals(await status(), [null, null]);
    // A huge file is not read.
    await Deno.remove(file);
    await Deno.writeTextFile(file, `status: ${"x".repeat(70 * 1024)}\n`);
    assertEquals(await status(), [null, null]);
  });
});

Deno.test("logs: a delete while the logs are read leaves no logs directory behind", async () => {
  await withBench(async ({ ctx, project, podman, roots }) => {
    const { taskId, taskDir } = await taskNew(ctx, project);
    await taskRun(ctx, project, taskId, {});
    const name = `proj-cli-${taskId}`;
    // `task delete` runs between the probe and the capture (it holds the lock; logs does not).
    podman.override((args) => {
      if (args[0] !== "logs") return undefined;
      podman.containers.delete(name);
      Deno.removeSync(taskDir, { recursive: true });
      for (const file of Deno.readDirSync(metaDir(roots, project.name))) {
        if (file.name.startsWith(taskId)) {
          Deno.removeSync(`${metaDir(roots, project.name)}/${file.name}`);
        }
      }
      return { code: 125, stdout: "", stderr: `Error: no container with name or ID "${name}"\n` };
    });
    await assertRejects(
      () => taskLogs(ctx, project, taskId),
      ContreeError,
      `Task ${taskId} was deleted while its logs were read`,
    );
    await Deno.stat(taskDir).then(
      () => assert(false, "the task directory came back (logs/ made by the capture)"),
      (error) => assert(error instanceof Deno.errors.NotFound),
    );
  });
});

Deno.test("delete: archive with metadata and logs, containers, workspace and metadata gone", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId, taskDir } = await taskNew(ctx, project, { name: "done" });
    await taskRun(ctx, project, taskId, {});
    podman.containers.get(`proj-cli-${taskId}`)!.logs.push({ stream: "stdout", line: "hello" });
    const before = await meta(bench, taskId);
    const result = await taskDelete(ctx, project, taskId);
    assertEquals(result.warnings, []);
    const archive = result.archive!;
    assertEquals(
      archive,
      `${bench.roots.stateRoot}/archive/proj/tasks/20260608T200000000000Z_${taskId}_done`,
    );
    assertEquals(JSON.parse(await Deno.readTextFile(`${archive}/task.json`)), before);
    assert((await Deno.readTextFile(`${archive}/logs/container.log`)).includes("hello"));
    assertEquals(podman.argvOf("rm"), [
      ["rm", "-f", "--time", "10", `proj-cli-${taskId}`],
      ["rm", "-f", "--time", "10", `proj-run-${taskId}`],
    ]);
    assertEquals(podman.containers.size, 0);
    assertEquals(await exists(taskDir), false);
    assertEquals(await meta(bench, taskId), null);
    assertEquals(await listTaskIds(metaDir(bench.roots, "proj")), new Set());
  });
});

Deno.test("delete: a never-run task is archived without logs and still swept", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId } = await taskNew(ctx, project, { name: "idle" });
    const result = await taskDelete(ctx, project, taskId);
    assertEquals(result.warnings, []);
    assertEquals(podman.argvOf("logs"), []);
    assertEquals(podman.argvOf("rm").length, 2);
    assertEquals(await exists(`${result.archive}/logs`), false);
    assert(await exists(`${result.archive}/task.json`));
    // Unknown (or deleted meanwhile): an error, nothing swept.
    const calls = podman.calls.length;
    await assertRejects(
      () => taskDelete(ctx, project, "g0000"),
      ContreeError,
      "Unknown task g0000",
    );
    assertEquals(podman.calls.length, calls);
  });
});

Deno.test("delete: three at once archive the task once; for the others it is an unknown task", async () => {
  await withBench(async (bench) => {
    const { ctx, project } = bench;
    const { taskId } = await taskNew(ctx, project, { name: "raced" });
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => taskDelete(ctx, project, taskId)),
    );
    // One deletes it; for the others it is gone, as for a later delete.
    const done = results.filter((r) => r.status === "fulfilled");
    assertEquals(done.map((r) => r.value.archive !== undefined), [true]);
    const gone = results.filter((r) => r.status === "rejected").map((r) => r.reason.message);
    assertEquals(gone, [`Unknown task ${taskId}`, `Unknown task ${taskId}`]);
    const archived = [...Deno.readDirSync(`${bench.roots.stateRoot}/archive/proj/tasks`)];
    assertEquals(archived.length, 1);
  });
});

Deno.test("delete: every failed step is a warning and the delete still completes", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId, taskDir } = await taskNew(ctx, project, { name: "stuck" });
    await taskRun(ctx, project, taskId, {});
    const cli = `proj-cli-${taskId}`;
    podman.override((args) => {
      if (args[0] === "logs") return { code: 125, stdout: "", stderr: "Error: log driver broke\n" };
      if (args[0] === "rm" && args.at(-1) === cli) {
        return { code: 125, stdout: "", stderr: "Error: container is in use\n" };
      }
      return undefined;
    });
    const failing = new Set([taskDir, `${metaDir(bench.roots, "proj")}/${taskId}_meta.yml`]);
    ctx.remove = (path, options) =>
      failing.has(path)
        ? Promise.reject(new Deno.errors.PermissionDenied(`cannot remove ${path}`))
        : Deno.remove(path, options);
    const result = await taskDelete(ctx, project, taskId);
    const w = result.warnings;
    assertEquals(w.length, 5, w.join("\n"));
    assertMatch(w[0], /^Log capture failed: Cannot capture logs of .*log driver broke/);
    assertEquals(w[1], `Container ${cli}: podman rm failed (exit 125): container is in use`);
    assertEquals(
      w[2],
      `Containers may still be running — remove them by hand: podman rm -f ${cli}`,
    );
    assert(!w.some((line) => line.includes(`proj-run-${taskId}:`)), "removed ones not mentioned");
    assertMatch(w[3], /^Workspace removal failed: cannot remove /);
    assertMatch(w[4], /^Metadata removal failed for .*_meta\.yml: cannot remove/);
    assert(result.archive !== undefined, "the archive is still written");
    // What is left says the delete did not finish.
    assertEquals((await meta(bench, taskId))?.deleting, true);
    assertEquals((await getTask(ctx, project, taskId)).status, "deleting");
    // The dossier went; the task is gone for listing purposes only if both are.
    assertEquals(await exists(`${metaDir(bench.roots, "proj")}/${taskId}_dossier.json`), false);
  });
});

Deno.test("delete: Ctrl-C is not a failed step: it stops, the task stays for another delete", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId, taskDir } = await taskNew(ctx, project, { name: "interrupted" });
    await taskRun(ctx, project, taskId, { mode: "run" });
    let interrupt = true;
    podman.override((args) => args[0] === "rm" && interrupt ? new Interrupted() : undefined);
    // Was: a warning, "Deleted", exit 0, and the metadata that finds the container gone.
    await assertRejects(() => taskDelete(ctx, project, taskId), Interrupted);
    assertEquals((await meta(bench, taskId))?.deleting, true);
    assert(await exists(taskDir), "the workspace is kept");
    assertEquals((await getTask(ctx, project, taskId)).status, "deleting");
    // Not runnable meanwhile: its archive is written, a run would be lost with it.
    await assertRejects(
      () => taskRun(ctx, project, taskId, {}),
      ContreeError,
      `finish it with: contree task delete proj ${taskId}`,
    );
    interrupt = false;
    const again = await taskDelete(ctx, project, taskId);
    assertEquals(again.warnings, []);
    assertEquals(await meta(bench, taskId), null);
  });
});

Deno.test("delete: podman missing and an unwritable archive are warnings too", async () => {
  await withBench(async (bench) => {
    const { ctx, project, podman } = bench;
    const { taskId, taskDir } = await taskNew(ctx, project);
    await taskRun(ctx, project, taskId, {});
    // The archive root is a file: the entry cannot be created.
    await Deno.mkdir(`${bench.roots.stateRoot}/archive/proj`, { recursive: true });
    await Deno.writeTextFile(`${bench.roots.stateRoot}/archive/proj/tasks`, "");
    podman.override(() => new PodmanNotFound("podman"));
    const result = await taskDelete(ctx, project, taskId);
    assertEquals(result.archive, undefined);
    assertMatch(result.warnings[0], /^Archive failed: /);
    assertMatch(result.warnings[1], /^Container proj-cli-.*: podman not found/);
    assertMatch(result.warnings[2], /^Container proj-run-.*: podman not found/);
    assertMatch(result.warnings[3], /^Containers may still be running/);
    assertEquals(result.warnings.length, 4);
    assertEquals(await exists(taskDir), false);
    assertEquals(await meta(bench, taskId), null);
  });
});
