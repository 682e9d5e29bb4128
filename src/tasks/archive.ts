// What `task delete` keeps (task-lifecycle spec §1.6):
//   <archive>/<project>/tasks/<UTC YYYYMMDDTHHMMSSffffffZ>_<id>[_<name>][_N]/
//     task.json   the merged metadata
//     logs/       a copy of the task's logs/ (when it had one)
// The timestamp leads because IDs and names are reused after deletion; a clash gets `_1`, `_2`, …

import { ContreeError } from "../errors.ts";
import { type MetaDict, metaString } from "./meta.ts";
import { archiveRoot, assertPathSafe, type TaskRoots } from "./paths.ts";

/** `20260305T143000123000Z`: UTC with six fractional digits (milliseconds, padded). */
export function archiveTimestamp(epochMs: number): string {
  const iso = new Date(epochMs).toISOString(); // 2026-03-05T14:30:00.123Z
  const [date, time] = iso.slice(0, -1).split("T");
  const [clock, millis] = time.split(".");
  return `${date.replaceAll("-", "")}T${clock.replaceAll(":", "")}${millis}000Z`;
}

function isPathSafe(value: string): boolean {
  try {
    assertPathSafe("name", value);
    return true;
  } catch {
    return false;
  }
}

/** Creates the entry directory with an exclusive mkdir, suffixing `_1`, `_2`, … on a clash. */
async function createEntryDir(root: string, base: string): Promise<string> {
  await Deno.mkdir(root, { recursive: true });
  for (let attempt = 0; attempt < 1000; attempt++) {
    const path = `${root}/${attempt === 0 ? base : `${base}_${attempt}`}`;
    try {
      await Deno.mkdir(path);
      return path;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
  throw new ContreeError(`Cannot create an archive directory for ${base} in ${root}`);
}

/**
 * Archives a task about to be deleted: its merged metadata as task.json and a copy of its logs/
 * directory. Returns the archive entry's path; throws when the entry cannot be written.
 */
export async function archiveTask(
  roots: TaskRoots,
  project: string,
  taskId: string,
  meta: MetaDict,
  taskDirectory: string,
  epochMs: number,
): Promise<string> {
  const recorded = metaString(meta.name);
  const name = recorded && isPathSafe(recorded) ? recorded : undefined;
  const base = `${archiveTimestamp(epochMs)}_${assertPathSafe("task_id", taskId)}${
    name ? `_${name}` : ""
  }`;
  const entry = await createEntryDir(archiveRoot(roots, project), base);
  const json = JSON.stringify(
    meta,
    (_key, value) => typeof value === "bigint" ? String(value) : value,
    2,
  );
  await Deno.writeTextFile(`${entry}/task.json`, json + "\n");
  const logs = `${taskDirectory}/logs`;
  let hasLogs = false;
  try {
    hasLogs = (await Deno.stat(logs)).isDirectory;
  } catch {
    // no logs captured: nothing to copy
  }
  if (hasLogs) {
    const { cp } = await import("node:fs/promises");
    await cp(logs, `${entry}/logs`, { recursive: true });
  }
  return entry;
}

export interface ArchiveEntry {
  /** The directory name, e.g. `20260305T143000123000Z_k3v8h_fix-bug`. */
  entry: string;
  path: string;
  /** The timestamp part of the name. */
  archivedAt: string;
  meta: MetaDict;
}

/**
 * The project's archive, newest first. Stray files and directories without a readable
 * task.json are skipped; a blank task.json reads as `{}`.
 */
export async function listArchives(roots: TaskRoots, project: string): Promise<ArchiveEntry[]> {
  const root = archiveRoot(roots, project);
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(root)) {
      if (entry.isDirectory) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw new ContreeError(`Cannot read ${root}: ${(error as Error).message}`);
  }
  const entries: ArchiveEntry[] = [];
  for (const name of names.sort().reverse()) {
    let meta: MetaDict;
    try {
      const text = await Deno.readTextFile(`${root}/${name}/task.json`);
      const parsed = text.trim() === "" ? {} : JSON.parse(text);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) continue;
      meta = parsed;
    } catch {
      continue;
    }
    entries.push({ entry: name, path: `${root}/${name}`, archivedAt: name.split("_")[0], meta });
  }
  return entries;
}

/**
 * The newest archive entry whose name, or whose task ID, starts with `prefix`; undefined when
 * none does.
 */
export async function findArchive(
  roots: TaskRoots,
  project: string,
  prefix: string,
): Promise<ArchiveEntry | undefined> {
  if (prefix === "") return undefined;
  return (await listArchives(roots, project)).find((entry) =>
    entry.entry.startsWith(prefix) || (entry.entry.split("_")[1] ?? "").startsWith(prefix)
  );
}
