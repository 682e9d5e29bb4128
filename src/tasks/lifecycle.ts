// Task mutations (task-lifecycle spec §2): new, rename, run, stop, login, logs, wait, delete.
// Each takes the injected TaskContext and a loaded project, returns data, and throws typed
// errors; nothing here prints. Delete is best-effort: it completes and returns warnings, unless
// it is interrupted.

import { ContreeError, Interrupted, UsageError } from "../errors.ts";
import { isDirectory } from "../files.ts";
import { archiveTask } from "./archive.ts";
import { joinLogRecords } from "./log_file.ts";
import type { TaskContext } from "./context.ts";
import { generateTaskId } from "./identity.ts";
import {
  dossierPath,
  listTaskIds,
  type MetaDict,
  metaYamlPath,
  readTaskMeta,
  updateTaskMeta,
  withTaskLock,
  writeTaskMeta,
} from "./meta.ts";
import { generateTaskName, validTaskName } from "./naming.ts";
import {
  AGENT_CONFIG_DIR,
  CONTAINER_STATUS_DIR,
  CONTAINER_WORKSPACE,
  metaDir,
  NEW_TASK_MARKER,
  taskDir,
  WORKSPACE_DIR,
} from "./paths.ts";
import { type PodmanResult, PodmanTimeout } from "../podman.ts";
import {
  containerTask,
  DEFAULT_WAIT_TIMEOUT_SECONDS,
  describePodmanFailure,
  inspectContainer,
  PODMAN_TIMEOUTS,
  probeState,
} from "./podman.ts";
import type { ProjectConfig } from "./project.ts";
import { requireTaskMeta, taskDirectoryOf } from "./query.ts";
import {
  isMode,
  LABEL_MODE,
  LABEL_PROJECT,
  LABEL_TASK,
  type Mode,
  MODES,
  taskContainerName,
} from "./state.ts";

/** ISO-8601 UTC with an explicit offset, as the spec stores times. */
export function isoUtc(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/Z$/, "+00:00");
}

export const NEW_TASK_MARKER_TEXT = [
  "# This workspace should be reset to the latest remote HEAD before work starts.",
  "# `contree task new` creates this file; the container's init deletes it after the reset.",
  "# Seeing it in an initialized workspace means something went wrong.",
  "",
].join("\n");

const TASK_README = `# contree task directory

\`${WORKSPACE_DIR}/\` is mounted read-write at ${CONTAINER_WORKSPACE} in the task's container:
whatever runs there can write to it. Do not run git, builds or any other code in it from the
host — a hostile or confused task could have planted hooks or scripts. Work on it through the
container (\`contree task login\`) instead.

\`logs/container.log\` holds the last captured container log; \`${AGENT_CONFIG_DIR}/\` is
mounted at ${CONTAINER_STATUS_DIR} (a task reports progress in work-status.yml there).
`;

export interface NewTask {
  taskId: string;
  name: string;
  taskDir: string;
}

/**
 * Creates a task: name checked first (nothing is written for a bad one), a fresh ID, the task
 * directory with a 0700 workspace holding `.new-task-marker`, a README, then the metadata.
 * No podman call.
 */
export async function taskNew(
  ctx: TaskContext,
  project: ProjectConfig,
  options: { name?: string } = {},
): Promise<NewTask> {
  const name = options.name !== undefined
    ? validTaskName(options.name)
    : generateTaskName(ctx.randomInt, project.name, project.nameCategories);
  if (project.tasksRoot.includes(":")) {
    // `podman run -v HOST:CONTAINER` splits at the colon: the start would fail after the create.
    throw new UsageError(
      `tasks.root ${project.tasksRoot} cannot be mounted into a container: it contains ':'`,
    );
  }
  const metas = metaDir(ctx.roots, project.name);
  for (const [what, path] of [["tasks.root", project.tasksRoot], ["state", metas]]) {
    await Deno.mkdir(path, { recursive: true }).catch((error) => {
      throw new ContreeError(`Cannot create the ${what} directory: ${message(error)}`);
    });
  }
  const taskId = generateTaskId((await listTaskIds(metas)) ?? new Set(), ctx.randomInt);
  const directory = taskDir(project.tasksRoot, taskId);
  const workspace = `${directory}/${WORKSPACE_DIR}`;
  await Deno.mkdir(workspace, { recursive: true, mode: 0o700 });
  await Deno.chmod(workspace, 0o700);
  await Deno.writeTextFile(`${workspace}/${NEW_TASK_MARKER}`, NEW_TASK_MARKER_TEXT);
  await Deno.writeTextFile(`${directory}/README.md`, TASK_README);
  await writeTaskMeta(dossierPath(metas, taskId), {
    project_name: project.name,
    task_id: taskId,
    name,
    mode: null,
    workspace: directory,
    created_at: isoUtc(ctx.clock.now()),
  });
  return { taskId, name, taskDir: directory };
}

/** Renames a task; returns the sanitised name. */
export async function taskRename(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
  newName: string,
): Promise<string> {
  await requireTaskMeta(ctx, project, taskId);
  const name = validTaskName(newName);
  // Under the lock, and only while the task exists: a delete meanwhile must not be undone.
  const metas = metaDir(ctx.roots, project.name);
  const renamed = await withTaskLock(metas, () => updateTaskMeta(metas, taskId, { name }));
  if (renamed === null) throw new ContreeError(`Unknown task ${taskId}`); // deleted meanwhile
  return name;
}

/** What a `cli` container runs: idle until stopped, ending cleanly (exit 0) on SIGTERM. */
export const IDLE_SCRIPT =
  "trap 'exit 0' TERM INT; echo 'contree: task container ready'; while :; do sleep 86400 & wait $!; done";

export interface TaskRunOptions {
  /** Default: the recorded mode, else `cli`. */
  mode?: Mode;
  /** For `run` mode: a shell command replacing the project's `run.command`. */
  command?: string;
}

export interface RunResult {
  container: string;
  mode: Mode;
  /** The state podman reported after the start. */
  state: string;
  /** An existing container was started again instead of a new one created. */
  restarted: boolean;
}

/** The argv `--mode run` runs: `override` or the project's run.command. */
export function runModeCommand(project: ProjectConfig, override?: string): string[] {
  const command = override ?? project.command;
  if (command === undefined) {
    throw new ContreeError(
      `Project ${project.name} has no run.command; set it in ${project.file} or pass --command`,
    );
  }
  return typeof command === "string" ? [project.shell, "-c", command] : [...command];
}

/** The `podman run` arguments of a task container. */
export function containerRunArgs(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
  directory: string,
  mode: Mode,
  command: string[],
): string[] {
  const name = taskContainerName(project.name, mode, taskId);
  const args = ["run", "-d", "--name", name];
  // Hostnames are limited to 63 characters; long project names keep podman's default.
  if (name.length <= 63) args.push("--hostname", name);
  args.push(
    "--label",
    `${LABEL_PROJECT}=${project.name}`,
    "--label",
    `${LABEL_TASK}=${taskId}`,
    "--label",
    `${LABEL_MODE}=${mode}`,
    "--annotation",
    `contree.dossier=${dossierPath(metaDir(ctx.roots, project.name), taskId)}`,
    "-v",
    `${directory}/${WORKSPACE_DIR}:${CONTAINER_WORKSPACE}:Z`,
    "-v",
    `${directory}/${AGENT_CONFIG_DIR}:${CONTAINER_STATUS_DIR}:Z`,
    "-w",
    CONTAINER_WORKSPACE,
    "-e",
    `TASK_ID=${taskId}`,
    "-e",
    `PROJECT_NAME=${project.name}`,
    "-e",
    `CONTREE_TASK_STATUS_FILE=${CONTAINER_STATUS_DIR}/work-status.yml`,
    project.image,
    ...command,
  );
  return args;
}

function podmanError(prefix: string, args: string[], result: PodmanResult): ContreeError {
  return new ContreeError(`${prefix}: ${describePodmanFailure(args, result)}`);
}

/** States of a container that may never have run its process. */
const NOT_STARTED_STATES = new Set(["created", "configured", "initialized"]);

/** podman never started the container (its start time is unset). */
async function neverStarted(ctx: TaskContext, name: string): Promise<boolean> {
  return await inspectContainer(ctx.podman, name, "{{.State.StartedAt.IsZero}}") === "true";
}

/**
 * States of a container whose process has already ended (podman says `stopped` until cleanup).
 * Not `stopping`: that is a `podman stop` under way or cut short, the process may well live.
 */
const FINISHED_STATES = new Set(["exited", "stopped"]);

/** A `stopping` container is a stop cut short (Ctrl-C killed its podman): only a stop ends it. */
function stoppingHint(project: ProjectConfig, taskId: string): string {
  return `a stop was cut short; end it with: contree task stop ${project.name} ${taskId}`;
}

/**
 * Starts a task's container in `mode`: records the mode first (so an interrupted launch is
 * still swept by delete), then creates the container — or starts the existing one again,
 * clearing the last exit code — and records `ready_at` once podman reports it running (for
 * `run` mode, also when the command already finished).
 */
export function taskRun(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
  options: TaskRunOptions,
): Promise<RunResult> {
  const metas = metaDir(ctx.roots, project.name);
  return withTaskLock(metas, () => runLocked(ctx, project, taskId, options, metas));
}

async function runLocked(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
  options: TaskRunOptions,
  metas: string,
): Promise<RunResult> {
  const meta = await requireTaskMeta(ctx, project, taskId);
  if (meta.deleting === true) {
    // Its archive may be written already: a run now would be lost with it.
    throw new ContreeError(
      `Task ${taskId} is being deleted (a delete did not finish); finish it with: ` +
        `contree task delete ${project.name} ${taskId}`,
    );
  }
  const recorded = meta.mode ?? null;
  const mode = options.mode ?? (isMode(recorded) ? recorded : "cli");
  if (isMode(recorded) && recorded !== mode) {
    // The mode is recorded before the launch; a launch that made no container (its image
    // missing) ran nothing, and leaves the task free to run in the other mode.
    const other = taskContainerName(project.name, recorded, taskId);
    if (meta.ready_at != null) {
      throw new ContreeError(`Task already ran in mode '${recorded}', cannot run in '${mode}'`);
    }
    if (await probeState(ctx.podman, other, true) !== null) {
      throw new ContreeError(
        `Task ${taskId} has a container in mode '${recorded}' (${other}), cannot run in '${mode}'`,
      );
    }
  }
  if (options.command !== undefined && mode !== "run") {
    throw new UsageError("--command applies to --mode run only");
  }
  const name = taskContainerName(project.name, mode, taskId);
  let before = await probeState(ctx.podman, name);
  if (before !== null && await containerTask(ctx.podman, name) !== `${project.name}/${taskId}`) {
    // A container of that name that this task did not make (spec §5: refused), not "restarted".
    throw new ContreeError(
      `Container ${name} already exists and is not task ${taskId}'s; remove or rename it ` +
        `(podman rm ${name}) and run the task again`,
    );
  }
  if (before === "stopping") {
    throw new ContreeError(
      `Task ${taskId}'s container ${name} is stopping (${stoppingHint(project, taskId)})`,
    );
  }
  if (before === "running" && meta.ready_at == null && options.command === undefined) {
    // A `task run` cut short after podman started the container, before it recorded the
    // readiness (status `init` for good): what was left of it is done now.
    await updateTaskMeta(metas, taskId, { ready_at: isoUtc(ctx.clock.now()) });
    return { container: name, mode, state: before, restarted: true };
  }
  if (before === "running" || before === "paused") {
    throw new ContreeError(
      `Task ${taskId} is already running (container ${name}, ${before})${pausedHint(before, name)}`,
    );
  }
  if (before !== null && NOT_STARTED_STATES.has(before) && await neverStarted(ctx, name)) {
    // Its command could not start (a bad run.command), or a `task run` was cut short: such a
    // container holds no state of its own, and `podman start` would fail the same way again.
    // It is made anew, with the command as it is now (spec §5: a failed start is recreated).
    const rm = ["rm", "-f", "--time", "0", name];
    const removed = await ctx.podman.run(rm, { timeoutMs: PODMAN_TIMEOUTS.removeMs });
    if (removed.code !== 0) throw podmanError(`Cannot remove container ${name}`, rm, removed);
    before = null;
  }
  if (before !== null && options.command !== undefined) {
    throw new ContreeError(
      `Task ${taskId} already has a container (${name}); --command applies to a new container only`,
    );
  }
  const directory = taskDirectoryOf(project, taskId, meta);
  if (before !== null && !isDirectory(directory)) {
    throw new ContreeError(
      `Task ${taskId}'s directory ${directory} is gone (its workspace with it); delete the task ` +
        `with: contree task delete ${project.name} ${taskId}`,
    );
  }
  // A task made with --command keeps it: a container removed behind our back is made again
  // with the task's own command, not the project's.
  const command = options.command ??
    (typeof meta.run_command === "string" ? meta.run_command : undefined);
  // Built before anything is written, so a project without a run command changes nothing.
  const args = before === null
    ? containerRunArgs(
      ctx,
      project,
      taskId,
      directory,
      mode,
      mode === "run" ? runModeCommand(project, command) : [project.shell, "-c", IDLE_SCRIPT],
    )
    : ["start", name];
  const started: MetaDict = { ...meta, mode, exit_code: null };
  if (options.command !== undefined) started.run_command = options.command;
  await writeTaskMeta(dossierPath(metas, taskId), started);
  if (before === null) {
    await Deno.mkdir(`${directory}/${WORKSPACE_DIR}`, { recursive: true, mode: 0o700 });
    await Deno.mkdir(`${directory}/${AGENT_CONFIG_DIR}`, { recursive: true });
  }
  // A start that failed ran nothing: the last run's exit code still stands.
  const unstarted = () =>
    writeTaskMeta(dossierPath(metas, taskId), { ...started, exit_code: meta.exit_code ?? null });
  const result = await ctx.podman.run(args, {
    timeoutMs: before === null ? PODMAN_TIMEOUTS.createMs : PODMAN_TIMEOUTS.startMs,
    // The container's conmon lives on in podman's cwd and leaves an `oom` file there when the
    // task is killed for memory: the task's directory, not wherever `task run` was typed.
    cwd: directory,
  }).catch(async (error) => {
    await unstarted();
    throw error;
  });
  if (result.code !== 0) {
    await unstarted();
    throw podmanError(`Cannot start task ${taskId}`, args, result);
  }

  const state = await probeState(ctx.podman, name) ?? "not found";
  if (state !== "running" && !(mode === "run" && FINISHED_STATES.has(state))) {
    throw new ContreeError(
      `Container ${name} failed to start (state: ${state}). Check logs with: contree task logs ${project.name} ${taskId}`,
    );
  }
  await updateTaskMeta(metas, taskId, { ready_at: isoUtc(ctx.clock.now()) });
  return { container: name, mode, state, restarted: before !== null };
}

function recordedMode(taskId: string, meta: MetaDict, hint: string): Mode {
  if (!isMode(meta.mode)) {
    throw new ContreeError(`Task ${taskId} has never been run (no mode set). ${hint}`);
  }
  return meta.mode;
}

/**
 * `podman stop --time <timeout>` (default: the project's run.shutdown_timeout). The container
 * is kept, so `task run` can start it again.
 */
export async function taskStop(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
  timeoutSeconds?: number,
): Promise<{ container: string; name: string; deleting: boolean }> {
  const timeout = timeoutSeconds ?? project.shutdownTimeout;
  const meta = await requireTaskMeta(ctx, project, taskId);
  const mode = recordedMode(
    taskId,
    meta,
    `Start it with: contree task run ${project.name} ${taskId}`,
  );
  const name = taskContainerName(project.name, mode, taskId);
  const state = await probeState(ctx.podman, name, true);
  if (state === null) throw new ContreeError(`Task ${taskId} container does not exist`);
  // `stopping`: see stoppingHint.
  if (state !== "running" && state !== "paused" && state !== "stopping") {
    throw new ContreeError(`Task ${taskId} container is not stoppable (state: ${state})`);
  }
  // podman refuses to stop a paused container ("running or paused, refusing to clean up").
  if (state === "paused") {
    const unpause = ["unpause", name];
    const unpaused = await ctx.podman.run(unpause, { timeoutMs: PODMAN_TIMEOUTS.probeMs });
    if (unpaused.code !== 0) throw podmanError("Failed to stop container", unpause, unpaused);
  }
  const args = ["stop", "--time", String(timeout), name];
  let result: PodmanResult;
  try {
    result = await ctx.podman.run(args, {
      timeoutMs: timeout * 1000 + PODMAN_TIMEOUTS.stopSlackMs,
    });
  } catch (error) {
    if (error instanceof PodmanTimeout) {
      throw new ContreeError(`Failed to stop container: ${error.message}`);
    }
    throw error;
  }
  if (result.code !== 0) throw podmanError("Failed to stop container", args, result);
  return { container: name, name: String(meta.name ?? ""), deleting: meta.deleting === true };
}

/** How a paused container goes on (contree never pauses one: someone ran podman pause). */
function pausedHint(state: string, name: string): string {
  return state === "paused" ? `: resume it with 'podman unpause ${name}'` : "";
}

/**
 * The podman arguments that log into a running task: tmux (re-attaching session `main`) when
 * the image has it, else bash, else the project's shell.
 */
export async function loginCommand(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
): Promise<string[]> {
  const meta = await requireTaskMeta(ctx, project, taskId);
  const runHint = `contree task run ${project.name} ${taskId}`;
  const mode = recordedMode(taskId, meta, `Start it with: ${runHint}`);
  const name = taskContainerName(project.name, mode, taskId);
  const state = await probeState(ctx.podman, name, true);
  if (state === null) {
    throw new ContreeError(`Container ${name} does not exist. Run '${runHint}' first.`);
  }
  if (state === "paused") {
    throw new ContreeError(`Container ${name} is paused${pausedHint(state, name)}`);
  }
  if (state === "stopping") {
    throw new ContreeError(
      `Container ${name} is not running (state: stopping: ${stoppingHint(project, taskId)})`,
    );
  }
  if (state !== "running") {
    throw new ContreeError(
      `Container ${name} is not running (state: ${state}). Run '${runHint}' first.`,
    );
  }
  const has = async (binary: string, flag: string) =>
    (await ctx.podman.run(["exec", name, binary, flag], { timeoutMs: PODMAN_TIMEOUTS.probeMs }))
      .code === 0;
  if (await has("tmux", "-V")) {
    return ["exec", "-it", name, "tmux", "new-session", "-A", "-s", "main"];
  }
  if (await has("bash", "--version")) return ["exec", "-it", name, "bash"];
  return ["exec", "-it", name, project.shell];
}

/** The container's k8s-file log, when podman logs it to one (its default without journald). */
async function k8sLogPath(ctx: TaskContext, name: string): Promise<string | undefined> {
  const config = await inspectContainer(ctx.podman, name, K8S_LOG_FORMAT);
  const [type, path] = config?.split("\t") ?? [];
  return type === "k8s-file" && path?.startsWith("/") ? path : undefined;
}

const K8S_LOG_FORMAT = "{{.HostConfig.LogConfig.Type}}\t{{.HostConfig.LogConfig.Path}}";

/**
 * Snapshots the container's log (stdout and stderr merged, in order) into
 * `<task dir>/logs/container.log` as `podman logs --timestamps` prints it, replacing the
 * previous snapshot only on success. From podman's k8s-file, lines are whole (log_file.ts);
 * other log drivers go through `podman logs --timestamps`.
 */
export async function captureTaskLogs(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
  mode: Mode,
  directory: string,
): Promise<string> {
  const name = taskContainerName(project.name, mode, taskId);
  const logs = `${directory}/logs`;
  await Deno.mkdir(logs, { recursive: true });
  const target = `${logs}/container.log`;
  const partial = `${target}.${Deno.pid}.tmp`;
  const args = ["logs", "--timestamps", name];
  try {
    const k8sLog = await k8sLogPath(ctx, name);
    if (k8sLog) {
      await joinLogRecords(k8sLog, partial, ctx.signal);
      await Deno.rename(partial, target);
      return target;
    }
    const result = await ctx.podman.run(args, {
      timeoutMs: PODMAN_TIMEOUTS.logsMs,
      stdout: { file: partial },
    });
    if (result.code !== 0) {
      // podman's complaint went into the file with the output.
      const output = await Deno.readTextFile(partial).catch(() => "");
      throw podmanError(`Cannot capture logs of ${name}`, args, { ...result, stderr: output });
    }
    await Deno.rename(partial, target);
    return target;
  } finally {
    await Deno.remove(partial).catch(() => {});
  }
}

export interface LogsResult {
  /** The captured (or, for a removed container, the last captured) log file. */
  path: string;
  container: string;
  /** The container still exists (so `--follow` can attach to it). */
  live: boolean;
}

/** Captures the task's logs when its container exists, else finds the last capture. */
export async function taskLogs(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
): Promise<LogsResult> {
  const meta = await requireTaskMeta(ctx, project, taskId);
  const mode = recordedMode(taskId, meta, "There are no logs yet.");
  const name = taskContainerName(project.name, mode, taskId);
  const directory = taskDirectoryOf(project, taskId, meta);
  if (await probeState(ctx.podman, name) !== null) {
    // Not under the task lock (a large log takes seconds to capture): a delete may run
    // meanwhile, and then leaves no logs directory behind.
    const captured = await captureTaskLogs(ctx, project, taskId, mode, directory).then(
      (path) => ({ path }),
      (error: unknown) => ({ error }),
    );
    if (await dropLogsOfDeleted(ctx, project, taskId, directory)) {
      throw new ContreeError(`Task ${taskId} was deleted while its logs were read`);
    }
    if ("error" in captured) throw captured.error;
    const { path } = captured;
    return { path, container: name, live: true };
  }
  const path = `${directory}/logs/container.log`;
  try {
    await Deno.stat(path);
  } catch {
    throw new ContreeError(
      `No logs for task ${taskId}: container ${name} does not exist and no logs were captured`,
    );
  }
  return { path, container: name, live: false };
}

/** When the task is gone (deleted meanwhile), removes the logs directory a capture made. */
async function dropLogsOfDeleted(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
  directory: string,
): Promise<boolean> {
  const metas = metaDir(ctx.roots, project.name);
  if (await readTaskMeta(metas, taskId) !== null) return false; // the usual case: no lock
  return await withTaskLock(metas, async () => {
    if (await readTaskMeta(metas, taskId) !== null) return false;
    await Deno.remove(`${directory}/logs`, { recursive: true }).catch(() => {});
    await Deno.remove(directory).catch(() => {}); // only when nothing else is left
    return true;
  });
}

/** The watcher gave up: nothing was recorded (distinct from a container exiting 124). */
export class WaitTimeout extends ContreeError {
  constructor(taskId: string, container: string, seconds: number) {
    super(
      `Timed out after ${seconds}s waiting for task ${taskId} (container ${container}); no exit code recorded`,
    );
  }
}

/** Which run of a container this is: its ID and start time (undefined: no container). */
async function runIdentity(ctx: TaskContext, name: string): Promise<string | undefined> {
  return await inspectContainer(ctx.podman, name, "{{.Id}} {{.State.StartedAt}}");
}

export interface WaitResult {
  exitCode: number;
  container: string;
  /**
   * The task was started again (or its container made anew) while this waited: the exit code
   * is the run before's and was not recorded onto the new run.
   */
  restarted: boolean;
}

/**
 * Waits for the task's container to exit and records its exit code — the container's real
 * code, 124 included — unless the container was started again meanwhile. A watcher timeout
 * throws WaitTimeout and records nothing; so does any podman failure (a failed `podman wait`
 * is never passed off as an exit code).
 */
export async function taskWait(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
  timeoutSeconds = DEFAULT_WAIT_TIMEOUT_SECONDS,
): Promise<WaitResult> {
  const meta = await requireTaskMeta(ctx, project, taskId);
  const mode = recordedMode(
    taskId,
    meta,
    `Start it with: contree task run ${project.name} ${taskId}`,
  );
  const name = taskContainerName(project.name, mode, taskId);
  const waitedFor = await runIdentity(ctx, name);
  const args = ["wait", name];
  let result: PodmanResult;
  try {
    result = await ctx.podman.run(args, { timeoutMs: timeoutSeconds * 1000 });
  } catch (error) {
    if (error instanceof PodmanTimeout) throw new WaitTimeout(taskId, name, timeoutSeconds);
    throw error;
  }
  if (result.code !== 0) {
    throw new ContreeError(
      `Cannot wait for task ${taskId} (${name}): ${describePodmanFailure(args, result)}`,
    );
  }
  const output = result.stdout.trim();
  if (!/^-?\d+$/.test(output)) {
    throw new ContreeError(`podman wait ${name} printed no exit code: '${output}'`);
  }
  const exitCode = Number(output);
  // podman wait answers 0 at once for a container that was created and never started (its
  // command could not run): that is no exit of the task's.
  if (exitCode === 0 && await probeState(ctx.podman, name) === "created") {
    throw new ContreeError(
      `Task ${taskId} never started (container ${name} is created, not run); no exit code recorded`,
    );
  }
  // Under the lock, and only while the task exists: the container often ends because a delete
  // removed it, whose metadata this would have written back. `task run` starts a container
  // under the same lock, so a run begun since the wait did is seen here, and keeps its
  // cleared exit code.
  const metas = metaDir(ctx.roots, project.name);
  const restarted = await withTaskLock(metas, async () => {
    const now = await runIdentity(ctx, name);
    if (now !== undefined && now !== waitedFor) return true;
    await updateTaskMeta(metas, taskId, { exit_code: exitCode });
    return false;
  });
  return { exitCode, container: name, restarted };
}

export interface DeleteResult {
  taskId: string;
  /** The archive entry, when one was written. */
  archive?: string;
  /** One line per cleanup step that did not complete. */
  warnings: string[];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The message of a failed cleanup step, for its warning; an interrupt is not a failed step: it
 * stops the delete (exit 130/143) with the metadata still there, so that it can be run again.
 */
function stepFailure(error: unknown): string {
  if (error instanceof Interrupted) throw error;
  return message(error);
}

/**
 * Deletes a task, to the end: marks it deleting, captures logs, archives metadata and logs,
 * stops and removes its containers (every mode), removes the task directory and the metadata.
 * Every step that fails adds a warning instead of stopping the others; Ctrl-C stops them all.
 */
export function taskDelete(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
): Promise<DeleteResult> {
  return withTaskLock(metaDir(ctx.roots, project.name), () => deleteLocked(ctx, project, taskId));
}

async function deleteLocked(
  ctx: TaskContext,
  project: ProjectConfig,
  taskId: string,
): Promise<DeleteResult> {
  const warnings: string[] = [];
  const remove = ctx.remove ?? ((path, options) => Deno.remove(path, options));
  const metas = metaDir(ctx.roots, project.name);
  const result: DeleteResult = { taskId, warnings };

  let meta: MetaDict | null = {};
  try {
    meta = await readTaskMeta(metas, taskId);
  } catch (error) {
    warnings.push(`Metadata unreadable, deleting without an archive: ${stepFailure(error)}`);
  }
  // Another delete finished while this one waited for the lock: as for a task never made.
  if (meta === null) throw new ContreeError(`Unknown task ${taskId}`);
  const known = Object.keys(meta).length > 0;
  if (known) {
    // A delete that dies midway then shows as `deleting` rather than as a healthy task.
    await updateTaskMeta(metas, taskId, { deleting: true }).catch((error) =>
      ctx.log.debug(`Cannot mark task ${taskId} deleting: ${message(error)}`)
    );
  }
  const mode = isMode(meta.mode) ? meta.mode : null;
  const directory = taskDirectoryOf(project, taskId, meta);

  if (
    mode && await probeState(ctx.podman, taskContainerName(project.name, mode, taskId)) !== null
  ) {
    try {
      await captureTaskLogs(ctx, project, taskId, mode, directory);
    } catch (error) {
      warnings.push(`Log capture failed: ${stepFailure(error)}`);
    }
  }

  if (known) {
    try {
      result.archive = await archiveTask(
        ctx.roots,
        project.name,
        taskId,
        meta,
        directory,
        ctx.clock.now(),
      );
    } catch (error) {
      warnings.push(`Archive failed: ${stepFailure(error)}`);
    }
  }

  // Every mode, not just the recorded one: a launch that died before recording its mode
  // still leaves its container behind.
  const kept: string[] = [];
  for (const each of MODES) {
    const name = taskContainerName(project.name, each, taskId);
    const args = ["rm", "-f", "--time", String(project.shutdownTimeout), name];
    try {
      const removed = await ctx.podman.run(args, {
        timeoutMs: PODMAN_TIMEOUTS.removeMs + project.shutdownTimeout * 1000,
      });
      const detail = describePodmanFailure(args, removed);
      if (removed.code !== 0 && detail !== "no such container") {
        kept.push(name);
        warnings.push(`Container ${name}: ${detail}`);
      }
    } catch (error) {
      const failure = stepFailure(error);
      kept.push(name);
      warnings.push(`Container ${name}: ${failure}`);
    }
  }
  if (kept.length > 0) {
    warnings.push(
      `Containers may still be running — remove them by hand: podman rm -f ${kept.join(" ")}`,
    );
  }

  try {
    await remove(directory, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      warnings.push(`Workspace removal failed: ${stepFailure(error)}`);
    }
  }

  for (const path of [dossierPath(metas, taskId), metaYamlPath(metas, taskId)]) {
    try {
      await remove(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        warnings.push(`Metadata removal failed for ${path}: ${stepFailure(error)}`);
      }
    }
  }
  return result;
}
