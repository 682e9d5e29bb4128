// COPY and ADD sources of `build`: context files, heredocs, ADD <url>, local tar archives (their
// members) and COPY --from paths of other images, resolved to files and uploaded (deduplicated)
// so that they ride along with the next spawn as `files`.

import type { ContreeClient } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import type { FileSpec } from "../api/models.ts";
import { ensureFiles, LOCAL_FILE_TTL_MS } from "../api/upload.ts";
import type { ImageCache } from "../cache.ts";
import type { Context } from "../context.ts";
import { ContreeError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { octalMode } from "../operations/payload.ts";
import { normaliseSandboxPath } from "../sandbox_path.ts";
import { expandWord, type Lookup } from "./expand.ts";
import type { CopyInstruction } from "./parse.ts";
import type { ResolvedSource, SourceDir, SourceFile } from "./sources.ts";
import { sniffArchive } from "../tar/sniff.ts";
import { archiveStream, unpackArchive, type UnpackedMember } from "./tar.ts";
import { ensureUrlFile } from "./url.ts";
import type { Identity } from "./users.ts";

/** The build's scratch directory: heredoc bodies, archive members, downloads. */
export class Scratch {
  #count = 0;
  constructor(readonly dir: string) {}

  /** A fresh path inside the directory. */
  next(prefix: string): string {
    return `${this.dir}/${prefix}${++this.#count}`;
  }

  holds(path: string): boolean {
    return path.startsWith(`${this.dir}/`);
  }
}

export interface CopyDeps {
  ctx: Pick<Context, "fetch" | "signal">;
  client: ContreeClient;
  cache: ImageCache;
  log: Logger;
  concurrency: number;
}

function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** `name` below the sandbox directory `dir` ("" is `dir` itself). */
export function joinPath(dir: string, name: string): string {
  return normaliseSandboxPath(name === "" ? dir : `${dir}/${name}`);
}

export class CopySources {
  constructor(
    private readonly deps: CopyDeps,
    private readonly scratch: Scratch,
    /** The Dockerfile's escape character (heredoc expansion). */
    private readonly escape: string,
    /** `--no-cache`: ADD <url> downloads again. */
    private readonly noCache: boolean,
  ) {}

  async heredoc(
    ins: CopyInstruction,
    source: string,
    lookup: Lookup,
  ): Promise<ResolvedSource> {
    const name = source.replace(/^<<-?/, "").replace(/^["']|["']$/g, "");
    const heredoc = ins.heredocs.find((h) => h.name === name);
    if (!heredoc) throw new ContreeError(`no heredoc named ${name}`);
    const body = heredoc.expand
      ? expandWord(heredoc.body, lookup, { escape: this.escape, quotes: false })
      : heredoc.body;
    const path = this.scratch.next("heredoc-");
    await Deno.writeTextFile(path, body);
    return {
      path: name,
      isDir: false,
      files: [{ hostPath: path, rel: "", mode: 0o644 }],
      skipped: [],
    };
  }

  async url(url: string, checksum: string | undefined): Promise<ResolvedSource> {
    const { ctx, client, cache } = this.deps;
    const fetched = await ensureUrlFile(
      {
        fetch: ctx.fetch,
        signal: ctx.signal,
        client,
        cache,
        log: this.deps.log,
        scratchDir: this.scratch.dir,
      },
      url,
      { noCache: this.noCache, checksum: checksum?.replace(/^sha256:/, "") },
    );
    const file: SourceFile = { hostPath: "", rel: "", mode: 0o600, uuid: fetched.uuid };
    return { path: fetched.filename, isDir: false, files: [file], skipped: [] };
  }

  /** ADD of a local tar (plain or gzip): its members instead of the archive file. */
  async extractArchives(groups: ResolvedSource[]): Promise<ResolvedSource[]> {
    const out: ResolvedSource[] = [];
    for (const group of groups) {
      const file = group.files[0];
      const single = !group.isDir && group.files.length === 1 && file.hostPath !== "" &&
        !this.scratch.holds(file.hostPath);
      if (!single) {
        out.push(group);
        continue;
      }
      const host = file.hostPath;
      const kind = await sniffArchive(host);
      if (kind === "none") {
        out.push(group);
        continue;
      }
      if (kind !== "tar" && kind !== "gzip") {
        throw new ContreeError(
          `'${group.path}' is a ${kind}-compressed archive; ADD extracts plain and gzip tar archives only`,
        );
      }
      const dir = this.scratch.next("archive-");
      await Deno.mkdir(dir);
      const members = await unpackArchive(await archiveStream(host, kind), dir, group.path);
      out.push(membersToSource(group.path, members, ""));
    }
    return out;
  }

  /**
   * The files of `path` in `image`, from the archive API. Images are immutable, so the uploaded
   * list is kept per (image, path) for as long as local upload records (90 days).
   */
  async archived(image: string, path: string, from: string): Promise<ResolvedSource> {
    const { client, cache } = this.deps;
    const cacheKind = `build-archive:${path}`;
    const cached = await cache.get<ArchiveRecord>(image, cacheKind);
    if (
      cached && Array.isArray(cached.files) && Array.isArray(cached.dirs) &&
      client.clock.now() - cached.fetched_at * 1000 < LOCAL_FILE_TTL_MS
    ) {
      return {
        path,
        isDir: cached.isDir,
        files: cached.files,
        dirs: cached.dirs,
        skipped: cached.skipped ?? [],
      };
    }
    let response: Response;
    try {
      response = await client.archive(image, path);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        throw new ContreeError(`'${path}' not found in ${from} (image ${image})`);
      }
      throw error;
    }
    const dir = this.scratch.next("from-");
    await Deno.mkdir(dir);
    const members = await unpackArchive(
      response.body ?? new Blob().stream(),
      dir,
      `${from}:${path}`,
    );
    const source = membersToSource(path, members, path.replace(/^\/+/, ""));
    const hostPaths = [...new Set(source.files.map((f) => f.hostPath))];
    const ensured = await ensureFiles(client, cache, hostPaths, {
      concurrency: this.deps.concurrency,
      localCache: false,
      cwd: "/",
      quiet: true,
    });
    const uuids = new Map(ensured.map((e, i) => [hostPaths[i], e.uuid]));
    const files: SourceFile[] = source.files.map((f) => ({
      ...f,
      hostPath: "",
      uuid: uuids.get(f.hostPath)!,
    }));
    const record: ArchiveRecord = {
      fetched_at: client.clock.now() / 1000,
      isDir: source.isDir,
      files,
      dirs: source.dirs,
      skipped: source.skipped,
    };
    await cache.set(image, cacheKind, record);
    return { path, isDir: source.isDir, files, dirs: source.dirs, skipped: source.skipped };
  }
  /**
   * Uploads what has no file UUID yet and returns every file by its path in the sandbox, ready
   * to ride along with the next spawn.
   */
  async stage(
    groups: ResolvedSource[],
    dest: string,
    destIsDir: boolean,
    owner: Identity | undefined,
    chmod: number | undefined,
  ): Promise<Map<string, FileSpec & { uuid: string }>> {
    const planned: { path: string; file: SourceFile; uuid?: string }[] = [];
    for (const group of groups) {
      for (const file of group.files) {
        const path = group.isDir
          ? joinPath(dest, file.rel)
          : destIsDir
          ? joinPath(dest, basename(group.path))
          : dest;
        planned.push({ path, file, uuid: file.uuid });
      }
    }
    // Context files use the local upload cache; scratch copies (heredocs, archives) cannot.
    let uploaded = 0;
    for (const scratch of [false, true]) {
      const uploads = planned.filter((p) =>
        !p.uuid && this.scratch.holds(p.file.hostPath) === scratch
      );
      const paths = [...new Set(uploads.map((p) => p.file.hostPath))];
      if (paths.length === 0) continue;
      const ensured = await ensureFiles(this.deps.client, this.deps.cache, paths, {
        concurrency: this.deps.concurrency,
        localCache: !scratch,
        cwd: "/",
        quiet: true,
      });
      uploaded += ensured.filter((e) => e.outcome === "uploaded").length;
      const byPath = new Map(ensured.map((e, i) => [paths[i], e.uuid]));
      for (const p of uploads) p.uuid = byPath.get(p.file.hostPath);
    }
    const staged = new Map<string, FileSpec & { uuid: string }>();
    for (const { path, file, uuid } of planned) {
      staged.set(path, {
        uuid: uuid!,
        uid: owner?.uid ?? file.uid ?? 0,
        gid: owner?.gid ?? file.gid ?? 0,
        mode: octalMode(chmod ?? file.mode),
      });
    }
    this.deps.log.info(
      `${planned.length} file(s) staged for the next step${
        uploaded > 0 ? ` (${uploaded} uploaded)` : ""
      }`,
    );
    return staged;
  }
}

interface ArchiveRecord {
  fetched_at: number;
  isDir: boolean;
  files: SourceFile[];
  /** Absent in records written before directories were kept: those are fetched again. */
  dirs?: SourceDir[];
  skipped?: string[];
}

/**
 * Archive members as one source. Members are named relative to the root (`etc/hosts`), to the
 * source's parent (`hosts` for /etc/hosts) or to the source itself; all three are understood.
 */
export function membersToSource(
  shown: string,
  members: UnpackedMember[],
  sourceRel: string,
): ResolvedSource {
  const base = sourceRel.split("/").pop() ?? "";
  const relOf = (name: string): string => {
    for (const prefix of [sourceRel, base]) {
      if (prefix === "") continue;
      if (name === prefix) return "";
      if (name.startsWith(`${prefix}/`)) return name.slice(prefix.length + 1);
    }
    return name;
  };
  const files: SourceFile[] = [];
  const dirs: SourceDir[] = [];
  const skipped: string[] = [];
  let rootIsFile = false;
  for (const member of members) {
    const rel = relOf(member.name);
    if (member.type === "directory" && rel !== "") {
      dirs.push({ rel, mode: member.mode, uid: member.uid, gid: member.gid });
    } else if (member.type === "file" && member.hostPath) {
      if (rel === "") rootIsFile = true;
      files.push({
        hostPath: member.hostPath,
        rel,
        mode: member.mode,
        uid: member.uid,
        gid: member.gid,
      });
    } else if (member.type === "symlink") skipped.push(`${member.name} (symlink)`);
    else if (member.type === "other") skipped.push(`${member.name} (special file)`);
  }
  // Only files are injected, and they make their directories: one with none below it is not
  // copied, and said so, as for the build context.
  for (const member of members) {
    if (member.type !== "directory") continue;
    const rel = relOf(member.name);
    const name = member.name.replace(/\/+$/, "").replace(/^\.$/, "");
    // The archive's own root (`./`) is named by the source, after what is below it.
    if (name === "") continue;
    if (!files.some((file) => rel === "" || file.rel.startsWith(`${rel}/`))) {
      skipped.push(`${name}/ (empty directory)`);
    }
  }
  if (files.length === 0 && skipped.length === 0 && members.length > 0) {
    skipped.push(`${shown} (no files in it)`);
  }
  return { path: shown, isDir: !(rootIsFile && files.length === 1), files, dirs, skipped };
}
