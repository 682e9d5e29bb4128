// Read models (task-lifecycle spec §2.10): the merged metadata of a task turned into a typed
// view, with live container state from podman where asked for.

import { ContreeError } from "../errors.ts";
import { loadYaml } from "../deps.ts";
import { IN_LINE, visibleText } from "../log.ts";
import type { TaskContext } from "./context.ts";
import { isTaskId } from "./identity.ts";
import { listTaskIds, type MetaDict, metaString, readTaskMeta } from "./meta.ts";
import { AGENT_CONFIG_DIR, metaDir, taskDir, WORKSPACE_DIR } from "./paths.ts";
import { batchStates, probeState } from "./podman.ts";
import type { ProjectConfig } from "./project.ts";
import {
  effectiveStatus,
  isMode,
  LABEL_PROJECT,
  type Mode,
  type Status,
  taskContainerName,
} from "./state.ts";

export interface TaskView {
  taskId: string;
  projectName: string;
  name: string;
  mode: Mode | null;
  /** The task directory, `<tasks root>/<id>`. */
  taskDir: string;
  /** The directory mounted at /workspace. */
  workspace: string;
  createdAt: string | null;
  readyAt: string | null;
  exitCode: number | null;
  deleting: boolean;
  /** `<project>-<mode>-<id>` once a mode is recorded. */
  container: string | null;
  /** Live podman state; null without a mode, without a container, or when not probed. */
  containerState: string | null;
  workStatus: string | null;
  workMessage: string | null;
  status: Status;
}

export interface WorkStatus {
  status: string | null;
  message: string | null;
}

const NO_WORK_STATUS: WorkStatus = { status: null, message: null };
/** A status and its message are shown within one line of a row or a block: no line can be forged. */

/** More than a status line needs; a larger file is not read. */
const MAX_WORK_STATUS_BYTES = 64 * 1024;

/**
 * A file the task's own code writes (its directory is mounted read-write in the container),
 * read only as what it should be: a small regular file. A symlink (to /dev/zero, to the
 * server's token), a FIFO (open would block), a device or a huge file reads as undefined. The
 * file is checked before it is opened and again once it is: a swap in between is refused too,
 * except a FIFO put there in that instant, whose open blocks (Deno cannot open O_NONBLOCK).
 */
async function readTaskWrittenFile(path: string, maxBytes: number): Promise<string | undefined> {
  const before = await Deno.lstat(path);
  if (!before.isFile || before.size > maxBytes) return undefined;
  using file = await Deno.open(path, { read: true });
  const opened = await file.stat();
  if (!opened.isFile || opened.ino !== before.ino || opened.dev !== before.dev) return undefined;
  const buffer = new Uint8Array(maxBytes + 1);
  let used = 0;
  while (used < buffer.length) {
    const read = await file.read(buffer.subarray(used));
    if (read === null) break;
    used += read;
  }
  return used > maxBytes ? undefined : new TextDecoder().decode(buffer.subarray(0, used));
}

/**
 * `agent-config/work-status.yml`: `{status, message}` or a bare status string. Anything missing,
 * empty, unparseable, of the wrong shape or not a small regular file reads as "no status".
 * Control characters are shown as `\xNN`: the text reaches the user's terminal.
 */
export async function readWorkStatus(taskDirectory: string): Promise<WorkStatus> {
  let text: string | undefined;
  try {
    text = await readTaskWrittenFile(
      `${taskDirectory}/${AGENT_CONFIG_DIR}/work-status.yml`,
      MAX_WORK_STATUS_BYTES,
    );
  } catch {
    return NO_WORK_STATUS;
  }
  if (text === undefined) return NO_WORK_STATUS;
  let parsed: unknown;
  try {
    parsed = (await loadYaml()).parse(text);
  } catch {
    return NO_WORK_STATUS;
  }
  if (typeof parsed === "string") {
    return parsed.trim() === ""
      ? NO_WORK_STATUS
      : { status: visibleText(parsed.trim(), IN_LINE), message: null };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return NO_WORK_STATUS;
  const { status, message } = parsed as Record<string, unknown>;
  if (typeof status !== "string" || status.trim() === "") return NO_WORK_STATUS;
  if (message !== undefined && message !== null && typeof message !== "string") {
    return NO_WORK_STATUS;
  }
  return {
    status: visibleText(status.trim(), IN_LINE),
    message: typeof message === "string" ? visibleText(message, IN_LINE) : null,
  };
}

/**
 * The task directory: the recorded `workspace` when it is shaped like one (ends in `/<id>`;
 * it survives a later change of `tasks.root`), else `<tasks root>/<id>`. Delete removes this
 * directory, so a hand-edited value can never point it elsewhere.
 */
export function taskDirectoryOf(project: ProjectConfig, taskId: string, meta: MetaDict): string {
  const recorded = meta.workspace;
  if (
    typeof recorded === "string" && recorded.startsWith("/") && recorded.endsWith(`/${taskId}`) &&
    !recorded.split("/").includes("..")
  ) {
    return recorded;
  }
  return taskDir(project.tasksRoot, taskId);
}

/** The view of one task from its metadata; `containerState` as given (not probed here). */
export async function taskView(
  project: ProjectConfig,
  taskId: string,
  meta: MetaDict,
  containerState: string | null,
): Promise<TaskView> {
  const mode = isMode(meta.mode) ? meta.mode : null;
  const directory = taskDirectoryOf(project, taskId, meta);
  const exitCode = typeof meta.exit_code === "number" && Number.isInteger(meta.exit_code)
    ? meta.exit_code
    : null;
  const work = await readWorkStatus(directory);
  return withContainerState({
    taskId: metaString(meta.task_id) ?? taskId,
    projectName: metaString(meta.project_name) ?? project.name,
    // The name lives in the dossier; a half-deleted task may have lost it.
    name: typeof meta.name === "string" ? meta.name : "",
    mode,
    taskDir: directory,
    workspace: `${directory}/${WORKSPACE_DIR}`,
    createdAt: metaString(meta.created_at),
    readyAt: metaString(meta.ready_at),
    exitCode,
    deleting: meta.deleting === true,
    container: mode ? taskContainerName(project.name, mode, taskId) : null,
    containerState: null,
    workStatus: work.status,
    workMessage: work.message,
    status: "created",
  }, containerState);
}

/** The view with a live container state applied and its status recomputed. */
export function withContainerState(view: TaskView, containerState: string | null): TaskView {
  const state = view.mode ? containerState : null;
  return {
    ...view,
    containerState: state,
    status: effectiveStatus({
      containerState: state,
      exitCode: view.exitCode,
      deleting: view.deleting,
      initialized: view.readyAt !== null,
    }),
  };
}

/** Metadata of a task, or `Unknown task <id>`. */
export async function requireTaskMeta(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
): Promise<MetaDict> {
  const meta = await readTaskMeta(metaDir(ctx.roots, project.name), taskId);
  if (meta === null) throw new ContreeError(`Unknown task ${taskId}`);
  return meta;
}

/** One task with its live container state (probed only when a mode is recorded). */
export async function getTask(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
): Promise<TaskView> {
  const meta = await requireTaskMeta(ctx, project, taskId);
  const mode = isMode(meta.mode) ? meta.mode : null;
  const state = mode
    ? await probeState(ctx.podman, taskContainerName(project.name, mode, taskId))
    : null;
  return await taskView(project, taskId, meta, state);
}

/**
 * Every task of the project in ID order, without live state. Files that are not current-format
 * IDs are skipped; a task whose metadata cannot be read is skipped with a warning.
 */
export async function getTasks(ctx: TaskContext, project: ProjectConfig): Promise<TaskView[]> {
  const dir = metaDir(ctx.roots, project.name);
  const ids = await listTaskIds(dir);
  if (!ids) return [];
  const views: TaskView[] = [];
  for (const id of [...ids].filter(isTaskId).sort()) {
    try {
      const meta = await readTaskMeta(dir, id);
      if (meta) views.push(await taskView(project, id, meta, null));
    } catch (error) {
      ctx.log.warning(
        `Skipping malformed task metadata file for ${id}: ${(error as Error).message}`,
      );
    }
  }
  return views;
}

export interface ListFilter {
  status?: string;
  mode?: string;
}

/**
 * The project's tasks with live states from one podman query, filtered by mode, then by
 * effective status. A failed query throws (it must never read as "no containers").
 */
export async function listTasks(
  ctx: TaskContext,
  project: ProjectConfig,
  filter: ListFilter = {},
): Promise<TaskView[]> {
  let tasks = await getTasks(ctx, project);
  if (filter.mode) tasks = tasks.filter((task) => task.mode === filter.mode);
  if (tasks.length === 0) return [];
  const states = await batchStates(ctx.podman, `${LABEL_PROJECT}=${project.name}`);
  const live = tasks.map((task) =>
    withContainerState(task, task.container ? states.get(task.container) ?? null : null)
  );
  return filter.status ? live.filter((task) => task.status === filter.status) : live;
}
