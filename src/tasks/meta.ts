// The one I/O boundary for task metadata (task-lifecycle spec §1.3). A task is two sibling files
// in the meta dir, each written atomically (temp file + rename):
//   <id>_dossier.json  the identity triple {project, task, name}, read by other tools
//   <id>_meta.yml      everything else (mode, workspace, created_at, ready_at, exit_code, …)
// Everything above this module sees one merged dictionary in internal key names.

import { loadYaml } from "../deps.ts";
import { ContreeError } from "../errors.ts";
import { assertPathSafe } from "./paths.ts";
import { withFileLock, writeFileAtomic } from "../files.ts";

export type MetaDict = Record<string, unknown>;

/** A recorded string value; null for anything else (the files may be edited by hand). */
export function metaString(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

const DOSSIER_SUFFIX = "_dossier.json";
const META_SUFFIX = "_meta.yml";
/** Internal key → key in the dossier JSON. */
const WIRE_KEYS = { project_name: "project", task_id: "task", name: "name" } as const;

export function dossierPath(metaDir: string, taskId: string): string {
  return `${metaDir}/${assertPathSafe("task_id", taskId)}${DOSSIER_SUFFIX}`;
}

export function metaYamlPath(metaDir: string, taskId: string): string {
  return `${metaDir}/${assertPathSafe("task_id", taskId)}${META_SUFFIX}`;
}

/**
 * The dossier path is the write handle of a task; anything else is a programming error.
 * Returns the meta dir, the task ID and the bookkeeping path belonging to it.
 */
export function splitDossierPath(path: string): { metaDir: string; taskId: string; yaml: string } {
  const slash = path.lastIndexOf("/");
  const file = path.slice(slash + 1);
  if (!file.endsWith(DOSSIER_SUFFIX) || file.length === DOSSIER_SUFFIX.length) {
    throw new Error(`not a dossier-file handle: ${path}`);
  }
  const metaDir = slash >= 0 ? path.slice(0, slash) : ".";
  const taskId = file.slice(0, -DOSSIER_SUFFIX.length);
  return { metaDir, taskId, yaml: metaYamlPath(metaDir, taskId) };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new ContreeError(`Cannot read ${path}: ${(error as Error).message}`);
  }
}

function malformed(path: string, error: unknown): ContreeError {
  const message = (error as Error).message?.split("\n")[0] ?? String(error);
  return new ContreeError(`Malformed task metadata ${path}: ${message}`);
}

/**
 * The merged metadata of a task, or null when neither file exists. A missing or blank file
 * reads as `{}`; the dossier triple wins over the same keys in the YAML; other dossier keys are
 * ignored. Parse errors throw.
 */
export async function readTaskMeta(metaDir: string, taskId: string): Promise<MetaDict | null> {
  const yamlPath = metaYamlPath(metaDir, taskId);
  const jsonPath = dossierPath(metaDir, taskId);
  const [yamlText, jsonText] = await Promise.all([readOptional(yamlPath), readOptional(jsonPath)]);
  if (yamlText === undefined && jsonText === undefined) return null;
  let meta: MetaDict = {};
  if (yamlText !== undefined && yamlText.trim() !== "") {
    let parsed: unknown;
    try {
      parsed = (await loadYaml()).parse(yamlText);
    } catch (error) {
      throw malformed(yamlPath, error);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== "object" || Array.isArray(parsed)) {
        throw malformed(yamlPath, new Error("not a mapping"));
      }
      meta = { ...parsed as MetaDict };
    }
  }
  if (jsonText !== undefined && jsonText.trim() !== "") {
    let wire: unknown;
    try {
      wire = JSON.parse(jsonText);
    } catch (error) {
      throw malformed(jsonPath, error);
    }
    if (wire === null || typeof wire !== "object" || Array.isArray(wire)) {
      throw malformed(jsonPath, new Error("not an object"));
    }
    for (const [internal, external] of Object.entries(WIRE_KEYS)) {
      const value = (wire as MetaDict)[external];
      if (value !== undefined) meta[internal] = value;
    }
  }
  return meta;
}

/**
 * Splits `meta` into the dossier JSON (the identity triple, empty values omitted, values as
 * strings) and the bookkeeping YAML (the rest), creating the meta dir. Each file is replaced
 * atomically; the two renames are separate, so readers tolerate one file being older.
 */
export async function writeTaskMeta(dossier: string, meta: MetaDict): Promise<void> {
  const { metaDir, yaml } = splitDossierPath(dossier);
  const wire: Record<string, string> = {};
  const rest: MetaDict = {};
  for (const [key, value] of Object.entries(meta)) {
    const external = WIRE_KEYS[key as keyof typeof WIRE_KEYS];
    if (external === undefined) {
      if (value !== undefined) rest[key] = value;
    } else if (value !== undefined && value !== null && value !== "" && value !== false) {
      wire[external] = String(value);
    }
  }
  await Deno.mkdir(metaDir, { recursive: true });
  const YAML = await loadYaml();
  await writeFileAtomic(dossier, JSON.stringify(wire, null, 2) + "\n");
  await writeFileAtomic(yaml, YAML.stringify(rest));
}

/**
 * Reads, applies `patch`, writes back. Returns the new metadata, or null (and writes nothing)
 * for an unknown task.
 */
export async function updateTaskMeta(
  metaDir: string,
  taskId: string,
  patch: MetaDict,
): Promise<MetaDict | null> {
  const meta = await readTaskMeta(metaDir, taskId);
  if (meta === null) return null;
  const updated = { ...meta, ...patch };
  await writeTaskMeta(dossierPath(metaDir, taskId), updated);
  return updated;
}

/** True when either metadata file of the task exists. */
export async function taskExists(metaDir: string, taskId: string): Promise<boolean> {
  for (const path of [dossierPath(metaDir, taskId), metaYamlPath(metaDir, taskId)]) {
    try {
      await Deno.lstat(path);
      return true;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return false;
}

/**
 * Runs `fn` holding the project's task lock (an flock on `<meta dir>/.lock`), so that runs and
 * deletes of its tasks happen one at a time across processes: a second `task run` of a task
 * then sees the mode the first recorded, instead of making a second container.
 */
export async function withTaskLock<T>(metaDir: string, fn: () => Promise<T>): Promise<T> {
  await Deno.mkdir(metaDir, { recursive: true });
  return await withFileLock(`${metaDir}/.lock`, fn);
}

/**
 * The IDs that have a metadata file (either kind; temp files skipped), or undefined when the
 * meta dir does not exist.
 */
export async function listTaskIds(metaDir: string): Promise<Set<string> | undefined> {
  const ids = new Set<string>();
  try {
    for await (const entry of Deno.readDir(metaDir)) {
      if (!entry.isFile) continue;
      for (const suffix of [DOSSIER_SUFFIX, META_SUFFIX]) {
        if (entry.name.endsWith(suffix) && entry.name.length > suffix.length) {
          ids.add(entry.name.slice(0, -suffix.length));
        }
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new ContreeError(`Cannot read ${metaDir}: ${(error as Error).message}`);
  }
  return ids;
}
