// The status model (task-lifecycle spec §4): pure functions, no display concerns.

/** Container flavours: `cli` idles for logins, `run` runs the project's command. */
export const MODES = ["cli", "run"] as const;
export type Mode = typeof MODES[number];

export function isMode(value: unknown): value is Mode {
  return (MODES as readonly unknown[]).includes(value);
}

export const STATUSES = [
  "running",
  "init",
  "starting",
  "stopped",
  "completed",
  "failed",
  "created",
  "not found",
  "deleting",
] as const;
export type Status = typeof STATUSES[number];

/** `<project>-<mode>-<id>`, e.g. `myproj-cli-k3v8h`. */
export function taskContainerName(project: string, mode: Mode, taskId: string): string {
  return `${project}-${mode}-${taskId}`;
}

/** Labels on every task container: how `task list` finds them in one podman call. */
export const LABEL_PROJECT = "contree.project";
export const LABEL_TASK = "contree.task";
export const LABEL_MODE = "contree.mode";

export interface TaskState {
  /** podman's `State.Status`, lowercased; null when there is no container (or no mode). */
  containerState: string | null;
  exitCode: number | null;
  deleting: boolean;
  /** `ready_at` is recorded. */
  initialized: boolean;
  /** A launch is in progress and the container does not exist yet. */
  starting?: boolean;
}

/**
 * Precedence: deleting; a running container (running once initialized, else init); any other
 * container state by exit code (completed / failed / stopped); no container: starting, created
 * (never initialized), else by the recorded exit code (completed / failed / not found).
 */
export function effectiveStatus(state: TaskState): Status {
  if (state.deleting) return "deleting";
  const byExitCode = (none: Status): Status =>
    state.exitCode === null ? none : state.exitCode === 0 ? "completed" : "failed";
  if (state.containerState === "running") return state.initialized ? "running" : "init";
  if (state.containerState !== null) return byExitCode("stopped");
  if (state.starting) return "starting";
  if (!state.initialized) return "created";
  return byExitCode("not found");
}
