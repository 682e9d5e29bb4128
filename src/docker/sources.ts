// COPY/ADD sources in the build context: paths and wildcards relative to the context root,
// `.dockerignore` applied (an excluded path does not exist for COPY), never outside the context.
// Directories contribute their files; a symlink is copied as the regular file it points to when
// that file is inside the context, otherwise it is skipped with a warning (ConTree injects regular
// files only, see docs/BUILD.md).

import { ContreeError } from "../errors.ts";
import { cleanPath } from "../sandbox_path.ts";
import type { IgnoreMatcher } from "./ignore.ts";

export interface SourceFile {
  /** Absolute host path of the content ("" when `uuid` is already known). */
  hostPath: string;
  /** Path below the source directory ("" when the source is the file itself). */
  rel: string;
  /** Permission bits (07777). */
  mode: number;
  /** The file UUID, for files already on the server (COPY --from, ADD <url>). */
  uuid?: string;
  /** Owner kept from an image (COPY --from); context files belong to root. */
  uid?: number;
  gid?: number;
}

/** A directory below a source directory, with what it keeps: its mode, and from an image or a
 * tar its owner (context directories belong to root). */
export interface SourceDir {
  rel: string;
  mode: number;
  uid?: number;
  gid?: number;
}

export interface ResolvedSource {
  /** The source path relative to the context root. */
  path: string;
  isDir: boolean;
  files: SourceFile[];
  /** The directories below a source directory that hold files. */
  dirs?: SourceDir[];
  /** Entries left out: symlinks leading nowhere usable, empty directories. */
  skipped: string[];
}

const GLOB = /[*?[]/;

/** A wildcard source as a regex over context-relative paths (Go's filepath.Match rules). */
export function globRegex(pattern: string): RegExp {
  let source = "^";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "*") source += "[^/]*";
    else if (ch === "?") source += "[^/]";
    else if (ch === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) throw new ContreeError(`invalid wildcard '${pattern}'`);
      let body = pattern.slice(i + 1, end);
      if (body.startsWith("^") || body.startsWith("!")) body = `^${body.slice(1)}`;
      source += `[${body.replaceAll("\\", "\\\\")}]`;
      i = end;
    } else if (ch === "\\" && i + 1 < pattern.length) {
      source += `\\${pattern[++i]}`;
    } else source += ch.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`${source}$`);
}

export class ContextReader {
  constructor(readonly root: string, readonly ignore: IgnoreMatcher) {}

  /** A source as written → its cleaned path relative to the root ("." = the root). */
  relative(source: string): string {
    const cleaned = cleanPath(source.replace(/^\/+/, ""));
    if (cleaned === ".." || cleaned.startsWith("../")) {
      throw new ContreeError(`'${source}' is outside the build context`);
    }
    return cleaned;
  }

  host(rel: string): string {
    return rel === "." ? this.root : `${this.root}/${rel}`;
  }

  /** The real path of `host` when it lies inside the context. */
  async inside(host: string): Promise<string | undefined> {
    try {
      const real = await Deno.realPath(host);
      const root = await Deno.realPath(this.root);
      return real === root || real.startsWith(`${root}/`) ? real : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Every path of the context a wildcard can match (files and directories): the non-excluded
   * ones, and an excluded directory that an exception brings something back to, as a path
   * source names it (`resolvePath`).
   */
  async all(dir = "."): Promise<string[]> {
    const found: string[] = [];
    const names: string[] = [];
    for await (const entry of Deno.readDir(this.host(dir))) names.push(entry.name);
    names.sort();
    for (const name of names) {
      const rel = dir === "." ? name : `${dir}/${name}`;
      const info = await lstatNamed(this.host(rel), name);
      if (!info) continue;
      const excluded = this.ignore.excludes(rel);
      const below = info.isDirectory && (!excluded || this.ignore.hasExceptions)
        ? await this.all(rel)
        : [];
      if (!excluded || below.length > 0) found.push(rel);
      for (const path of below) found.push(path); // not push(...below): the stack overflows past ~125,000
    }
    return found;
  }

  /** The files below directory `rel`, ignore rules applied. */
  async walk(rel: string, base: string, out: ResolvedSource): Promise<number> {
    const names: string[] = [];
    for await (const entry of Deno.readDir(this.host(rel))) names.push(entry.name);
    names.sort();
    let count = 0;
    for (const name of names) {
      const child = rel === "." ? name : `${rel}/${name}`;
      const below = base === "" ? name : `${base}/${name}`;
      const excluded = this.ignore.excludes(child);
      const info = await lstatNamed(this.host(child), name);
      if (!info) {
        if (!excluded) out.skipped.push(`${child} (a name that is not UTF-8)`);
        continue;
      }
      if (info.isDirectory) {
        if (excluded && !this.ignore.hasExceptions) continue;
        const inner = await this.walk(child, below, out);
        if (inner === 0 && !excluded) out.skipped.push(`${child}/ (empty directory)`);
        else if (inner > 0) {
          (out.dirs ??= []).push({ rel: below, mode: (info.mode ?? 0o755) & 0o7777 });
        }
        count += inner;
        continue;
      }
      if (excluded) continue;
      const file = await this.file(child, info);
      if (file) {
        out.files.push({ ...file, rel: below });
        count++;
      } else out.skipped.push(`${child} (${info.isSymlink ? "symlink" : "not a regular file"})`);
    }
    return count;
  }

  /** A regular file, or a symlink to a regular file inside the context. */
  async file(
    rel: string,
    info: Deno.FileInfo,
  ): Promise<{ hostPath: string; mode: number } | undefined> {
    const host = this.host(rel);
    if (info.isFile) return { hostPath: host, mode: (info.mode ?? 0o644) & 0o7777 };
    if (!info.isSymlink) return undefined;
    const real = await this.inside(host);
    if (!real) return undefined;
    const target = await Deno.stat(real);
    return target.isFile ? { hostPath: real, mode: (target.mode ?? 0o644) & 0o7777 } : undefined;
  }

  /**
   * Fails as `resolve` would for a source that is not there (missing, outside, excluded, a
   * link leading out), without reading a directory: a build checks every COPY up front rather
   * than after the steps before it ran. Wildcards may match nothing, so they pass.
   */
  async check(source: string): Promise<void> {
    const rel = this.relative(source);
    if (!GLOB.test(rel)) await this.locate(source, rel);
  }

  /** One path source (no wildcard). */
  async resolvePath(source: string, rel: string): Promise<ResolvedSource> {
    const info = await this.locate(source, rel);
    const out: ResolvedSource = { path: rel, isDir: info.isDirectory, files: [], skipped: [] };
    if (info.isDirectory) {
      const count = await this.walk(rel, "", out);
      // An excluded directory is there only for what an exception brings back below it (files,
      // or an empty directory or link, which the warning then names).
      if (count === 0 && out.skipped.length === 0 && rel !== "." && this.ignore.excludes(rel)) {
        throw this.notFound(source);
      }
      return out;
    }
    const file = await this.file(rel, await Deno.lstat(this.host(rel)));
    if (!file) throw new ContreeError(`'${source}' is not a regular file`);
    out.files.push({ ...file, rel: "" });
    return out;
  }

  notFound(source: string): ContreeError {
    return new ContreeError(
      `'${source}' not found in the build context${
        this.ignore.empty ? "" : " (or excluded by the ignore file)"
      }`,
    );
  }

  /** What a path source is (a symlink's target); the errors of one that cannot be copied. */
  async locate(source: string, rel: string): Promise<Deno.FileInfo> {
    const notFound = () => this.notFound(source);
    if (rel !== "." && this.ignore.excludes(rel)) {
      // An excluded directory may still hold re-included files.
      let info: Deno.FileInfo | undefined;
      try {
        info = await Deno.lstat(this.host(rel));
      } catch {
        throw notFound();
      }
      if (!info.isDirectory || !this.ignore.hasExceptions) throw notFound();
    }
    let info: Deno.FileInfo;
    try {
      // lstat follows links in the directories above the last name: they must stay inside too.
      const slash = rel.lastIndexOf("/");
      if (slash > 0 && !await this.inside(this.host(rel.slice(0, slash)))) {
        await Deno.stat(this.host(rel.slice(0, slash))); // a missing directory: not found
        throw new ContreeError(
          `'${source}' is reached through a symlink leading outside the build context`,
        );
      }
      info = await Deno.lstat(this.host(rel));
      if (info.isSymlink) {
        const real = await this.inside(this.host(rel));
        if (!real) {
          throw new ContreeError(`'${source}' is a symlink leading outside the build context`);
        }
        info = await Deno.stat(real);
        if (info.isDirectory) {
          throw new ContreeError(`'${source}' is a symlink to a directory (not supported)`);
        }
      }
    } catch (error) {
      if (error instanceof ContreeError) throw error;
      throw notFound();
    }
    return info;
  }

  /** The sources of one COPY/ADD (wildcards expanded, in order; one may match nothing). */
  async resolve(sources: readonly string[]): Promise<ResolvedSource[]> {
    const resolved: ResolvedSource[] = [];
    let everything: string[] | undefined;
    for (const source of sources) {
      const rel = this.relative(source);
      if (!GLOB.test(rel)) {
        resolved.push(await this.resolvePath(source, rel));
        continue;
      }
      everything ??= await this.all();
      const regex = globRegex(rel);
      // A pattern that matches nothing copies nothing, as in BuildKit (`COPY package.json
      // yarn.loc[k] ./` copies the lock file only when there is one).
      for (const match of everything.filter((path) => regex.test(path))) {
        resolved.push(await this.resolvePath(match, match));
      }
    }
    return resolved;
  }
}

/**
 * lstat of a directory entry; undefined for a name that is not UTF-8: Deno decodes names
 * lossily (U+FFFD), and the decoded name names no file.
 */
async function lstatNamed(path: string, name: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && name.includes("\uFFFD")) return undefined;
    throw error;
  }
}
