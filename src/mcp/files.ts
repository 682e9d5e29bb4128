// The file tools: upload and rsync (host → server, deduplicated), download (image → host, the
// same safe copy as `contree cp`), list_files, read_file and grep (reading an image without a VM).

import { ApiError, isLinkLoop } from "../api/errors.ts";
import { base64ToBytes, bytesToBase64 } from "../api/stream_repr.ts";
import { ensureBytes, ensureFile, ensureFiles, sha256File } from "../api/upload.ts";
import type { FileItem, FileSpec } from "../api/models.ts";
import { concatBytes } from "../bytes.ts";
import { ContreeError } from "../errors.ts";
import { CAT_CACHE_LIMIT } from "../inspect/cat.ts";
import { copyFromImage } from "../inspect/cp.ts";
import type { InspectDeps } from "../inspect/deps.ts";
import { bodyChunks } from "../inspect/download.ts";
import { listingPages } from "../inspect/ls.ts";
import { expandFileSpecs } from "../operations/file_spec.ts";
import { octalMode } from "../operations/payload.ts";
import { normaliseSandboxPath } from "../sandbox_path.ts";
import type { ToolOutput } from "./result.ts";
import type { McpState } from "./state.ts";

/** At most this much of a file is read into a tool answer (download copies any size). */
export const READ_LIMIT = CAT_CACHE_LIMIT;
/** At most this many rsync'd paths are listed in the answer (all are in the directory state). */
const LISTED_FILES = 1000;

/** A host path as the tools take it: absolute, `~` expanded. */
export function hostPath(state: McpState, path: string, name: string): string {
  const home = state.ctx.env.get("HOME") ?? state.ctx.home;
  const expanded = path === "~" || path.startsWith("~/")
    ? (home ? `${home.replace(/\/+$/, "")}${path.slice(1)}` : path)
    : path;
  if (!expanded.startsWith("/")) {
    throw new ContreeError(`${name} must be an absolute path on this machine (~ is expanded)`);
  }
  return expanded;
}

/** The inspection port of `ls`/`cat`/`cp`, for an explicit image (MCP tools have no cwd). */
function inspectDeps(state: McpState): InspectDeps {
  return {
    ctx: state.ctx,
    client: state.client(),
    format: "default",
    output: () => {
      throw new ContreeError("no formatter in the MCP server");
    },
    cache: () => state.imageCache(),
    locate: async (path, image) => ({
      image: await state.resolveImage(image ?? ""),
      path: normaliseSandboxPath(path ?? "/"),
    }),
  };
}

export interface UploadArgs {
  path?: string;
  content?: string;
  content_base64?: string;
}

export async function uploadTool(state: McpState, args: UploadArgs): Promise<ToolOutput> {
  const given = [args.path, args.content, args.content_base64].filter((v) => v !== undefined);
  if (given.length !== 1) {
    throw new ContreeError("Give exactly one of 'path', 'content' or 'content_base64'");
  }
  const client = state.client();
  if (args.path !== undefined) {
    const path = hostPath(state, args.path, "path");
    // The server is asked, whatever the upload cache says: the UUID is the agent's to use later.
    const ensured = await ensureFile(client, await state.imageCache(), path, { refresh: true });
    const size = (await Deno.stat(ensured.absolutePath)).size;
    // A cache entry written by the reference CLI does not say; the file does.
    const sha256 = ensured.sha256 ?? await sha256File(ensured.absolutePath);
    return { uuid: ensured.uuid, sha256, size, outcome: ensured.outcome };
  }
  let bytes: Uint8Array;
  if (args.content_base64 !== undefined) {
    try {
      bytes = base64ToBytes(args.content_base64);
    } catch {
      throw new ContreeError("content_base64 is not valid base64");
    }
  } else bytes = new TextEncoder().encode(args.content);
  return await ensureBytes(client, bytes);
}

export interface RsyncArgs {
  source: string;
  destination: string;
  exclude: string[];
}

/**
 * Syncs a host directory (or file) for later runs: the files `run -F` would attach (symbolic
 * links and the default excludes skipped), each uploaded only when the server lacks it.
 */
export async function rsyncTool(state: McpState, args: RsyncArgs): Promise<ToolOutput> {
  const source = hostPath(state, args.source, "source").replace(/\/+$/, "") || "/";
  if (!args.destination.startsWith("/")) {
    throw new ContreeError("destination must be an absolute path in the sandbox");
  }
  const destination = normaliseSandboxPath(args.destination);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(source);
  } catch {
    throw new ContreeError(`source ${args.source} does not exist`);
  }
  // The destination is a directory: a file lands in it, under its own name.
  const name = source.slice(source.lastIndexOf("/") + 1);
  const instancePath = info.isFile ? `${destination.replace(/\/$/, "")}/${name}` : destination;
  // Owned by root in the sandbox, as contree-mcp does; the modes are the host's.
  const mapped = await expandFileSpecs([{ host: source, instancePath, owner: "0", group: "0" }], {
    cwd: "/",
    hostCwd: state.ctx.cwd,
    excludes: args.exclude,
    log: state.ctx.log,
    links: "skip",
  });
  const ensured = await ensureFiles(
    state.client(),
    await state.imageCache(),
    mapped.map((file) => file.hostPath),
    { concurrency: state.deps.concurrency, quiet: true },
  );
  const files: Record<string, FileSpec> = {};
  const hostPaths: Record<string, string> = {};
  const listed: Record<string, string> = {};
  const outcomes = { uploaded: 0, reused: 0, cached: 0 };
  mapped.forEach((file, i) => {
    const uuid = ensured[i].uuid;
    files[file.instancePath] = { uuid, uid: file.uid, gid: file.gid, mode: octalMode(file.mode) };
    hostPaths[file.instancePath] = file.hostPath;
    if (i < LISTED_FILES) listed[file.instancePath] = uuid;
    outcomes[ensured[i].outcome]++;
  });
  return {
    directory_state_id: state.addDirectoryState({ files, hostPaths }),
    destination,
    file_count: mapped.length,
    ...outcomes,
    files: listed,
    files_listed: Math.min(mapped.length, LISTED_FILES),
  };
}

/**
 * Asks the server again for every file of a directory state, past the upload cache, and uploads
 * what it lacks: the state's UUIDs were those of an earlier server (one replaced since, under the
 * same profile) when a run of it is refused with "file not found".
 */
export async function refreshDirectoryState(state: McpState, id: number): Promise<void> {
  const directory = state.directoryState(id);
  const paths = Object.keys(directory.hostPaths);
  const ensured = await ensureFiles(
    state.client(),
    await state.imageCache(),
    paths.map((path) => directory.hostPaths[path]),
    { concurrency: state.deps.concurrency, quiet: true, refresh: true },
  );
  paths.forEach((path, i) =>
    directory.files[path] = { ...directory.files[path], uuid: ensured[i].uuid }
  );
}

export interface DownloadArgs {
  image: string;
  path: string;
  destination: string;
  executable: boolean;
}

export async function downloadTool(state: McpState, args: DownloadArgs): Promise<ToolOutput> {
  const destination = hostPath(state, args.destination, "destination");
  const deps = inspectDeps(state);
  const image = await state.resolveImage(args.image);
  const path = normaliseSandboxPath(args.path);
  const written = await copyFromImage(deps, { image, path, dest: destination });
  const info = await Deno.stat(written);
  if (args.executable && info.isFile && Deno.build.os !== "windows") {
    await Deno.chmod(written, 0o755);
  }
  return {
    success: true,
    source: { image, path },
    destination: written,
    kind: info.isDirectory ? "directory" : "file",
    size: info.size,
    executable: args.executable && info.isFile,
  };
}

/** S_IFMT bits of a device's mode. */
const CHARACTER_DEVICE = 0o020000;
const BLOCK_DEVICE = 0o060000;

function fileType(file: Partial<FileItem>): string {
  if (file.is_symlink) return "symlink";
  if (file.is_dir) return "directory";
  if (file.is_fifo) return "fifo";
  if (file.is_socket) return "socket";
  const format = (file.mode ?? 0) & 0o170000;
  if (format === CHARACTER_DEVICE || format === BLOCK_DEVICE) return "device";
  return "file";
}

/** Entries `list_files` answers with at most (an answer an agent can read); the rest is counted. */
export const LIST_LIMIT = 10_000;

export async function listFilesTool(
  state: McpState,
  args: { image: string; path: string },
): Promise<ToolOutput> {
  const image = await state.resolveImage(args.image);
  const path = normaliseSandboxPath(args.path);
  // Under the directory the server listed (a link's target), as the listing's own path says.
  let base = path;
  const listed: FileItem[] = [];
  let count = 0;
  for await (
    const page of listingPages(inspectDeps(state), image, path, (listedPath) => base = listedPath)
  ) {
    for (const file of page) {
      if (typeof file.path !== "string") continue; // not an entry
      count++;
      if (listed.length < LIST_LIMIT) listed.push(file as FileItem);
    }
  }
  const files = listed.map((file) => ({
    name: file.path.slice(file.path.lastIndexOf("/") + 1),
    path: base === "/" ? `/${file.path}` : `${base}/${file.path}`,
    type: fileType(file),
    size: file.size,
    mode: typeof file.mode === "number" ? `0o${file.mode.toString(8)}` : null,
    target: file.is_symlink && file.symlink_to ? file.symlink_to : null,
  }));
  return { path: base, count, files, truncated: count > files.length };
}

export interface ImageFile {
  image: string;
  path: string;
  bytes: Uint8Array;
  /** The file is longer than READ_LIMIT; `bytes` is its beginning. */
  truncated: boolean;
}

/** A read of a directory (or a device, …): the caller's mistake. */
export class NotARegularFile extends ContreeError {}

/** The first READ_LIMIT bytes of a file in an image (whole small files are cached, as `cat`). */
export async function readImageFile(
  state: McpState,
  ref: string,
  file: string,
): Promise<ImageFile> {
  const image = await state.resolveImage(ref);
  const path = normaliseSandboxPath(file);
  const cache = await state.imageCache();
  const kind = `download:${path}`;
  const cached = await cache.get<string>(image, kind);
  if (typeof cached === "string") {
    return { image, path, bytes: base64ToBytes(cached), truncated: false };
  }
  let response: Response;
  try {
    response = await state.client().download(image, path);
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      if (isLinkLoop(error)) throw new NotARegularFile(error.detail);
      throw new NotARegularFile(`${path}: not a regular file (list directories with list_files)`);
    }
    throw error;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for await (
    const chunk of bodyChunks(response, state.ctx.signal, "download", { borrowed: true })
  ) {
    const room = READ_LIMIT - size;
    if (chunk.length > room) {
      chunks.push(chunk.slice(0, room));
      size += room;
      truncated = true;
      break; // bodyChunks cancels the rest of the body
    }
    chunks.push(chunk.slice());
    size += chunk.length;
  }
  const bytes = concatBytes(chunks);
  if (!truncated) await cache.set(image, kind, bytesToBase64(bytes));
  return { image, path, bytes, truncated };
}

/**
 * UTF-8 text, or undefined when the bytes are not valid UTF-8. The beginning of a longer file
 * (`cut`) may end inside a character: that tail is left out, not taken for binary.
 */
export function utf8(bytes: Uint8Array, cut = false): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: cut });
  } catch {
    return undefined;
  }
}

export async function readFileTool(
  state: McpState,
  args: { image: string; path: string },
): Promise<ToolOutput> {
  const file = await readImageFile(state, args.image, args.path);
  const text = utf8(file.bytes, file.truncated);
  return {
    path: file.path,
    content: text ?? bytesToBase64(file.bytes),
    encoding: text === undefined ? "base64" : "utf-8",
    bytes_size: file.bytes.length,
    truncated: file.truncated,
  };
}

export interface GrepArgs {
  image: string;
  pattern: string;
  path?: string;
  glob?: string;
  max_count?: number;
  max_total?: number;
  case?: "sensitive" | "insensitive" | "smart";
}

/** Searches the files of an image on the server (ripgrep), as contree-mcp's `grep` answers. */
export async function grepTool(state: McpState, args: GrepArgs): Promise<ToolOutput> {
  const image = await state.resolveImage(args.image);
  const result = await state.client().grep(image, {
    pattern: [args.pattern],
    path: args.path === undefined ? undefined : [normaliseSandboxPath(args.path)],
    glob: args.glob === undefined ? undefined : [args.glob],
    max_count: args.max_count,
    max_total: args.max_total,
    case: args.case,
  });
  return {
    path: result.path,
    patterns: result.patterns,
    truncated: result.truncated,
    matches: result.matches.map((match) => ({
      path: match.path,
      line_number: match.line_number,
      line_text: match.line_text,
    })),
  };
}
