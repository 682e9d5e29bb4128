// `contree task …`: per-project task containers on podman. Flags become options here; the work
// happens in src/tasks/ against an injected TaskContext.

import { Option } from "../deps.ts";
import { ContreeError, UsageError } from "../errors.ts";
import { findArchive, listArchives } from "../tasks/archive.ts";
import { type TaskContext, taskContextFrom } from "../tasks/context.ts";
import {
  type DisplayOptions,
  renderListLine,
  renderLog,
  renderStatusBlock,
} from "../tasks/display.ts";
import { resolveTaskId } from "../tasks/identity.ts";
import {
  DEFAULT_WAIT_TIMEOUT_SECONDS,
  loginCommand,
  taskDelete,
  taskLogs,
  taskNew,
  taskRename,
  taskRun,
  taskStop,
  taskWait,
} from "../tasks/lifecycle.ts";
import { metaDir } from "../tasks/paths.ts";
import { loadProject, type ProjectConfig } from "../tasks/project.ts";
import { getTask, listTasks, type TaskView } from "../tasks/query.ts";
import { type Mode, MODES, STATUSES } from "../tasks/state.ts";
import type { App } from "./app.ts";
import { nonNegativeInt, positiveInt } from "./project.ts";
import type { RootCommand, Runner } from "./program.ts";

interface Target {
  project: string;
  task?: string;
  /** Positional arguments after the project and task. */
  rest: string[];
}

function checkSlashPart(kind: string, part: string | undefined): string {
  if (!part || part === "." || part.startsWith("..")) {
    throw new UsageError(`Invalid slash-form ${kind}: '${part ?? ""}'`);
  }
  return part;
}

/** `<project> [task] …` or `<project>/<task> …`. */
export function parseTarget(args: (string | undefined)[]): Target {
  const [first, ...others] = args.filter((a): a is string => a !== undefined);
  if (first.includes("/")) {
    const parts = first.split("/");
    if (parts.length !== 2) {
      throw new UsageError(`Invalid slash-form task_id: '${parts.slice(1).join("/")}'`);
    }
    return {
      project: checkSlashPart("project_name", parts[0]),
      task: checkSlashPart("task_id", parts[1]),
      rest: others,
    };
  }
  return { project: first, task: others[0], rest: others.slice(1) };
}

interface Resolved {
  ctx: TaskContext;
  project: ProjectConfig;
  taskId: string;
}

function requireTask(target: Target, verb: string): string {
  if (target.task === undefined) {
    throw new UsageError(
      `Missing task ID — 'contree task ${verb}' needs <project> <task> or <project>/<task>`,
    );
  }
  return target.task;
}

async function openProject(app: App, name: string) {
  const ctx = taskContextFrom(app.ctx);
  return { ctx, project: await loadProject(ctx.roots, name, app.ctx.home) };
}

async function resolveTarget(app: App, target: Target, verb: string): Promise<Resolved> {
  const raw = requireTask(target, verb);
  const { ctx, project } = await openProject(app, target.project);
  const taskId = await resolveTaskId(metaDir(ctx.roots, project.name), project.name, raw);
  return { ctx, project, taskId };
}

function displayOptions(app: App, emoji: boolean): DisplayOptions {
  return { color: app.stdoutMode().color, emoji };
}

function human(app: App): boolean {
  return app.globals.format === "default";
}

async function say(app: App, line: string): Promise<void> {
  await app.ctx.stdout.write(line + "\n");
}

/** The flat row of a task for `-f json` and the other formats. */
function taskRow(task: TaskView): Record<string, unknown> {
  return {
    id: task.taskId,
    name: task.name,
    project: task.projectName,
    status: task.status,
    mode: task.mode,
    container: task.container,
    container_state: task.containerState,
    exit_code: task.exitCode,
    work_status: task.workStatus,
    work_message: task.workMessage,
    created_at: task.createdAt,
    ready_at: task.readyAt,
    workspace: task.workspace,
  };
}

async function cmdNew(app: App, projectName: string, options: { name?: string }) {
  const { ctx, project } = await openProject(app, projectName);
  const task = await taskNew(ctx, project, { name: options.name });
  if (human(app)) await say(app, `Created task ${task.taskId} (${task.name}) in ${task.taskDir}`);
  else {
    await app.output().write({
      id: task.taskId,
      name: task.name,
      project: project.name,
      task_dir: task.taskDir,
    });
  }
  return 0;
}

async function cmdRun(
  app: App,
  target: Target,
  options: { mode?: Mode; name?: string; command?: string },
) {
  if (target.rest.length > 0) throw new UsageError(`Unexpected argument '${target.rest[0]}'`);
  let ctx: TaskContext, project: ProjectConfig, taskId: string, name: string | undefined;
  if (target.task === undefined) {
    ({ ctx, project } = await openProject(app, target.project));
    if (options.command !== undefined && (options.mode ?? "cli") !== "run") {
      throw new UsageError("--command applies to --mode run only");
    }
    const created = await taskNew(ctx, project, { name: options.name });
    ({ taskId, name } = created);
    app.log.info(`Created task ${taskId} (${name}) in ${created.taskDir}`);
  } else {
    if (options.name !== undefined) {
      throw new UsageError("--name applies to a new task only (use `contree task rename`)");
    }
    ({ ctx, project, taskId } = await resolveTarget(app, target, "run"));
  }
  const result = await taskRun(ctx, project, taskId, {
    mode: options.mode,
    command: options.command,
  });
  const view = await getTask(ctx, project, taskId);
  if (human(app)) {
    await say(
      app,
      `${
        result.restarted ? "Restarted" : "Started"
      } task ${taskId} (${view.name}) in mode ${result.mode}: container ${result.container}`,
    );
    app.log.info(
      result.mode === "cli"
        ? `Log in with: contree task login ${project.name} ${taskId}`
        : `Wait for its exit code with: contree task wait ${project.name} ${taskId}`,
    );
  } else {
    await app.output().write(taskRow(view));
  }
  return 0;
}

async function cmdList(
  app: App,
  projectName: string,
  options: { status?: string; mode?: string; emoji: boolean },
) {
  const { ctx, project } = await openProject(app, projectName);
  const tasks = await listTasks(ctx, project, { status: options.status, mode: options.mode });
  if (tasks.length === 0) {
    app.log.info("No tasks found");
    return 0;
  }
  if (human(app)) {
    const display = displayOptions(app, options.emoji);
    await app.ctx.stdout.write(tasks.map((t) => renderListLine(t, display) + "\n").join(""));
  } else {
    const out = app.output({ head: ["id", "name", "status", "mode"] });
    for (const task of tasks) await out.write(taskRow(task));
  }
  return 0;
}

async function cmdStatus(app: App, target: Target, options: { emoji: boolean }) {
  const { ctx, project, taskId } = await resolveTarget(app, target, "status");
  const task = await getTask(ctx, project, taskId);
  if (human(app)) {
    const lines = renderStatusBlock(task, displayOptions(app, options.emoji));
    await app.ctx.stdout.write(lines.join("\n") + "\n");
  } else {
    await app.output().write(taskRow(task));
  }
  return 0;
}

async function cmdRename(app: App, target: Target) {
  const newName = target.rest[0];
  if (newName === undefined) {
    throw new UsageError("Missing the new name: task rename <project> <task> <name>");
  }
  const { ctx, project, taskId } = await resolveTarget(app, target, "rename");
  const name = await taskRename(ctx, project, taskId, newName);
  await say(app, `Renamed task ${taskId} to ${name}`);
  return 0;
}

async function cmdStop(app: App, target: Target, options: { timeout?: number }) {
  const { ctx, project, taskId } = await resolveTarget(app, target, "stop");
  const stopped = await taskStop(ctx, project, taskId, options.timeout);
  await say(app, `Stopped task ${taskId}: ${stopped.name}`);
  app.log.info(`Start it again with: contree task run ${project.name} ${taskId}`);
  return 0;
}

/** Shell-quotes an argument for a command line a user can paste. */
function quote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

async function cmdLogin(app: App, target: Target, options: { print?: boolean }) {
  const { ctx, project, taskId } = await resolveTarget(app, target, "login");
  const args = await loginCommand(ctx, project, taskId);
  if (options.print) {
    await say(app, ["podman", ...args].map(quote).join(" "));
    return 0;
  }
  if (!app.ctx.stdin.isTerminal) {
    throw new ContreeError(
      "task login needs a terminal (stdin is not a TTY); use --print to see the command",
    );
  }
  await app.ctx.stdout.drain();
  return await ctx.podman.interactive(args);
}

async function cmdLogs(
  app: App,
  target: Target,
  options: { follow?: boolean; tail?: number; timestamps?: boolean },
) {
  const { ctx, project, taskId } = await resolveTarget(app, target, "logs");
  const logs = await taskLogs(ctx, project, taskId);
  if (options.follow && logs.live) {
    await app.ctx.stdout.drain();
    const args = ["logs", "-f"];
    if (options.timestamps) args.push("--timestamps");
    if (options.tail !== undefined) args.push("--tail", String(options.tail));
    return await ctx.podman.interactive([...args, logs.container]);
  }
  if (options.follow) app.log.info(`Container ${logs.container} is gone; showing the last capture`);
  const text = await Deno.readTextFile(logs.path);
  await app.ctx.stdout.write(
    renderLog(text, { tail: options.tail, timestamps: options.timestamps }),
  );
  return 0;
}

async function cmdWait(app: App, target: Target, options: { timeout: number }) {
  const { ctx, project, taskId } = await resolveTarget(app, target, "wait");
  const { exitCode } = await taskWait(ctx, project, taskId, options.timeout);
  await say(app, `Task ${taskId} exited with code ${exitCode}`);
  return exitCode;
}

async function cmdDelete(app: App, target: Target) {
  const { ctx, project, taskId } = await resolveTarget(app, target, "delete");
  const result = await taskDelete(ctx, project, taskId);
  for (const warning of result.warnings) app.log.warning(warning);
  const archive = result.archive ? `Archive: ${result.archive}` : "No archive was written.";
  await say(
    app,
    `Deleted task ${taskId}${result.warnings.length > 0 ? " (with warnings)" : ""}. ${archive}`,
  );
  return 0;
}

async function cmdArchiveList(app: App, projectName: string) {
  const { ctx, project } = await openProject(app, projectName);
  const entries = await listArchives(ctx.roots, project.name);
  if (entries.length === 0) {
    app.log.info("No archived tasks found");
    return 0;
  }
  for (const entry of entries) {
    const meta = entry.meta;
    if (human(app)) {
      const extras: string[] = [];
      if (meta.mode) extras.push(`mode=${meta.mode}`);
      if (meta.exit_code !== undefined && meta.exit_code !== null) {
        extras.push(`exit=${meta.exit_code}`);
      }
      await say(
        app,
        `- ${entry.archivedAt} #${meta.task_id ?? "?"}: ${meta.name ?? ""}${
          extras.length > 0 ? ` [${extras.join("; ")}]` : ""
        }`,
      );
    } else {
      await app.output().write({
        archived_at: entry.archivedAt,
        id: meta.task_id ?? null,
        name: meta.name ?? null,
        mode: meta.mode ?? null,
        exit_code: meta.exit_code ?? null,
        path: entry.path,
      });
    }
  }
  return 0;
}

async function cmdArchiveLogs(app: App, projectName: string, prefix: string) {
  const { ctx, project } = await openProject(app, projectName);
  const entry = await findArchive(ctx.roots, project.name, prefix);
  const text = entry
    ? await Deno.readTextFile(`${entry.path}/logs/container.log`).catch(() => undefined)
    : undefined;
  if (text === undefined) {
    throw new ContreeError(
      `No archived logs found for prefix '${prefix}'. Use 'contree task archive list ${project.name}' to see available archives.`,
    );
  }
  await app.ctx.stdout.write(text);
  return 0;
}

export function registerTask(program: RootCommand, run: Runner): void {
  const task = program
    .command("task")
    .description("long-lived podman task containers with persistent workspaces");
  const targetHelp = "project name, or <project>/<task>";
  const taskHelp = "task ID or unique prefix";

  task
    .command("new")
    .description("create a task (workspace and metadata; no container yet)")
    .argument("<project>", "project name")
    .option("--name <name>", "task name (default: a random adjective-noun)")
    .action((project, options) => run((app) => cmdNew(app, project, options)));

  task
    .command("run")
    .description("start a task's container (a new task when none is given)")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .addOption(
      new Option(
        "--mode <mode>",
        "cli: idle container to log into; run: run the project's command " +
          "(default: the task's recorded mode, else cli)",
      ).choices(MODES),
    )
    .option("--name <name>", "name of the new task")
    .option("--command <command>", "--mode run: shell command instead of the project's run.command")
    .action((project, taskArg, options) =>
      run((app) => cmdRun(app, parseTarget([project, taskArg]), options))
    );

  task
    .command("list")
    .alias("ls")
    .description("list a project's tasks with their live status")
    .argument("<project>", "project name")
    .addOption(new Option("--status <status>", "only tasks with this status").choices(STATUSES))
    .addOption(new Option("--mode <mode>", "only tasks run in this mode").choices(MODES))
    .option("--no-emoji", "plain-text status labels")
    .action((project, options) => run((app) => cmdList(app, project, options)));

  task
    .command("status")
    .description("show a task's live status")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .option("--no-emoji", "plain-text status labels")
    .action((project, taskArg, options) =>
      run((app) => cmdStatus(app, parseTarget([project, taskArg]), options))
    );

  task
    .command("rename")
    .description("rename a task")
    .argument("<project>", targetHelp)
    .argument("<task>", `${taskHelp} (or the new name with <project>/<task>)`)
    .argument("[name]", "new name")
    .action((project, taskArg, name) =>
      run((app) => cmdRename(app, parseTarget([project, taskArg, name])))
    );

  task
    .command("stop")
    .description("stop a task's container (kept for `task run` to start again)")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .option(
      "--timeout <seconds>",
      "seconds before SIGKILL (default: the project's run.shutdown_timeout)",
      nonNegativeInt,
    )
    .action((project, taskArg, options) =>
      run((app) => cmdStop(app, parseTarget([project, taskArg]), options))
    );

  task
    .command("login")
    .description("open a shell in a running task (tmux session 'main' when the image has tmux)")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .option("--print", "print the podman command instead of running it")
    .action((project, taskArg, options) =>
      run((app) => cmdLogin(app, parseTarget([project, taskArg]), options))
    );

  task
    .command("logs")
    .description("capture the container's logs to logs/container.log and print them")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .option("-f, --follow", "keep printing new output")
    .option("--tail <lines>", "only the last N lines", nonNegativeInt)
    .option("-t, --timestamps", "keep podman's timestamps")
    .action((project, taskArg, options) =>
      run((app) => cmdLogs(app, parseTarget([project, taskArg]), options))
    );

  task
    .command("wait")
    .description("wait for a task's container to exit; record and exit with its code")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .option(
      "--timeout <seconds>",
      `give up after N seconds (exit 1, nothing recorded; default ${DEFAULT_WAIT_TIMEOUT_SECONDS})`,
      positiveInt,
      DEFAULT_WAIT_TIMEOUT_SECONDS,
    )
    .action((project, taskArg, options) =>
      run((app) => cmdWait(app, parseTarget([project, taskArg]), options))
    );

  task
    .command("delete")
    .aliases(["rm"])
    .description("archive a task's metadata and logs, remove its containers, workspace, metadata")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .action((project, taskArg) => run((app) => cmdDelete(app, parseTarget([project, taskArg]))));

  const archive = task.command("archive").description("what deleted tasks left behind");
  archive
    .command("list")
    .alias("ls")
    .description("list archived tasks, newest first")
    .argument("<project>", "project name")
    .action((project) => run((app) => cmdArchiveList(app, project)));
  archive
    .command("logs")
    .description("print the logs of the newest archive whose name or task ID starts with PREFIX")
    .argument("<project>", "project name")
    .argument("<prefix>", "archive timestamp or task ID prefix")
    .action((project, prefix) => run((app) => cmdArchiveLogs(app, project, prefix)));
}
