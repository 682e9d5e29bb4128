// Where the task layer keeps its files (task-lifecycle spec §1.1, renamed for contree).
//
//   config root  $CONTREE_TASKS_CONFIG_DIR, else $CONTREE_HOME (src/config/profiles.ts)
//                └─ projects/<project>/project.yml
//   state root   $CONTREE_TASKS_ROOT, else $XDG_DATA_HOME/contree, else ~/.local/share/contree
//                ├─ core/projects/<project>/tasks/<id>_dossier.json + <id>_meta.yml   (meta dir)
//                ├─ sandbox-live/tasks/<project>/<id>/                  (default tasks root)
//                └─ archive/<project>/tasks/<UTC stamp>_<id>_<name>/    (written by delete)

import { absoluteHostPath } from "../files.ts";
import { contreeHome } from "../config/profiles.ts";
import type { Env } from "../env.ts";
import { ContreeError, UsageError } from "../errors.ts";

export interface TaskRoots {
  /** Holds `projects/<name>/project.yml`. */
  configRoot: string;
  /** Holds metadata, default workspaces and the archive. */
  stateRoot: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** `~` and `~/…` expanded against `home`. */
export function expandHome(path: string, home: string | undefined): string {
  if (home && (path === "~" || path.startsWith("~/"))) return home + path.slice(1);
  return path;
}

/**
 * The roots for this invocation, from the environment (see the header of this file), made
 * absolute against `cwd`: podman reads a relative bind source as a volume name, and runs in a
 * task's directory.
 */
export function resolveTaskRoots(env: Env, home: string | undefined, cwd = "/"): TaskRoots {
  const config = nonEmpty(env.get("CONTREE_TASKS_CONFIG_DIR"));
  const configRoot = config ? expandHome(config, home) : contreeHome(env, home);
  const explicit = nonEmpty(env.get("CONTREE_TASKS_ROOT"));
  const xdg = nonEmpty(env.get("XDG_DATA_HOME"));
  let stateRoot: string;
  if (explicit) stateRoot = expandHome(explicit, home);
  else if (xdg) stateRoot = `${expandHome(xdg, home)}/contree`;
  else if (home) stateRoot = `${home}/.local/share/contree`;
  else {
    throw new ContreeError(
      "Cannot locate the task state directory: set CONTREE_TASKS_ROOT, XDG_DATA_HOME or HOME",
    );
  }
  return {
    configRoot: absoluteHostPath(cwd, configRoot),
    stateRoot: absoluteHostPath(cwd, stateRoot),
  };
}

/**
 * Refuses a value that would escape or confuse a path built from it: empty, `.`/`..`, a leading
 * `..`, a slash or backslash, or a NUL. Every path builder below calls this.
 */
export function assertPathSafe(kind: string, value: string): string {
  if (
    value === "" || value === "." || value.startsWith("..") || /[/\\\0]/.test(value)
  ) {
    throw new UsageError(`Refusing path-unsafe ${kind}: '${value}'`);
  }
  return value;
}

export function projectsDir(roots: TaskRoots): string {
  return `${roots.configRoot}/projects`;
}

export function projectDir(roots: TaskRoots, project: string): string {
  return `${projectsDir(roots)}/${assertPathSafe("project_name", project)}`;
}

export function projectFile(roots: TaskRoots, project: string): string {
  return `${projectDir(roots, project)}/project.yml`;
}

/** `<state>/core/projects/<project>/tasks`: the dossier and bookkeeping files of every task. */
export function metaDir(roots: TaskRoots, project: string): string {
  return `${roots.stateRoot}/core/projects/${assertPathSafe("project_name", project)}/tasks`;
}

/** Where task directories live when project.yml sets no `tasks.root`. */
export function defaultTasksRoot(roots: TaskRoots, project: string): string {
  return `${roots.stateRoot}/sandbox-live/tasks/${assertPathSafe("project_name", project)}`;
}

/** `<state>/archive/<project>/tasks`: one directory per deleted task. */
export function archiveRoot(roots: TaskRoots, project: string): string {
  return `${roots.stateRoot}/archive/${assertPathSafe("project_name", project)}/tasks`;
}

/** `<tasks root>/<id>`: README, workspace-dangerous/, logs/, agent-config/. */
export function taskDir(tasksRoot: string, taskId: string): string {
  return `${tasksRoot}/${assertPathSafe("task_id", taskId)}`;
}

/** The directory bind-mounted at /workspace. The name warns host tools off it. */
export const WORKSPACE_DIR = "workspace-dangerous";
export const NEW_TASK_MARKER = ".new-task-marker";
/** Bind-mounted into the container at CONTAINER_STATUS_DIR; holds work-status.yml. */
export const AGENT_CONFIG_DIR = "agent-config";
export const CONTAINER_WORKSPACE = "/workspace";
export const CONTAINER_STATUS_DIR = "/contree";
