// Safe extraction of a tar stream into a directory: nothing is ever written outside it.
//
// A member is refused (one error naming it; extraction stops) when:
// - its name is absolute or has a `..` component;
// - a directory on its way is a symbolic link or not a directory (writing through a link that an
//   earlier member created is how archives escape);
// - it would replace a directory, or replace a symbolic link with something else;
// - it would be written through a symbolic link that was not extracted (below);
// - it is a hard link whose target is not a regular file already extracted inside the root.
// An absolute link into the copied directory (`sandboxRoots`) is made relative, so the copy keeps
// working where it lands. A symbolic link whose target is still absolute or resolves outside the
// root (resolution follows links already on disk; `..` may only step out of directories that
// exist) is not created: it is listed in `skippedLinks` and extraction goes on. Images are full
// of such links (`etc/localtime -> /usr/share/zoneinfo/UTC`), and on their own they write
// nothing; a member that would go through one is refused like any write through a link.
// Files are created with O_EXCL after removing what was there, so a link planted at a member's
// path is never followed. Devices, fifos and other special members are skipped. Modes keep the
// permission bits only (no setuid/setgid/sticky); ownership is not restored.

import { writeAllSync } from "../bytes.ts";
import { ContreeError } from "../errors.ts";
import { readTar, type TarHeader } from "../tar/read.ts";
import { archiveMemberParts, relativeLinkTarget } from "../sandbox_path.ts";

export class UnsafeArchiveError extends ContreeError {
  constructor(readonly member: string, reason: string) {
    super(`Refusing to extract '${member}': ${reason}; nothing was written outside the target`);
  }
}

export interface ExtractOptions {
  /** Leading member components to drop (the archived directory's own name). */
  strip?: (parts: string[]) => string[] | undefined;
  /** The root was created for this extraction: the archived directory's mode applies to it. */
  ownsRoot?: boolean;
  /**
   * The archived directory's absolute paths in the sandbox (the root's path there: the path
   * asked for, and where it leads when it is a link): absolute link targets inside one of them
   * are made relative. Without them every absolute link is skipped.
   */
  sandboxRoots?: readonly string[];
}

export interface ExtractResult {
  files: number;
  directories: number;
  links: number;
  /** Special members (devices, fifos, sockets, sparse files) that were not created. */
  skipped: string[];
  /** Symbolic links pointing outside the target, not created (`member -> target`). */
  skippedLinks: string[];
}

const MAX_LINK_HOPS = 40;

/** Normalised components of a member name (the policy of src/sandbox_path.ts), else refused. */
export function memberParts(name: string): string[] {
  const parts = archiveMemberParts(name);
  if (typeof parts === "string") throw new UnsafeArchiveError(name, parts);
  return parts;
}

/**
 * The extractor's file calls are synchronous: an asynchronous one costs ~50 µs of thread
 * hand-over, some 20 times the call, and a small file takes six (20,000 files: ~7 s of it).
 */
function lstat(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

class Extractor {
  /** Relative paths known to be real directories (created or checked by us). */
  readonly #dirs = new Set<string>([""]);
  /** Directory modes, applied at the end (a read-only directory would block its children). */
  readonly #dirModes: [string, number, number][] = [];
  readonly result: ExtractResult = {
    files: 0,
    directories: 0,
    links: 0,
    skipped: [],
    skippedLinks: [],
  };
  /** Relative paths of the symbolic links that were not created. */
  readonly #refusedLinks = new Set<string>();

  constructor(private readonly root: string, private readonly options: ExtractOptions) {}

  #path(parts: string[]): string {
    return parts.length === 0 ? this.root : `${this.root}/${parts.join("/")}`;
  }

  /** Makes sure every parent of `parts` is a real directory, creating missing ones. */
  #parents(member: string, parts: string[]): void {
    for (let i = 1; i < parts.length; i++) {
      const rel = parts.slice(0, i).join("/");
      if (this.#refusedLinks.has(rel)) {
        throw new UnsafeArchiveError(
          member,
          `it would be written through the symbolic link '${rel}', which points outside the target directory`,
        );
      }
      if (this.#dirs.has(rel)) continue;
      const path = this.#path(parts.slice(0, i));
      const info = lstat(path);
      if (!info) Deno.mkdirSync(path);
      else if (info.isSymlink) {
        throw new UnsafeArchiveError(
          member,
          `it would be written through the symbolic link '${rel}'`,
        );
      } else if (!info.isDirectory) {
        throw new UnsafeArchiveError(member, `'${rel}' is not a directory`);
      }
      this.#dirs.add(rel);
    }
  }

  /**
   * Clears the member's own path. Returns false when there is nothing left to do (the same
   * symbolic link, or a directory to merge into).
   */
  #clear(
    member: string,
    entry: TarHeader,
    parts: string[],
    linkTarget: string,
  ): boolean {
    const path = this.#path(parts);
    const info = lstat(path);
    if (!info) return true;
    if (info.isDirectory) {
      if (entry.type === "directory") return false;
      throw new UnsafeArchiveError(member, "it would replace a directory");
    }
    if (info.isSymlink) {
      if (entry.type === "symlink" && Deno.readLinkSync(path) === linkTarget) return false;
      throw new UnsafeArchiveError(member, "it would replace a symbolic link");
    }
    Deno.removeSync(path);
    return true;
  }

  /**
   * True when a link at `parent` pointing at `target` stays inside the root. Links already on
   * disk are followed; `..` may only leave a directory that exists (a name that does not exist
   * yet could later become a link and move the target).
   */
  #inside(parent: string[], target: string): boolean {
    if (target.startsWith("/")) return false;
    const stack = [...parent];
    const queue = target.split("/");
    let hops = 0;
    while (queue.length > 0) {
      const part = queue.shift()!;
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (stack.length === 0) return false;
        const info = lstat(this.#path(stack));
        if (!info?.isDirectory) return false;
        stack.pop();
        continue;
      }
      stack.push(part);
      const info = lstat(this.#path(stack));
      if (info?.isSymlink) {
        if (++hops > MAX_LINK_HOPS) return false;
        const next = Deno.readLinkSync(this.#path(stack));
        if (next.startsWith("/")) return false;
        stack.pop();
        queue.unshift(...next.split("/"));
      }
    }
    return true;
  }

  /** An absolute target inside a sandbox root, relative to the link; else unchanged. */
  #relativeTarget(parts: string[], target: string): string {
    if (!target.startsWith("/")) return target;
    for (const root of this.options.sandboxRoots ?? []) {
      const linkDir = [root, ...parts.slice(0, -1)].join("/");
      const relative = relativeLinkTarget(linkDir, target, root);
      if (relative !== undefined) return relative;
    }
    return target;
  }

  async #file(entry: TarHeader, parts: string[], data: AsyncIterable<Uint8Array>): Promise<void> {
    const path = this.#path(parts);
    const file = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
    try {
      for await (const chunk of data) writeAllSync(file, chunk);
    } finally {
      file.close();
    }
    Deno.chmodSync(path, entry.mode & 0o777);
    this.#touch(path, entry.mtime);
    this.result.files++;
  }

  #touch(path: string, mtime: number): void {
    if (!Number.isFinite(mtime) || mtime <= 0) return;
    try {
      Deno.utimeSync(path, mtime, mtime);
    } catch {
      // a time that cannot be set is not worth failing the copy for
    }
  }

  async entry(entry: TarHeader, data: AsyncIterable<Uint8Array>): Promise<void> {
    const member = entry.name;
    const raw = memberParts(member);
    const parts = this.options.strip ? this.options.strip(raw) : raw;
    if (parts === undefined) return; // a parent of the archived directory
    if (entry.type === "other") {
      this.result.skipped.push(member);
      return;
    }
    if (parts.length === 0) {
      // The archived directory itself: only its mode matters, and only for a root we created.
      if (entry.type === "directory" && this.options.ownsRoot) {
        this.#dirModes.push(["", entry.mode, entry.mtime]);
      }
      return;
    }
    this.#parents(member, parts);
    const rel = parts.join("/");
    let linkTarget = entry.linkname;
    if (entry.type === "symlink") {
      linkTarget = this.#relativeTarget(parts, linkTarget);
      if (!(this.#inside(parts.slice(0, -1), linkTarget))) {
        this.#refusedLinks.add(rel);
        this.result.skippedLinks.push(`${member} -> ${entry.linkname}`);
        return;
      }
    }
    let linkSource: string | undefined;
    if (entry.type === "hardlink") linkSource = this.#hardlinkSource(entry);
    if (!(this.#clear(member, entry, parts, linkTarget))) {
      if (entry.type === "directory") {
        this.#dirs.add(rel);
        this.#dirModes.push([rel, entry.mode, entry.mtime]);
      }
      return;
    }
    switch (entry.type) {
      case "directory":
        Deno.mkdirSync(this.#path(parts));
        this.#dirs.add(rel);
        this.#dirModes.push([rel, entry.mode, entry.mtime]);
        this.result.directories++;
        return;
      case "symlink":
        Deno.symlinkSync(linkTarget, this.#path(parts));
        this.result.links++;
        return;
      case "hardlink":
        Deno.linkSync(linkSource!, this.#path(parts));
        this.result.links++;
        return;
      case "file":
        await this.#file(entry, parts, data);
        return;
    }
  }

  /** The host path a hard link points at: a regular file extracted inside the root. */
  #hardlinkSource(entry: TarHeader): string {
    const unsafe = (why: string) =>
      new UnsafeArchiveError(entry.name, `its hard link target '${entry.linkname}' ${why}`);
    let raw: string[];
    try {
      raw = memberParts(entry.linkname);
    } catch {
      throw unsafe("points outside the target directory");
    }
    const parts = this.options.strip ? this.options.strip(raw) : raw;
    if (!parts || parts.length === 0) throw unsafe("is not a file of the archive");
    for (let i = 1; i < parts.length; i++) {
      const info = lstat(this.#path(parts.slice(0, i)));
      if (!info?.isDirectory) throw unsafe("is not a file extracted inside the target directory");
    }
    const info = lstat(this.#path(parts));
    if (!info?.isFile) throw unsafe("is not a file extracted inside the target directory");
    return this.#path(parts);
  }

  finish(): void {
    // Deepest first, so a read-only parent does not block its children's updates.
    for (const [rel, mode, mtime] of this.#dirModes.reverse()) {
      const path = rel === "" ? this.root : `${this.root}/${rel}`;
      try {
        Deno.chmodSync(path, (mode & 0o777) | 0o700);
      } catch {
        // as for times: the files are there
      }
      this.#touch(path, mtime);
    }
  }
}

/**
 * Moves the tree extracted at `source` into the existing directory `target`, as extracting
 * there would have left it: files and links replace files, directories merge, and what the
 * extractor refuses (writing through a symbolic link, replacing a directory or a different
 * link) is refused before anything moves. Each file arrives by a rename, so an archive that
 * broke off never got here and leaves no part of a file in `target`. `source` is consumed.
 */
export function mergeExtracted(source: string, target: string): void {
  const walk = (from: string, to: string, rel: string, move: boolean) => {
    for (const entry of [...Deno.readDirSync(from)].sort((a, b) => a.name < b.name ? -1 : 1)) {
      const member = rel ? `${rel}/${entry.name}` : entry.name;
      const src = `${from}/${entry.name}`;
      const dst = `${to}/${entry.name}`;
      const there = lstat(dst);
      const here = Deno.lstatSync(src);
      if (there?.isSymlink) {
        const same = here.isSymlink && Deno.readLinkSync(src) === Deno.readLinkSync(dst);
        if (same) continue;
        throw new UnsafeArchiveError(
          member,
          here.isDirectory
            ? `it would be written through the symbolic link '${member}'`
            : "it would replace a symbolic link",
        );
      }
      if (there?.isDirectory && !here.isDirectory) {
        throw new UnsafeArchiveError(member, "it would replace a directory");
      }
      if (there?.isDirectory) {
        // The user's directory keeps its mode: a 0700 one is not opened up to the archive's.
        walk(src, dst, member, move);
        continue;
      }
      if (!move) continue;
      if (there && here.isDirectory) Deno.removeSync(dst); // a file where the archive has a directory
      Deno.renameSync(src, dst);
    }
  };
  walk(source, target, "", false);
  walk(source, target, "", true);
  Deno.removeSync(source, { recursive: true });
}

/** Extracts the tar `stream` into the existing directory `root`. */
export async function extractTar(
  stream: ReadableStream<Uint8Array>,
  root: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const extractor = new Extractor(root, options);
  for await (const { entry, data } of readTar(stream)) {
    await extractor.entry(entry, data);
  }
  extractor.finish();
  return extractor.result;
}

/**
 * The strip rule of an archive of `path`: members are named either from the image root
 * (`usr/share/doc/x`) or from the archived directory's name (`doc/x`); whichever the first
 * member uses is dropped from every member. Members above it (`usr/`, `usr/share/`) are skipped.
 */
export function archiveStrip(path: string): (parts: string[]) => string[] | undefined {
  const full = path.split("/").filter((part) => part !== "");
  const base = full.slice(-1);
  const startsWith = (parts: string[], head: string[]) =>
    head.length <= parts.length && head.every((part, i) => parts[i] === part);
  let prefix: string[] | undefined;
  return (parts) => {
    if (prefix === undefined) {
      // Ancestors named from the root come first and decide nothing.
      if (parts.length < full.length && startsWith(full, parts)) return undefined;
      prefix = startsWith(parts, full) ? full : startsWith(parts, base) ? base : [];
    }
    if (startsWith(parts, prefix)) return parts.slice(prefix.length);
    if (startsWith(prefix, parts)) return undefined;
    return parts;
  };
}
