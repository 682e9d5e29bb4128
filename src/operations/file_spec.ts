// `run -F/--file` specs (CLI spec §8.1 step 2):
//   host[:/inst/path][:u<uid|name>][:g<gid|name>][:m<octal>]
// Parts after the host come in any order. Missing parts come from stat(host). Directories are
// walked recursively with the default excludes plus `--file-excludes`.
//
// Deviation (§12.27): without an instance path, a relative host path lands relative to the
// session cwd (the reference used the string as typed, a relative path inside the sandbox).

import { ContreeError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { cleanPath } from "../sandbox_path.ts";

export const DEFAULT_EXCLUDES = [
  ".*",
  ".git",
  "*.pyc",
  "__pycache__",
  ".mypy_cache",
  ".pytest_cache",
  ".venv",
  "node_modules",
  "dist",
  "build",
] as const;

export interface FileSpecParts {
  host: string;
  instancePath?: string;
  owner?: string;
  group?: string;
  mode?: string;
}

/** One host file to inject, with its final sandbox path and ownership. */
export interface MappedFile {
  hostPath: string;
  instancePath: string;
  uid: number;
  gid: number;
  /** Permission bits (mode & 0o7777). */
  mode: number;
}

export class FileSpecError extends ContreeError {}

/**
 * Splits a spec into its parts; on Windows a drive prefix (`C:\…`) stays with the host (on
 * other systems `a:/x` is host `a` with instance path `/x`).
 */
export function parseFileSpec(spec: string, windows = Deno.build.os === "windows"): FileSpecParts {
  let rest = spec;
  let drive = "";
  if (windows && /^[A-Za-z]:[\\/]/.test(spec)) {
    drive = spec.slice(0, 2);
    rest = spec.slice(2);
  }
  const [hostTail, ...fields] = rest.split(":");
  const parts: FileSpecParts = { host: drive + hostTail };
  if (!parts.host) throw new FileSpecError(`--file ${spec}: host_path is required`);
  for (const field of fields) {
    if (field.startsWith("/")) {
      if (parts.instancePath !== undefined) {
        throw new FileSpecError(`--file ${spec}: duplicate instance path`);
      }
      parts.instancePath = field;
    } else if (/^u.+/.test(field)) parts.owner = field.slice(1);
    else if (/^g.+/.test(field)) parts.group = field.slice(1);
    else if (/^m.+/.test(field)) parts.mode = field.slice(1);
    else {
      throw new FileSpecError(
        `--file ${spec}: unknown field '${field}' (expected /path, u<uid>, g<gid>, or m<mode>)`,
      );
    }
  }
  return parts;
}

/** Python fnmatch: `*` (any run, `/` included), `?`, `[seq]`, `[!seq]`; whole-string match. */
export function fnmatch(name: string, pattern: string): boolean {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") source += ".*";
    else if (c === "?") source += ".";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end === -1) source += "\\[";
      else {
        let set = pattern.slice(i + 1, end);
        if (set.startsWith("!")) set = "^" + set.slice(1);
        source += `[${set.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s").test(name);
}

/** Excluded when the whole relative path or any of its components matches a pattern. */
export function isExcluded(relativePath: string, patterns: readonly string[]): boolean {
  const components = relativePath.split("/");
  return patterns.some((pattern) =>
    fnmatch(relativePath, pattern) || components.some((part) => fnmatch(part, pattern))
  );
}

/** Reads `name:x:id:…` databases (/etc/passwd, /etc/group) into name → id. */
async function readIdDatabase(path: string): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  try {
    for (const line of (await Deno.readTextFile(path)).split("\n")) {
      const [name, , id] = line.split(":");
      if (name && id && /^\d+$/.test(id)) ids.set(name, Number(id));
    }
  } catch {
    // no database on this platform: names resolve to 0 with a warning
  }
  return ids;
}

export interface ExpandOptions {
  /** Extra exclude globs (--file-excludes). */
  excludes?: readonly string[];
  /** Where relative instance paths land (the session cwd, or `/`). */
  cwd: string;
  /** Where relative host paths are read from (the process cwd). */
  hostCwd: string;
  log: Logger;
  /**
   * Symbolic links to files inside a walked directory: "follow" sends the file they point at
   * (the reference CLI's `--file`); "skip" leaves them out (MCP rsync: a link must not pull in
   * a file from outside the directory).
   */
  links?: "follow" | "skip";
}

/** Expands specs into the files to inject: `--file` strings, or their parts (no `:` grammar). */
export async function expandFileSpecs(
  specs: readonly (string | FileSpecParts)[],
  options: ExpandOptions,
): Promise<MappedFile[]> {
  const patterns = [...DEFAULT_EXCLUDES, ...(options.excludes ?? [])];
  let users: Map<string, number> | undefined;
  let groups: Map<string, number> | undefined;
  const resolveId = async (
    value: string | undefined,
    kind: "user" | "group",
  ): Promise<number | undefined> => {
    if (value === undefined) return undefined;
    if (/^\d+$/.test(value)) return Number(value);
    const db = kind === "user"
      ? (users ??= await readIdDatabase("/etc/passwd"))
      : (groups ??= await readIdDatabase("/etc/group"));
    const id = db.get(value);
    if (id === undefined) options.log.warning(`Unknown ${kind} '${value}', using 0`);
    return id ?? 0;
  };

  const files: MappedFile[] = [];
  for (const given of specs) {
    const parts = typeof given === "string" ? parseFileSpec(given) : given;
    const spec = typeof given === "string" ? given : given.host;
    const hostPath = parts.host.startsWith("/") ? parts.host : `${options.hostCwd}/${parts.host}`;
    let stat: Deno.FileInfo;
    try {
      stat = await Deno.stat(hostPath);
    } catch {
      throw new FileSpecError(`--file ${spec}: ${parts.host} does not exist`);
    }
    const uid = await resolveId(parts.owner, "user");
    const gid = await resolveId(parts.group, "group");
    const mode = parts.mode === undefined
      ? undefined
      : (/^[0-7]+$/.test(parts.mode) ? parseInt(parts.mode, 8) : 0);
    const target = cleanPath(
      parts.instancePath ??
        (parts.host.startsWith("/") ? parts.host : `${options.cwd}/${parts.host}`),
    );
    const own = (info: Deno.FileInfo) => ({
      uid: uid ?? info.uid ?? 0,
      gid: gid ?? info.gid ?? 0,
      mode: mode ?? ((info.mode ?? 0o644) & 0o7777),
    });
    if (stat.isFile) {
      files.push({ hostPath, instancePath: target, ...own(stat) });
    } else if (stat.isDirectory) {
      for await (const relative of walk(hostPath, "", patterns, options.links ?? "follow")) {
        const info = await Deno.stat(`${hostPath}/${relative}`);
        files.push({
          hostPath: `${hostPath}/${relative}`,
          instancePath: cleanPath(`${target}/${relative}`),
          ...own(info),
        });
      }
    } else {
      throw new FileSpecError(`--file ${spec}: ${parts.host} is neither a file nor a directory`);
    }
  }
  return files;
}

async function* walk(
  root: string,
  prefix: string,
  patterns: readonly string[],
  links: "follow" | "skip",
): AsyncGenerator<string> {
  const entries = [];
  for await (const entry of Deno.readDir(prefix ? `${root}/${prefix}` : root)) entries.push(entry);
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  for (const entry of entries) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (isExcluded(relative, patterns)) continue;
    if (entry.isDirectory) yield* walk(root, relative, patterns, links);
    else if (entry.isFile) yield relative;
    else if (
      links === "follow" && entry.isSymlink && await isFileBehindLink(`${root}/${relative}`)
    ) {
      // As the reference (os.walk, then os.path.isfile): a link to a file brings the file's
      // content; a link to a directory is not walked; a dangling one is skipped.
      yield relative;
    }
  }
}

async function isFileBehindLink(path: string): Promise<boolean> {
  return (await Deno.stat(path).catch(() => undefined))?.isFile === true;
}
