// `contree file` (CLI spec §8.9): stage host files or edited sandbox files for the next run,
// and list the files uploaded to the server.
//
// Staging = a `file` history entry on the active branch plus its session_files row; the file
// rides along with every run until a successful run (CLI spec §3.1). Unlike the reference, a
// relative sandbox PATH/DEST is resolved against the session cwd (the API needs absolute paths).

import { ApiError } from "../api/errors.ts";
import type { FileRecord } from "../api/models.ts";
import { paginate } from "../api/paginate.ts";
import { ensureFile, LOCAL_FILE_PREFIX, type LocalFileRecord } from "../api/upload.ts";
import { formatApiTime, timeRange } from "../time_filter.ts";
import { imageCache } from "./adapters.ts";
import type { SessionDeps } from "./deps.ts";
import { ContreeError, UsageError } from "../errors.ts";
import { splitShellWords } from "../shell_words.ts";
import { overlongPath } from "../sandbox_path.ts";
import { sha256Hex } from "../bytes.ts";

/** A staged file no run could create fails every later run: refused when it is staged. */
function refuseOverlongDest(path: string): void {
  const overlong = overlongPath(path);
  if (overlong) throw new UsageError(`file cp: DEST has a ${overlong}`);
}

/**
 * `file cp SRC DEST`: upload a host file (deduplicated) and stage it at DEST — inside DEST when
 * that is a directory (it ends in `/`, or the session's image has one there), as cp does.
 */
export async function fileCopy(deps: SessionDeps, source: string, dest: string): Promise<number> {
  if (dest === "") throw new UsageError("file cp: DEST is empty");
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(source.startsWith("/") ? source : `${deps.ctx.cwd}/${source}`);
  } catch {
    throw new ContreeError(`File not found: ${source}`);
  }
  if (!info.isFile) throw new ContreeError(`file cp: ${source} is not a file`);
  const store = await deps.store();
  const key = await deps.sessionKey();
  const tip = store.requireTip(key);
  const resolved = store.resolvePath(key, dest);
  refuseOverlongDest(resolved);
  const name = source.slice(source.lastIndexOf("/") + 1);
  const intoDirectory = !dest.endsWith("/") &&
    await deps.client().isDirectory(tip.image, resolved);
  const path = dest.endsWith("/") || intoDirectory
    ? `${resolved.replace(/\/+$/, "")}/${name}`
    : resolved;
  refuseOverlongDest(path);
  // Inside a directory of the image it has a place; elsewhere no ancestor may be a file.
  if (!intoDirectory) await refuseFileInTheWay(deps, tip.image, path);
  // The server is asked, whatever the upload cache says: a staged UUID must hold until the run
  // (a cached one from a server that was replaced failed every run of the session).
  const file = await ensureFile(deps.client(), imageCache(store), source, {
    cwd: deps.ctx.cwd,
    refresh: true,
  });
  store.stageFile(key, { path, fileUuid: file.uuid });
  deps.ctx.log.info(`Staged ${source} -> ${path} (file ${file.uuid}) for the next run`);
  return 0;
}

/**
 * Refuses a DEST below something of the image that is not a directory (`/etc/hosts/x`): every
 * later run would fail at podman's copy. Ancestors that do not exist yet are made by the run.
 */
async function refuseFileInTheWay(deps: SessionDeps, image: string, path: string) {
  for (let at = path.lastIndexOf("/"); at > 0; at = path.lastIndexOf("/", at - 1)) {
    const parent = path.slice(0, at);
    try {
      await deps.client().listDirectory(image, parent);
      return; // a directory (or a link to one)
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 422) {
        throw new ContreeError(`file cp: ${parent} is not a directory in the image`);
      }
      if (error.status !== 404) throw error;
    }
  }
}

function onPath(name: string, pathVariable: string | undefined): boolean {
  for (const dir of (pathVariable ?? "").split(":")) {
    if (!dir) continue;
    try {
      const info = Deno.statSync(`${dir}/${name}`);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * The editor: --editor > $EDITOR > `[cli] editor` > vim > nano (on PATH) > vi. Those three need
 * a terminal: without one (an agent, a script) they would hang or print screen codes.
 */
export function editorCommand(deps: SessionDeps, explicit?: string): string {
  const configured = explicit || deps.ctx.env.get("EDITOR") || deps.configuredEditor;
  if (configured?.trim()) return configured;
  if (!deps.ctx.stdin.isTerminal || !deps.ctx.stdout.isTerminal) {
    throw new UsageError(
      "file edit: no terminal for an interactive editor; name a command that edits the file " +
        "(its path is the last argument) with -E/--editor or EDITOR, e.g. -E 'sed -i s/a/b/'",
    );
  }
  const path = deps.ctx.env.get("PATH");
  for (const candidate of ["vim", "nano"]) if (onPath(candidate, path)) return candidate;
  return "vi";
}

/**
 * How the editor opens `file`: through the shell, as the reference and git run $EDITOR (it may
 * hold variables, `~`, options: `TERM=xterm vim`), the file passed as "$1" so that its name is
 * never parsed. Without a POSIX shell (Windows), the editor's words are run directly.
 */
export function editorArgv(editor: string, file: string): string[] {
  if (Deno.build.os === "windows") return [...splitShellWords(editor), file];
  return ["sh", "-c", `${editor} "$1"`, "sh", file];
}

async function download(deps: SessionDeps, image: string, path: string): Promise<Uint8Array> {
  try {
    const response = await deps.client().download(image, path);
    return new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return new Uint8Array();
    throw error;
  }
}

/** `file edit PATH`: edit a sandbox file locally and stage the result when it changed. */
export async function fileEdit(deps: SessionDeps, path: string, editor?: string): Promise<number> {
  const store = await deps.store();
  const key = await deps.sessionKey();
  const tip = store.requireTip(key);
  const target = store.resolvePath(key, path);
  const editorLine = editorCommand(deps, editor);
  const before = await download(deps, tip.image, target);
  const dir = await Deno.makeTempDir({ prefix: "contree-edit-" });
  try {
    const local = `${dir}/${target.slice(target.lastIndexOf("/") + 1) || "file"}`;
    await Deno.writeFile(local, before, { mode: 0o600 });
    let status: Deno.CommandStatus;
    const argv = editorArgv(editorLine, local);
    try {
      status = await new Deno.Command(argv[0], {
        args: argv.slice(1),
        stdin: "inherit",
        stdout: "inherit",
        stderr: "inherit",
      }).spawn().status;
    } catch (error) {
      throw new ContreeError(`Cannot run editor '${editorLine}': ${(error as Error).message}`);
    }
    if (!status.success) throw new ContreeError(`Editor exited with code ${status.code}`);
    const after = await Deno.readFile(local);
    if ((await sha256Hex(after)) === (await sha256Hex(before))) {
      deps.ctx.log.info("No changes detected, skipping upload");
      return 0;
    }
    const file = await ensureFile(deps.client(), imageCache(store), local, {
      localCache: false,
    });
    store.stageFile(key, { path: target, fileUuid: file.uuid });
    deps.ctx.log.info(`Staged ${target} (file ${file.uuid}) for the next run`);
    return 0;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

export interface FileListOptions {
  since?: string;
  until?: string;
  limit: number;
  quiet: boolean;
}

/** `file ls`: files on the server, each with its local source when this machine uploaded it. */
export async function fileList(deps: SessionDeps, options: FileListOptions): Promise<number> {
  const range = timeRange(options, deps.ctx.clock.now());
  const store = await deps.store();
  const sources = new Map<string, string>();
  for (const { value } of store.cacheEntries("", LOCAL_FILE_PREFIX)) {
    const record = value as Partial<LocalFileRecord> | null;
    const source = record?.local_path ?? record?.url;
    if (typeof record?.uuid === "string" && typeof source === "string") {
      sources.set(record.uuid, source);
    }
  }
  const client = deps.client();
  const query = {
    since: range.since && formatApiTime(range.since),
    until: range.until && formatApiTime(range.until),
  };
  const out = deps.output({ tail: ["source"] });
  let shown = 0;
  let truncated = false;
  const pages = paginate<FileRecord>(
    (offset, limit) => client.listFiles({ ...query, offset, limit }),
    { limit: options.limit, concurrency: deps.concurrency },
  );
  outer: for await (const page of pages) {
    for (const file of page) {
      if (shown >= options.limit) {
        truncated = true;
        break outer;
      }
      const source = sources.get(file.uuid) ?? "";
      await out.write(
        options.quiet ? { uuid: file.uuid, sha256: file.sha256, source } : { ...file, source },
      );
      shown++;
    }
    await out.flush();
  }
  await out.flush();
  if (truncated) {
    deps.ctx.log.warning(
      `Output truncated at --limit=${options.limit} files; more results are available. ` +
        "Raise --limit or narrow with --since/--until.",
    );
  }
  return 0;
}
