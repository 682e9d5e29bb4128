// The whole task lifecycle through the real CLI and real podman (busybox image, the repo's
// containers.conf). Each test uses its own project name and removes its containers.

import { assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { runCli, spawnCli } from "../support/cli.ts";
import { ensureBusyboxImage, podmanEnv, podmanTest, testPodman } from "../support/podman.ts";

const podman = (args: string[]) => testPodman.run(args);

interface Bench {
  project: string;
  env: Record<string, string>;
  dir: string;
  cli(args: string[]): ReturnType<typeof runCli>;
}

/** A temp config and state root and a fresh project on the busybox image. */
async function withProject(fn: (bench: Bench) => Promise<void>, extra: string[] = []) {
  const image = await ensureBusyboxImage();
  const dir = await Deno.makeTempDir({ prefix: "contree-task-it-" });
  const project = `it-${crypto.randomUUID().slice(0, 8)}`;
  const env = {
    CONTREE_HOME: `${dir}/home`,
    CONTREE_TASKS_ROOT: `${dir}/state`,
    ...podmanEnv(),
  };
  const bench: Bench = { project, env, dir, cli: (args) => runCli(args, { env }) };
  try {
    const created = await bench.cli(["project", "new", project, "--image", image, ...extra]);
    assertEquals(created.code, 0, created.stderr);
    await fn(bench);
  } finally {
    const listed = await podman(["ps", "-aq", "--filter", `label=contree.project=${project}`]);
    const ids = listed.stdout.split("\n").filter(Boolean);
    if (ids.length > 0) await podman(["rm", "-f", "--time", "0", ...ids]);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** A new task of `bench`'s project running `command` in run mode; its ID. */
async function runModeTask(bench: Bench, name: string, command: string): Promise<string> {
  const run = await bench.cli([
    ..."-f json task run".split(" "),
    bench.project,
    ..."--mode run --name".split(" "),
    name,
    "--command",
    command,
  ]);
  assertEquals(run.code, 0, run.stderr);
  return JSON.parse(run.stdout).id;
}

async function status(bench: Bench, id: string): Promise<Record<string, unknown>> {
  const result = await bench.cli(["-f", "json", "task", "status", bench.project, id]);
  assertEquals(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

podmanTest("lifecycle: new → run → running → logs → stop → stopped → wait → delete", async () => {
  await withProject(async (bench) => {
    const { project } = bench;
    const created = await bench.cli(["task", "new", project, "--name", "e2e"]);
    assertEquals(created.code, 0, created.stderr);
    const id = created.stdout.split(" ")[2];
    const container = `${project}-cli-${id}`;

    const started = await bench.cli(["task", "run", project, id]);
    assertEquals(started.code, 0, started.stderr);
    assertEquals(started.stdout, `Started task ${id} (e2e) in mode cli: container ${container}\n`);
    const running = await status(bench, id);
    assertEquals([running.status, running.container_state, running.mode], [
      "running",
      "running",
      "cli",
    ]);
    // Both times in one format (ready_at was left as stored: milliseconds).
    const pythonTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/;
    assertMatch(String(running.ready_at), pythonTime);
    assertMatch(String(running.created_at), pythonTime);

    const list = await bench.cli(["task", "list", project, "--no-emoji"]);
    assertEquals(list.stdout, `- ${id}: e2e running [mode=cli]\n`);

    const logs = await bench.cli(["task", "logs", project, id]);
    assertEquals([logs.code, logs.stdout], [0, "contree: task container ready\n"]);
    const captured = `${bench.dir}/state/sandbox-live/tasks/${project}/${id}/logs/container.log`;
    assertMatch(
      await Deno.readTextFile(captured),
      /^\d{4}-\d\d-\d\dT\S+ contree: task container ready\n$/,
    );

    // busybox has neither tmux nor bash: the login falls back to the shell.
    const login = await bench.cli(["task", "login", project, id, "--print"]);
    assertEquals(login.stdout, `podman exec -it ${container} /bin/sh\n`);

    const stopped = await bench.cli(["task", "stop", project, id]);
    assertEquals([stopped.code, stopped.stdout], [0, `Stopped task ${id}: e2e\n`]);
    const after = await status(bench, id);
    assertEquals([after.status, after.container_state, after.exit_code], [
      "stopped",
      "exited",
      null,
    ]);
    // Following a stopped container prints what it wrote and ends.
    const followed = await bench.cli(["task", "logs", project, id, "-f", "--tail", "1"]);
    assertEquals([followed.code, followed.stdout], [0, "contree: task container ready\n"]);

    const waited = await bench.cli(["task", "wait", project, id]);
    assertEquals([waited.code, waited.stdout], [0, `Task ${id} exited with code 0\n`]);
    assertEquals((await status(bench, id)).status, "completed");

    const deleted = await bench.cli(["task", "delete", project, id]);
    assertEquals(deleted.code, 0, deleted.stderr);
    assertEquals(deleted.stderr, "");
    const archive = deleted.stdout.match(/Archive: (.*)\n$/)?.[1] ?? "";
    assertStringIncludes(archive, `${bench.dir}/state/archive/${project}/tasks/`);
    const archived = JSON.parse(await Deno.readTextFile(`${archive}/task.json`));
    assertEquals([archived.task_id, archived.name, archived.exit_code], [id, "e2e", 0]);
    assertStringIncludes(
      await Deno.readTextFile(`${archive}/logs/container.log`),
      "contree: task container ready",
    );
    assertEquals((await podman(["container", "exists", container])).code, 1);
    const gone = await bench.cli(["task", "list", project]);
    assertEquals([gone.code, gone.stdout], [0, ""]);
  });
});

podmanTest(
  "run mode: exit 124 is the container's code; a watcher timeout records nothing",
  async () => {
    await withProject(async (bench) => {
      const { project } = bench;
      const id = await runModeTask(bench, "times-out", "echo out; echo err >&2; exit 124");
      const waited = await bench.cli(["task", "wait", project, id]);
      assertEquals([waited.code, waited.stdout], [124, `Task ${id} exited with code 124\n`]);
      const recorded = await status(bench, id);
      assertEquals([recorded.exit_code, recorded.status], [124, "failed"]);
      const logs = await bench.cli(["task", "logs", project, id]);
      assertEquals(logs.stdout, "out\nerr\n");

      // conmon logs what it read at once: a line cut by a read is several records, each with
      // its timestamp. The log shows the lines whole, exactly as the container wrote them.
      const line = "abcdefghijklmnopqrstuvwxyz0123456789\n";
      const manyId = await runModeTask(
        bench,
        "long-lines",
        `yes ${line.trim()} | head -c 3000000; head -c 300000 /dev/zero | tr '\\0' x; echo; echo last`,
      );
      assertEquals((await bench.cli(["task", "wait", project, manyId])).code, 0);
      const expected = line.repeat(Math.ceil(3_000_000 / line.length)).slice(0, 3_000_000) +
        "x".repeat(300_000) + "\nlast\n";
      const whole = await bench.cli(["task", "logs", project, manyId]);
      assertEquals(whole.code, 0, whole.stderr);
      assertEquals(whole.stdout.length, expected.length);
      assertEquals(whole.stdout === expected, true, "the log is what the container wrote");
      const tail = await bench.cli(["task", "logs", project, manyId, "--tail", "2"]);
      assertEquals(
        tail.stdout,
        expected.slice(expected.lastIndexOf("\n", expected.length - 7) + 1),
      );
      const stamped = await bench.cli(["task", "logs", project, manyId, "-t", "--tail", "1"]);
      assertMatch(stamped.stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z last\n$/);
      assertEquals((await bench.cli(["task", "delete", project, manyId])).code, 0);

      // A container that keeps running outlives a 1 s watcher: exit 1, nothing recorded.
      const idle = await bench.cli(["-f", "json", "task", "run", project, "--name", "idle"]);
      const idleId = JSON.parse(idle.stdout).id;
      const timeout = await bench.cli(["task", "wait", project, idleId, "--timeout", "1"]);
      assertEquals(timeout.code, 1);
      assertStringIncludes(timeout.stderr, `Timed out after 1s waiting for task ${idleId}`);
      assertEquals((await status(bench, idleId)).exit_code, null);

      for (const each of [id, idleId]) {
        const deleted = await bench.cli(["task", "delete", project, each]);
        assertEquals([deleted.code, deleted.stderr], [0, ""]);
      }
      const left = await podman(["ps", "-aq", "--filter", `label=contree.project=${project}`]);
      assertEquals(left.stdout, "");
    }, ["--shutdown-timeout", "2"]);
  },
);

podmanTest(
  "log capture: Ctrl-C stops task logs (130), SIGTERM stops task delete (143) at once",
  async () => {
    await withProject(async (bench) => {
      const { project } = bench;
      const id = await runModeTask(bench, "interrupted", "echo hi");
      assertEquals((await bench.cli(["task", "wait", project, id])).code, 0);
      // podman as it is, except that the container's k8s-file is a FIFO this test feeds: the
      // capture is under way for as long as the test wants, however fast it is.
      const fifo = `${bench.dir}/ctr.log`;
      assertEquals((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
      const wrapper = `${bench.dir}/podman`;
      await Deno.writeTextFile(
        wrapper,
        `#!/bin/sh\ncase "$*" in *LogConfig*) printf 'k8s-file\\t%s\\n' '${fifo}'; exit 0;; esac\n` +
          `exec podman "$@"\n`,
      );
      await Deno.chmod(wrapper, 0o755);
      const env = { ...bench.env, CONTREE_PODMAN: wrapper };
      const taskDir = `${bench.dir}/state/sandbox-live/tasks/${project}/${id}`;

      const interrupted = async (args: string[], signal: Deno.Signal) => {
        const child = spawnCli(args, { env });
        const output = child.output();
        // Opening the FIFO's other end waits for the capture to open it.
        const feed = await Deno.open(fifo, { write: true });
        child.kill(signal);
        // Records until the capture stops reading (64 MiB: a capture that goes on ends too).
        const records = new TextEncoder().encode(
          `2026-12-02T00:57:00.000000001+00:00 stdout F ${"x".repeat(1000)}\n`.repeat(64),
        );
        try {
          for (let sent = 0; sent < 64 << 20; sent += records.length) await feed.write(records);
        } catch (error) {
          if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
        } finally {
          feed.close();
        }
        const { code, stdout, stderr } = await output;
        const decoder = new TextDecoder();
        return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
      };

      const logs = await interrupted(["task", "logs", project, id], "SIGINT");
      assertEquals([logs.code, logs.stderr], [130, "[ERROR] User interrupted\n"]);
      assertEquals(logs.stdout.length, 0);
      // The capture was stopped: no snapshot was made.
      assertEquals(await Deno.stat(`${taskDir}/logs/container.log`).catch(() => null), null);

      const deleted = await interrupted(["task", "delete", project, id], "SIGTERM");
      assertEquals([deleted.code, deleted.stderr], [143, "[ERROR] Terminated\n"]);
      assertEquals(deleted.stdout.length, 0);
      // Stopped at the capture: no archive, the container and the task there for another delete.
      assertEquals((await status(bench, id)).status, "deleting");
      assertEquals((await bench.cli(["task", "archive", "list", project])).stdout, "");
      const again = await bench.cli(["task", "delete", project, id]);
      assertEquals([again.code, again.stderr], [0, ""]);
      assertStringIncludes(
        await Deno.readTextFile(
          `${again.stdout.match(/Archive: (.*)\n$/)?.[1]}/logs/container.log`,
        ),
        " hi\n",
      );
    });
  },
);

podmanTest("run again: a container whose command never started is made anew", async () => {
  await withProject(async (bench) => {
    const { project } = bench;
    const file = `${bench.dir}/home/projects/${project}/project.yml`;
    const yml = await Deno.readTextFile(file);
    await Deno.writeTextFile(file, `${yml}  command: ["/nonexistent-bin", "x"]\n`);
    const failed = await bench.cli(["-f", "json", "task", "run", project, "--mode", "run"]);
    assertEquals(failed.code, 1);
    assertStringIncludes(failed.stderr, "Cannot start task");
    const id = failed.stderr.match(/Created task (\w+)/)?.[1] ?? "";
    const container = `${project}-run-${id}`;
    const left = await podman(["inspect", "-f", "{{.State.Status}}", container]);
    assertEquals(left.stdout, "created\n");

    // The command fixed, the same task runs it: podman start alone would fail again.
    await Deno.writeTextFile(file, `${yml}  command: ["echo", "fixed"]\n`);
    const again = await bench.cli(["task", "run", project, id]);
    assertEquals([again.code, again.stdout], [
      0,
      `Started task ${id} (${
        (await status(bench, id)).name
      }) in mode run: container ${container}\n`,
    ]);
    assertEquals((await bench.cli(["task", "wait", project, id])).code, 0);
    assertEquals((await bench.cli(["task", "logs", project, id])).stdout, "fixed\n");

    // --command applies to it as to a new container.
    await podman(["rm", "-f", container]);
    await podman([
      "create",
      "--name",
      container,
      "--label",
      `contree.project=${project}`,
      "--label",
      `contree.task=${id}`,
      "localhost/contree-test-busybox:latest",
      "/nonexistent",
    ]);
    const command = await bench.cli(["task", "run", project, id, "--command", "echo other"]);
    assertEquals(command.code, 0, command.stderr);
    assertEquals((await bench.cli(["task", "wait", project, id])).code, 0);
    assertEquals((await bench.cli(["task", "logs", project, id])).stdout, "other\n");
  });
});
