// `contree cp PATH DEST` (CLI spec §8.7): copy a file or a directory of an image to the local
// machine, streamed (any size, flat memory), with progress on stderr.
//
// - A file is written to a temporary file next to its destination and renamed at the end, so an
//   interrupted copy never leaves a partial file under the final name. DEST may be a directory
//   (an existing one, or a path ending in `/`): the file keeps its name inside it.
// - A directory (the download answers 422, or PATH is `/`) comes through the archive endpoint
//   and is extracted safely (extract.ts) as it streams. DEST an existing directory → DEST/<name>;
//   otherwise DEST is the copy. The copy is assembled in a temporary directory next to it, then
//   renamed into place (or merged into a directory already there, file by file with renames),
//   so a refused or interrupted archive leaves nothing behind.
// - Missing parent directories of the destination are created.

import { ApiError, NetworkError } from "../api/errors.ts";
import { writeAll } from "../bytes.ts";
import { ContreeError } from "../errors.ts";
import { streamMode } from "../style.ts";
import type { InspectDeps } from "./deps.ts";
import { bodyChunks, countedStream, declaredSize, inflateIfGzip } from "./download.ts";
import { archiveStrip, extractTar, mergeExtracted } from "./extract.ts";
import { listedSize, requireWholeDownload } from "./ls.ts";
import { TransferProgress } from "./progress.ts";

export interface CpOptions {
  path: string;
  dest: string;
  image?: string;
}

/** Past this many bytes without a known size, the parent listing is asked for the file's size. */
const SIZE_HINT_AFTER = 1 << 20;
/** How often a file download's progress is sampled. */
const PROGRESS_SAMPLE_MS = 100;

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function dirname(path: string): string {
  const at = path.lastIndexOf("/");
  return at <= 0 ? (at === 0 ? "/" : ".") : path.slice(0, at);
}

function join(dir: string, name: string): string {
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

async function stat(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Where a file copied to `path` goes, as cp(1) puts it: a new or regular file is replaced
 * (through a symbolic link, the file it points at, and the link stays); a device, a FIFO or a
 * stream of this process (`/dev/stdout`, `/dev/fd/N`) is written into (`into`), never renamed
 * over. A dangling link, a directory and a socket are refused.
 */
async function writableTarget(
  path: string,
  display: string,
): Promise<{ target: string; into: boolean; truncate?: boolean }> {
  const link = await Deno.lstat(path).catch(() => undefined);
  const info = await stat(path);
  if (link?.isSymlink && !info) {
    throw new ContreeError(`cp: not writing through dangling symlink '${display}'`);
  }
  if (info?.isDirectory) {
    throw new ContreeError(`cp: cannot overwrite directory '${display}' with a file`);
  }
  if (info?.isSocket) throw new ContreeError(`cp: cannot write into socket '${display}'`);
  // A file behind /dev/stdout (`> log`, `>> log`) is replaced in place: truncated, as cp(1) does.
  if (info && (!info.isFile || /^\/(dev|proc)\//.test(path))) {
    return { target: path, into: true, truncate: info.isFile };
  }
  return { target: link?.isSymlink ? await Deno.realPath(path) : path, into: false };
}

function randomSuffix(): string {
  return crypto.randomUUID().slice(0, 8);
}

class Copier {
  readonly progress: TransferProgress;

  constructor(private readonly deps: InspectDeps, private readonly image: string) {
    const { ctx } = deps;
    this.progress = new TransferProgress({
      stderr: ctx.stderr,
      log: ctx.log,
      clock: ctx.clock,
      tty: streamMode(ctx.stderr.isTerminal, ctx.env).tty,
    });
  }

  /** A host path as the user typed it, made absolute against the process cwd. */
  absolute(path: string): string {
    return path.startsWith("/") ? path : join(this.deps.ctx.cwd, path);
  }

  /**
   * The file's size from its directory listing (cached per image), asked only for downloads
   * that are large and whose headers do not tell it. Aborted when the download ends first.
   */
  sizeHint(path: string, signal: AbortSignal): void {
    listedSize(this.deps, this.image, path, { signal }).then((size) => {
      if (!signal.aborted && size !== undefined) this.progress.total = size;
    }).catch(() => {});
  }

  async file(response: Response, path: string, dest: string): Promise<string> {
    const destInfo = await stat(this.absolute(dest));
    const display = dest.endsWith("/") || destInfo?.isDirectory ? join(dest, basename(path)) : dest;
    let target: string;
    try {
      const where = await writableTarget(this.absolute(display), display);
      if (where.into) {
        // Renaming a file over a device would replace /dev/null for the whole system.
        await this.intoSpecial(response, path, where.target, where.truncate);
        return display;
      }
      target = where.target;
    } catch (error) {
      await response.body?.cancel().catch(() => {});
      throw error;
    }
    const dir = dirname(target);
    await Deno.mkdir(dir, { recursive: true });
    const temp = join(dir, `.${basename(target)}.contree-${randomSuffix()}.part`);
    this.progress.total = declaredSize(response);
    const hint = new AbortController();
    let hinted = false;
    // The body is piped into the file without passing through JavaScript (flat memory at any
    // size); progress samples the file's size instead of counting chunks.
    const sample = async () => {
      const size = (await stat(temp).catch(() => undefined))?.size;
      if (size === undefined || size <= this.progress.bytes) return;
      this.progress.update(size);
      if (!hinted && this.progress.total === undefined && size > SIZE_HINT_AFTER) {
        hinted = true;
        this.sizeHint(path, hint.signal);
      }
    };
    const ticker = setInterval(() => void sample(), PROGRESS_SAMPLE_MS);
    let done = false;
    try {
      const file = await Deno.open(temp, { write: true, createNew: true });
      try {
        if (response.body) await response.body.pipeTo(file.writable);
        else file.close();
      } catch (error) {
        if (this.deps.ctx.signal.aborted) throw this.deps.ctx.signal.reason;
        if (error instanceof TypeError) {
          throw new NetworkError(`the download broke: ${error.message}`, { cause: error });
        }
        throw error;
      }
      clearInterval(ticker);
      const size = (await Deno.stat(temp)).size;
      this.progress.update(size);
      await requireWholeDownload(this.deps, response, this.image, path, size);
      await Deno.rename(temp, target);
      done = true;
    } finally {
      clearInterval(ticker);
      hint.abort();
      if (!done) {
        this.progress.clear();
        await Deno.remove(temp).catch(() => {});
      }
    }
    return display;
  }

  /** Writes the download into an existing device or FIFO (no temporary file, no rename). */
  async intoSpecial(
    response: Response,
    path: string,
    target: string,
    truncate = false,
  ): Promise<void> {
    this.progress.total = declaredSize(response);
    let size = 0;
    const { signal } = this.deps.ctx;
    // Opening a FIFO waits for its reader, and writing to a full one for room: neither hears
    // an interrupt, so each is raced against it (the first Ctrl-C was lost).
    const interrupted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    interrupted.catch(() => {});
    try {
      // Write by write: a stream's writable loses the error of a small write (ENOSPC).
      using file = await Promise.race([Deno.open(target, { write: true, truncate }), interrupted]);
      // Borrowed chunks: each is written before the next is read.
      for await (const chunk of bodyChunks(response, signal, "download", { borrowed: true })) {
        await Promise.race([writeAll(file, chunk), interrupted]);
        size += chunk.length;
        this.progress.update(size);
      }
    } catch (error) {
      this.progress.clear();
      if (this.deps.ctx.signal.aborted) throw this.deps.ctx.signal.reason;
      if (error instanceof TypeError) {
        throw new NetworkError(`the download broke: ${error.message}`, { cause: error });
      }
      throw error;
    }
    await requireWholeDownload(this.deps, response, this.image, path, size);
  }

  /** `resolved`: the directory `path` is (a link's target), which links inside it point into. */
  async directory(path: string, given: string, resolved: string): Promise<string> {
    const response = await this.deps.client.archive(this.image, path);
    // `new/` that does not exist yet is the copy, as `cp -r` makes it: the slash only says
    // "a directory", and a name ending in one has no basename to rename to.
    const dest = given.length > 1 ? given.replace(/(?<=.)\/+$/, "") : given;
    const destInfo = await stat(this.absolute(dest));
    const display = destInfo?.isDirectory && basename(path) !== ""
      ? join(dest, basename(path))
      : dest;
    if (destInfo && !destInfo.isDirectory) {
      await response.body?.cancel();
      throw new ContreeError(`cp: '${dest}' exists and is not a directory`);
    }
    const target = this.absolute(display);
    const existing = await stat(target);
    if (existing && !existing.isDirectory) {
      await response.body?.cancel();
      throw new ContreeError(`cp: '${display}' exists and is not a directory`);
    }
    // Assembled apart, then renamed into place (new) or merged into it (existing): a refused or
    // broken archive leaves nothing at DEST — no half-written file over one of the user's.
    if (!existing) await Deno.mkdir(dirname(target), { recursive: true });
    const root = await Deno.makeTempDir({
      dir: dirname(target),
      prefix: `.${basename(target)}.contree-`,
      suffix: ".part",
    });
    this.progress.total = declaredSize(response);
    let done = false;
    try {
      const counted = countedStream(
        bodyChunks(response, this.deps.ctx.signal),
        (bytes) => this.progress.add(bytes),
      );
      const result = await extractTar(await inflateIfGzip(counted), root, {
        strip: archiveStrip(path),
        ownsRoot: !existing,
        // A link inside may name the directory either way (`/lib/x` and `/usr/lib/x`).
        sandboxRoots: resolved === path ? [path] : [resolved, path],
      });
      if (existing) mergeExtracted(root, target);
      else await Deno.rename(root, target);
      done = true;
      this.progress.clear();
      const warnSkipped = (list: string[], what: string) => {
        if (list.length === 0) return;
        const shown = list.slice(0, 5).join(", ");
        this.deps.ctx.log.warning(
          `Skipped ${list.length} ${what}: ${shown}${list.length > 5 ? ", …" : ""}`,
        );
      };
      warnSkipped(result.skipped, "special file(s) (devices, fifos, sockets)");
      warnSkipped(result.skippedLinks, "symbolic link(s) pointing outside the copy");
    } finally {
      if (!done) {
        this.progress.clear();
        await Deno.remove(root, { recursive: true }).catch(() => {});
      }
    }
    return display;
  }
}

export async function cpCommand(deps: InspectDeps, options: CpOptions): Promise<number> {
  if (deps.format !== "default") {
    // The reference's words (it shares them with cat).
    deps.ctx.log.warning("cp always outputs raw content; --format is ignored");
  }
  await copyFromImage(deps, options);
  return 0;
}

/** The copy of `cp`; returns where it was written (DEST, or DEST/<name> inside a directory). */
export async function copyFromImage(deps: InspectDeps, options: CpOptions): Promise<string> {
  // An empty DEST (an unset variable) is the current directory, as the reference's Path("")
  // is; joined as it was, it named the root of the host.
  const dest = options.dest === "" ? "." : options.dest;
  const { image, path } = await deps.locate(options.path, options.image);
  const copier = new Copier(deps, image);
  let response: Response | undefined;
  /** The directory as the image has it (where a link to one leads), when PATH is one. */
  let directory: string | undefined = path === "/" ? path : undefined;
  if (path !== "/") {
    try {
      response = await deps.client.download(image, path);
    } catch (error) {
      // 422: the path is not a regular file. A directory is copied through the archive
      // endpoint; anything else (a fifo, a device) is an error, as `cat` says (it became an
      // empty directory, exit 0).
      if (!(error instanceof ApiError && error.status === 422)) throw error;
      directory = await deps.client.directoryPath(image, path);
      if (directory === undefined) {
        throw new ContreeError(`cp: ${error.detail || `not a regular file: ${path}`}`);
      }
    }
  }
  let written: string;
  try {
    written = response
      ? await copier.file(response, path, dest)
      : await copier.directory(path, dest, directory ?? path);
  } catch (error) {
    // Local file system failures (permissions, a full disk) are one line, like other errors.
    if (isLocalFsError(error)) throw new ContreeError(`cp: ${(error as Error).message}`);
    throw error;
  }
  copier.progress.finish(written);
  return written;
}

function isLocalFsError(error: unknown): boolean {
  return error instanceof Error && !(error instanceof Deno.errors.BrokenPipe) &&
    Object.values(Deno.errors).some((kind) => error instanceof kind);
}
