// The bodies of `contree task …` (registered in src/cli/task.ts, loaded on first use): options
// in, the work done against a TaskContext, results printed or emitted as rows. They see the
// invocation only through TaskCommandDeps.

import type { Context } from "../context.ts";
import { ContreeError, UsageError } from "../errors.ts";
import type { ColumnOrder, FormatName, Formatter } from "../output/formatter.ts";
import type { PodmanRunner } from "../podman.ts";
import { findArchive, listArchives } from "./archive.ts";
import { type TaskContext, taskContextFrom } from "./context.ts";
import { type DisplayOptions, renderListLine, renderStatusBlock } from "./display.ts";
import { printLog } from "./log_file.ts";
import { resolveTaskId } from "./identity.ts";
import {
  loginCommand,
  runModeCommand,
  taskDelete,
  taskLogs,
  taskNew,
  taskRename,
  taskRun,
  taskStop,
  taskWait,
} from "./lifecycle.ts";
import { metaDir } from "./paths.ts";
import { loadProject, type ProjectConfig } from "./project.ts";
import { getTask, listTasks, type TaskView } from "./query.ts";
import { isMode, type Mode } from "./state.ts";
import { metaString } from "./meta.ts";
import { IN_LINE, visibleText } from "../log.ts";

/** What the task commands need from the invocation (built from the App in src/cli/wiring.ts). */
export interface TaskCommandDeps {
  /** stdio, environment, home, clock and logger. */
  ctx: Context;
  podman: PodmanRunner;
  format: FormatName;
  /** Whether human output on stdout is coloured. */
  color: boolean;
  output(order?: ColumnOrder): Formatter;
}

/** The positional arguments of a task command, as commander hands them over. */
export type Positionals = (string | undefined)[];

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
export function parseTarget(args: Positionals): Target {
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

async function openProject(deps: TaskCommandDeps, name: string) {
  const ctx = taskContextFrom(deps.ctx, deps.podman);
  return { ctx, project: await loadProject(ctx.roots, name, deps.ctx.home) };
}

function refuseExtra(args: string[]): void {
  if (args.length > 0) throw new UsageError(`Unexpected argument '${args[0]}'`);
}

/** The project and the one task the target names; `extra` more positionals are allowed. */
async function resolveTarget(
  deps: TaskCommandDeps,
  target: Target,
  verb: string,
  extra = 0,
): Promise<Resolved> {
  const raw = requireTask(target, verb);
  refuseExtra(target.rest.slice(extra));
  const { ctx, project } = await openProject(deps, target.project);
  const taskId = await resolveTaskId(metaDir(ctx.roots, project.name), project.name, raw);
  return { ctx, project, taskId };
}

function displayOptions(deps: TaskCommandDeps, emoji: boolean): DisplayOptions {
  return { color: deps.color, emoji };
}

function human(deps: TaskCommandDeps): boolean {
  return deps.format === "default";
}

async function say(deps: TaskCommandDeps, line: string): Promise<void> {
  await deps.ctx.stdout.write(line + "\n");
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

export async function cmdNew(
  deps: TaskCommandDeps,
  projectName: string,
  options: { name?: string },
) {
  const { ctx, project } = await openProject(deps, projectName);
  const task = await taskNew(ctx, project, { name: options.name });
  if (human(deps)) await say(deps, `Created task ${task.taskId} (${task.name}) in ${task.taskDir}`);
  else {
    await deps.output().write({
      id: task.taskId,
      name: task.name,
      project: project.name,
      task_dir: task.taskDir,
    });
  }
  return 0;
}

export async function cmdRun(
  deps: TaskCommandDeps,
  positionals: Positionals,
  options: { mode?: Mode; name?: string; command?: string },
) {
  const target = parseTarget(positionals);
  refuseExtra(target.rest);
  let ctx: TaskContext, project: ProjectConfig, taskId: string, name: string | undefined;
  if (target.task === undefined) {
    ({ ctx, project } = await openProject(deps, target.project));
    if (options.command !== undefined && (options.mode ?? "cli") !== "run") {
      throw new UsageError("--command applies to --mode run only");
    }
    // A project without a command to run fails here, before a task is created for nothing.
    if (options.mode === "run") runModeCommand(project, options.command);
    const created = await taskNew(ctx, project, { name: options.name });
    ({ taskId, name } = created);
    deps.ctx.log.info(`Created task ${taskId} (${name}) in ${created.taskDir}`);
  } else {
    if (options.name !== undefined) {
      throw new UsageError("--name applies to a new task only (use `contree task rename`)");
    }
    ({ ctx, project, taskId } = await resolveTarget(deps, target, "run"));
  }
  const result = await taskRun(ctx, project, taskId, {
    mode: options.mode,
    command: options.command,
  });
  const view = await getTask(ctx, project, taskId);
  if (human(deps)) {
    await say(
      deps,
      `${
        result.restarted ? "Restarted" : "Started"
      } task ${taskId} (${view.name}) in mode ${result.mode}: container ${result.container}`,
    );
    deps.ctx.log.info(
      result.mode === "cli"
        ? `Log in with: contree task login ${project.name} ${taskId}`
        : `Wait for its exit code with: contree task wait ${project.name} ${taskId}`,
    );
  } else {
    await deps.output().write(taskRow(view));
  }
  return 0;
}

export async function cmdList(
  deps: TaskCommandDeps,
  projectName: string,
  options: { status?: string; mode?: string; emoji: boolean },
) {
  const { ctx, project } = await openProject(deps, projectName);
  const tasks = await listTasks(ctx, project, { status: options.status, mode: options.mode });
  if (tasks.length === 0) {
    deps.ctx.log.info("No tasks found");
    return 0;
  }
  if (human(deps)) {
    const display = displayOptions(deps, options.emoji);
    await deps.ctx.stdout.write(tasks.map((t) => renderListLine(t, display) + "\n").join(""));
  } else {
    const out = deps.output({ head: ["id", "name", "status", "mode"] });
    for (const task of tasks) await out.write(taskRow(task));
  }
  return 0;
}

export async function cmdStatus(
  deps: TaskCommandDeps,
  positionals: Positionals,
  options: { emoji: boolean },
) {
  const target = parseTarget(positionals);
  const { ctx, project, taskId } = await resolveTarget(deps, target, "status");
  const task = await getTask(ctx, project, taskId);
  if (human(deps)) {
    const lines = renderStatusBlock(task, displayOptions(deps, options.emoji));
    await deps.ctx.stdout.write(lines.join("\n") + "\n");
  } else {
    await deps.output().write(taskRow(task));
  }
  return 0;
}

export async function cmdRename(deps: TaskCommandDeps, positionals: Positionals) {
  const target = parseTarget(positionals);
  const newName = target.rest[0];
  if (newName === undefined) {
    throw new UsageError("Missing the new name: task rename <project> <task> <name>");
  }
  const { ctx, project, taskId } = await resolveTarget(deps, target, "rename", 1);
  const name = await taskRename(ctx, project, taskId, newName);
  await say(deps, `Renamed task ${taskId} to ${name}`);
  return 0;
}

export async function cmdStop(
  deps: TaskCommandDeps,
  positionals: Positionals,
  options: { timeout?: number },
) {
  const target = parseTarget(positionals);
  const { ctx, project, taskId } = await resolveTarget(deps, target, "stop");
  const stopped = await taskStop(ctx, project, taskId, options.timeout);
  await say(deps, `Stopped task ${taskId}: ${stopped.name}`);
  // A task a delete did not finish refuses to run: what is left is finishing the delete.
  deps.ctx.log.info(
    stopped.deleting
      ? `Finish its delete with: contree task delete ${project.name} ${taskId}`
      : `Start it again with: contree task run ${project.name} ${taskId}`,
  );
  return 0;
}

/** Shell-quotes an argument for a command line a user can paste. */
function quote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

export async function cmdLogin(
  deps: TaskCommandDeps,
  positionals: Positionals,
  options: { print?: boolean },
) {
  const target = parseTarget(positionals);
  const { ctx, project, taskId } = await resolveTarget(deps, target, "login");
  const args = await loginCommand(ctx, project, taskId);
  if (options.print) {
    await say(deps, ["podman", ...args].map(quote).join(" "));
    return 0;
  }
  if (!deps.ctx.stdin.isTerminal) {
    throw new ContreeError(
      "task login needs a terminal (stdin is not a TTY); use --print to see the command",
    );
  }
  await deps.ctx.stdout.drain();
  return await ctx.podman.interactive(args);
}

export async function cmdLogs(
  deps: TaskCommandDeps,
  positionals: Positionals,
  options: { follow?: boolean; tail?: number; timestamps?: boolean },
) {
  const target = parseTarget(positionals);
  const { ctx, project, taskId } = await resolveTarget(deps, target, "logs");
  const logs = await taskLogs(ctx, project, taskId);
  if (options.follow && logs.live) {
    await deps.ctx.stdout.drain();
    const args = ["logs", "-f"];
    if (options.timestamps) args.push("--timestamps");
    if (options.tail !== undefined) args.push("--tail", String(options.tail));
    return await ctx.podman.interactive([...args, logs.container]);
  }
  if (options.follow) {
    deps.ctx.log.info(`Container ${logs.container} is gone; showing the last capture`);
  }
  await printLog(logs.path, deps.ctx.stdout, { ...options, signal: deps.ctx.signal });
  return 0;
}

export async function cmdWait(
  deps: TaskCommandDeps,
  positionals: Positionals,
  options: { timeout: number },
) {
  const target = parseTarget(positionals);
  const { ctx, project, taskId } = await resolveTarget(deps, target, "wait");
  const { exitCode, restarted } = await taskWait(ctx, project, taskId, options.timeout);
  await say(deps, `Task ${taskId} exited with code ${exitCode}`);
  if (restarted) {
    deps.ctx.log.warning(
      `Task ${taskId} was started again meanwhile: the exit code of the run before was not recorded`,
    );
  }
  return exitCode;
}

export async function cmdDelete(deps: TaskCommandDeps, positionals: Positionals) {
  const target = parseTarget(positionals);
  const { ctx, project, taskId } = await resolveTarget(deps, target, "delete");
  const result = await taskDelete(ctx, project, taskId);
  for (const warning of result.warnings) deps.ctx.log.warning(warning);
  const archive = result.archive ? `Archive: ${result.archive}` : "No archive was written.";
  await say(
    deps,
    `Deleted task ${taskId}${result.warnings.length > 0 ? " (with warnings)" : ""}. ${archive}`,
  );
  return 0;
}

export async function cmdArchiveList(deps: TaskCommandDeps, projectName: string) {
  const { ctx, project } = await openProject(deps, projectName);
  const entries = await listArchives(ctx.roots, project.name);
  if (entries.length === 0) {
    deps.ctx.log.info("No archived tasks found");
    return 0;
  }
  for (const entry of entries) {
    // task.json may have been edited by hand: only values of the recorded types are shown.
    const { meta } = entry;
    const id = metaString(meta.task_id) ?? entry.entry.split("_")[1] ?? null;
    const name = metaString(meta.name);
    const mode = isMode(meta.mode) ? meta.mode : null;
    const exitCode = typeof meta.exit_code === "number" ? meta.exit_code : null;
    if (human(deps)) {
      const extras: string[] = [];
      if (mode) extras.push(`mode=${mode}`);
      if (exitCode !== null) extras.push(`exit=${exitCode}`);
      await say(
        deps,
        `- ${entry.archivedAt} #${visibleText(id ?? "?", IN_LINE)}: ${
          visibleText(name ?? "", IN_LINE)
        }${extras.length > 0 ? ` [${extras.join("; ")}]` : ""}`,
      );
    } else {
      await deps.output().write({
        archived_at: entry.archivedAt,
        id,
        name,
        mode,
        exit_code: exitCode,
        path: entry.path,
      });
    }
  }
  return 0;
}

export async function cmdArchiveLogs(deps: TaskCommandDeps, projectName: string, prefix: string) {
  const { ctx, project } = await openProject(deps, projectName);
  const entry = await findArchive(ctx.roots, project.name, prefix);
  const path = entry && `${entry.path}/logs/container.log`;
  if (!path || !(await Deno.stat(path).then((info) => info.isFile, () => false))) {
    throw new ContreeError(
      `No archived logs found for prefix '${prefix}'. Use 'contree task archive list ${project.name}' to see available archives.`,
    );
  }
  // As it was captured: podman's timestamps kept.
  await printLog(path, deps.ctx.stdout, { timestamps: true, signal: deps.ctx.signal });
  return 0;
}
