// Reading images without running them (API spec §3.7): the image is mounted read-only with
// `podman image mount` (root podman; rootless podman would need `podman unshare`), and paths are
// resolved inside the mount with chroot semantics — absolute symlink targets and `..` never
// leave the image root. Mounts are reused (least recently used ones beyond `maxMounts` are
// unmounted) and all are unmounted on shutdown.

import type { FileItem } from "../api/models.ts";
import { isUnknownImage, type PodmanRunner, runChecked } from "../podman.ts";
import { HttpError } from "./errors.ts";
import { overlongPath, sandboxPathParts } from "../sandbox_path.ts";
import { iteratorStream, tarChunks, type TarEntry, type TarMember } from "../tar/write.ts";

interface Mount {
  root: Promise<string>;
  /** The mount point, once podman has printed it. */
  mounted?: string;
  users: number;
  lastUsed: number;
  names?: Promise<IdNames>;
}

export interface MountLease {
  root: string;
  /** uid/gid → names from the image's /etc/passwd and /etc/group. */
  names(): Promise<IdNames>;
  release(): void;
}

export class ImageMounts {
  readonly #mounts = new Map<string, Mount>();
  #clock = 0;

  constructor(private readonly podman: PodmanRunner, private readonly maxMounts = 16) {}

  /** Mounts the image (or reuses its mount); call `release` when done. */
  async acquire(podmanId: string): Promise<MountLease> {
    let mount = this.#mounts.get(podmanId);
    if (mount?.mounted !== undefined && !(await isMountPoint(mount.mounted))) {
      // Unmounted behind the server's back (`podman image unmount`, another tool's clean-up):
      // reading the empty directory would answer 404s and 500s until the server restarts.
      if (this.#mounts.get(podmanId) === mount) this.#mounts.delete(podmanId);
      mount = this.#mounts.get(podmanId);
    }
    if (!mount) {
      const entry: Mount = { root: Promise.resolve(""), users: 0, lastUsed: 0 };
      entry.root = runChecked(this.podman, ["image", "mount", podmanId]).then((path) => {
        if (!path) throw new Error("podman printed no mount point");
        entry.mounted = path;
        return path;
      });
      mount = entry;
      this.#mounts.set(podmanId, mount);
      entry.root.catch(() => this.#mounts.delete(podmanId));
    }
    mount.users++;
    mount.lastUsed = ++this.#clock;
    let root: string;
    try {
      root = await mount.root;
    } catch (error) {
      mount.users--;
      // Removed behind the server's back (`podman rmi`, `podman system prune -a`): no retry
      // brings it back.
      if (isUnknownImage(error)) {
        throw new HttpError(
          404,
          "the image is gone from podman's storage (removed outside contree)",
        );
      }
      // podman's message may name host paths: it goes to the log, not to the client.
      throw new HttpError(500, "cannot mount the image", {}, error);
    }
    const entry = mount;
    this.#evict();
    let released = false;
    return {
      root,
      names: () => entry.names ??= readIdNames(root),
      release: () => {
        if (released) return;
        released = true;
        entry.users--;
        this.#evict();
      },
    };
  }

  /** Runs `fn` with the image mounted. */
  async use<T>(podmanId: string, fn: (lease: MountLease) => Promise<T>): Promise<T> {
    const lease = await this.acquire(podmanId);
    try {
      return await fn(lease);
    } finally {
      lease.release();
    }
  }

  async closeAll(): Promise<void> {
    const ids = [...this.#mounts.keys()];
    this.#mounts.clear();
    await Promise.all(ids.map((id) => this.#unmount(id)));
  }

  #evict(): void {
    if (this.#mounts.size <= this.maxMounts) return;
    const idle = [...this.#mounts.entries()]
      .filter(([, mount]) => mount.users === 0)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [id] of idle.slice(0, this.#mounts.size - this.maxMounts)) {
      this.#mounts.delete(id);
      void this.#unmount(id);
    }
  }

  async #unmount(podmanId: string): Promise<void> {
    await this.podman.run(["image", "unmount", podmanId]).catch(() => {});
  }
}

/**
 * Whether `root` still holds the image: a mount point (another device than its parent, as an
 * overlay mount is) or, for a storage driver that mounts nothing (vfs), a directory with entries.
 */
async function isMountPoint(root: string): Promise<boolean> {
  try {
    const [inner, outer] = await Promise.all([Deno.stat(root), Deno.stat(`${root}/..`)]);
    if (inner.dev !== outer.dev) return true;
    for await (const _ of Deno.readDir(root)) return true;
    return false;
  } catch {
    return false; // gone: podman removes the merged directory when it unmounts
  }
}

// ---- paths inside the image ----

const MAX_SYMLINKS = 40;

/** The components of a request path; `..` above the root is refused. */
export function requestComponents(path: string): string[] {
  if (path.includes("\0")) throw new HttpError(400, "path must not contain a NUL byte");
  const overlong = overlongPath(path);
  if (overlong) throw new HttpError(400, `${overlong}: ${path.slice(0, 64)}…`);
  const parts = sandboxPathParts(path);
  if (!parts) throw new HttpError(400, `path escapes the image root: ${path}`);
  return parts;
}

export interface ResolvedPath {
  /** Path on the host, inside the mount (every component a real directory or the target). */
  host: string;
  /** The same path as seen inside the image. */
  path: string;
  info: Deno.FileInfo;
}

/**
 * lstat, synchronously: an asynchronous file operation costs ~50 µs of thread hand-over, some
 * 20 times the call itself, and listings and archives make one per entry.
 */
function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw error;
  }
}

/**
 * Resolves `path` inside the image mounted at `root`, following symlinks within the root (the
 * last component only when `followFinal`). Undefined when a component does not exist.
 */
export async function resolveInImage(
  root: string,
  path: string,
  followFinal = true,
): Promise<ResolvedPath | undefined> {
  const pending = requestComponents(path);
  // `name/` (or `name/.`) names a directory, as in POSIX: a link there is followed, and a file
  // is not found (it was read as the file).
  const directoryOnly = pending.length > 0 && /\/\.?$/.test(path);
  if (directoryOnly) followFinal = true;
  const current: string[] = [];
  let info: Deno.FileInfo | undefined;
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "..") {
      current.pop();
      info = undefined; // the one popped: the parent's is read at the end
      continue;
    }
    const next = lstatOrUndefined(`${root}/${[...current, part].join("/")}`);
    if (!next) return undefined;
    if (next.isSymlink && (pending.length > 0 || followFinal)) {
      if (++links > MAX_SYMLINKS) {
        throw new HttpError(422, `too many levels of symbolic links: ${path}`);
      }
      const target = await Deno.readLink(`${root}/${[...current, part].join("/")}`);
      if (target.startsWith("/")) current.length = 0;
      pending.unshift(...target.split("/").filter((p) => p !== "" && p !== "."));
      continue;
    }
    if (pending.length > 0 && !next.isDirectory) return undefined;
    current.push(part);
    info = next;
  }
  const host = [root, ...current].join("/");
  // Ended at the root (`link-to-root/`) or after a `..`: no part's info is the final one.
  if (current.length === 0 || !info) info = await Deno.stat(host);
  if (directoryOnly && !info.isDirectory) return undefined;
  return { host, path: `/${current.join("/")}`, info };
}

// ---- owners ----

export interface IdNames {
  users: Map<number, string>;
  groups: Map<number, string>;
}

async function readIdTable(root: string, path: string): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  try {
    const resolved = await resolveInImage(root, path);
    if (!resolved?.info.isFile) return names;
    for (const line of (await Deno.readTextFile(resolved.host)).split("\n")) {
      const [name, , id] = line.split(":");
      const number = Number(id);
      if (name && id !== undefined && Number.isInteger(number) && !names.has(number)) {
        names.set(number, name);
      }
    }
  } catch {
    // An unreadable table only means numeric owners.
  }
  return names;
}

async function readIdNames(root: string): Promise<IdNames> {
  const [users, groups] = await Promise.all([
    readIdTable(root, "/etc/passwd"),
    readIdTable(root, "/etc/group"),
  ]);
  return { users, groups };
}

// ---- list ----

function fileItem(name: string, info: Deno.FileInfo, names: IdNames, target: string): FileItem {
  const uid = info.uid ?? 0;
  const gid = info.gid ?? 0;
  return {
    size: info.size,
    path: name,
    owner: names.users.get(uid) ?? uid,
    group: names.groups.get(gid) ?? gid,
    uid,
    gid,
    mode: info.mode ?? 0,
    mtime: Math.trunc((info.mtime?.getTime() ?? 0) / 1000),
    nlink: info.nlink ?? 1,
    is_dir: info.isDirectory,
    is_regular: info.isFile,
    is_symlink: info.isSymlink,
    is_socket: info.isSocket === true,
    is_fifo: info.isFifo === true,
    symlink_to: target,
  };
}

/** A directory inside the image, opened for listing: its entries' names, sorted. */
export interface Listing {
  /** The path inside the image, as the listing reports it. */
  path: string;
  host: string;
  names: string[];
  ids: IdNames;
}

/** Opens a directory for listing (404 when missing, 422 when not a directory). */
export async function openListing(lease: MountLease, path: string): Promise<Listing> {
  const resolved = await resolveInImage(lease.root, path);
  if (!resolved) throw new HttpError(404, `no such file or directory: ${path}`);
  if (!resolved.info.isDirectory) throw new HttpError(422, `not a directory: ${path}`);
  const ids = await lease.names();
  const names: string[] = [];
  for (const entry of Deno.readDirSync(resolved.host)) names.push(entry.name);
  names.sort();
  return { path: resolved.path, host: resolved.host, names, ids };
}

/** The listing's items, one at a time (an entry gone meanwhile is skipped). */
function* listingItems(listing: Listing): Generator<FileItem> {
  for (const name of listing.names) {
    const host = `${listing.host}/${name}`;
    const info = lstatOrUndefined(host);
    if (!info) continue;
    yield fileItem(name, info, listing.ids, info.isSymlink ? Deno.readLinkSync(host) : "");
  }
}

/** Items per piece of a streamed listing. */
const LISTING_PIECE_ITEMS = 512;

/** Strings joined `LISTING_PIECE_ITEMS` at a time, each piece encoded once. */
function* encodedPieces(parts: Iterable<string>): Generator<Uint8Array> {
  const encoder = new TextEncoder();
  let piece: string[] = [];
  for (const part of parts) {
    piece.push(part);
    if (piece.length === LISTING_PIECE_ITEMS) {
      yield encoder.encode(piece.join(""));
      piece = [];
    }
  }
  if (piece.length > 0) yield encoder.encode(piece.join(""));
}

/**
 * The listing as JSON in pieces: the bytes of `JSON.stringify({ path, files })`, without holding
 * every item (a directory of 300,000 entries took the server to ~600 MB as one document).
 */
export async function* listingJson(listing: Listing): AsyncGenerator<Uint8Array> {
  function* parts(): Generator<string> {
    yield `{"path":${JSON.stringify(listing.path)},"files":[`;
    let first = true;
    for (const item of listingItems(listing)) {
      yield (first ? "" : ",") + JSON.stringify(item);
      first = false;
    }
    yield "]}";
  }
  yield* encodedPieces(parts());
}

function modeString(item: FileItem): string {
  const type = item.is_dir
    ? "d"
    : item.is_symlink
    ? "l"
    : item.is_fifo
    ? "p"
    : item.is_socket
    ? "s"
    : !item.is_regular
    ? ((item.mode & 0o170000) === 0o060000 ? "b" : "c")
    : "-";
  const bits = "rwxrwxrwx".split("").map((c, i) => item.mode & (1 << (8 - i)) ? c : "-");
  if (item.mode & 0o4000) bits[2] = bits[2] === "x" ? "s" : "S";
  if (item.mode & 0o2000) bits[5] = bits[5] === "x" ? "s" : "S";
  if (item.mode & 0o1000) bits[8] = bits[8] === "x" ? "t" : "T";
  return type + bits.join("");
}

function listingRow(item: FileItem): string[] {
  return [
    modeString(item),
    String(item.nlink),
    String(item.owner),
    String(item.group),
    String(item.size),
    new Date(item.mtime * 1000).toISOString().slice(0, 16).replace("T", " "),
    item.symlink_to ? `${item.path} -> ${item.symlink_to}` : item.path,
  ];
}

/**
 * An `ls -l`-like listing of `items`: mode, links, owner, group, size, mtime (UTC),
 * name[ -> target], one line each. Columns are as wide as their widest cell, so `items` is
 * iterated twice: once for the widths, once for the lines.
 */
export function* listingLines(items: () => Iterable<FileItem>): Generator<string> {
  const widths = [0, 0, 0, 0, 0];
  for (const item of items()) {
    const row = listingRow(item);
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i], row[i].length);
  }
  for (const item of items()) {
    const row = listingRow(item);
    yield [
      row[0],
      row[1].padStart(widths[1]),
      row[2].padEnd(widths[2]),
      row[3].padEnd(widths[3]),
      row[4].padStart(widths[4]),
      row[5],
      row[6],
    ].join(" ") + "\n";
  }
}

/** The text listing (`list?text=1`, what `contree ls` prints) in pieces. */
export async function* listingText(listing: Listing): AsyncGenerator<Uint8Array> {
  yield* encodedPieces(listingLines(() => listingItems(listing)));
}

// ---- download ----

/** A regular file inside the image (404 when missing, 422 when not a regular file). */
export async function regularFile(lease: MountLease, path: string): Promise<ResolvedPath> {
  const resolved = await resolveInImage(lease.root, path);
  if (!resolved) throw new HttpError(404, `no such file: ${path}`);
  if (resolved.info.isDirectory) throw new HttpError(422, `is a directory: ${path}`);
  if (!resolved.info.isFile) throw new HttpError(422, `not a regular file: ${path}`);
  return resolved;
}

// ---- archive ----

function entryType(info: Deno.FileInfo): TarEntry["type"] | undefined {
  if (info.isFile) return "file";
  if (info.isDirectory) return "directory";
  if (info.isSymlink) return "symlink";
  if (info.isFifo) return "fifo";
  if (info.isCharDevice) return "char";
  if (info.isBlockDevice) return "block";
  return undefined; // sockets are not archived
}

function deviceNumbers(rdev: number): { devmajor: number; devminor: number } {
  return {
    devmajor: ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff),
    devminor: (rdev & 0xff) | ((rdev >> 12) & ~0xff & 0xfffff),
  };
}

/**
 * A tar stream of the subtree at `resolved`, members named relative to its parent, the top one
 * by the name it was asked for (`etc`, `etc/hosts`, …; a link `/d/current` to `releases/3` is
 * archived as `current/…`); for `/`, `./` and the root's own members. Symlinks inside are archived
 * as links, not followed. The lease is released when the stream ends.
 */
export function archiveStream(
  lease: MountLease,
  resolved: ResolvedPath,
  requested: string,
): ReadableStream<Uint8Array> {
  const base = requestComponents(requested).at(-1) ?? "";
  async function* members(): AsyncGenerator<TarMember> {
    const names = await lease.names();
    const member = (host: string, name: string, info: Deno.FileInfo) => {
      const type = entryType(info);
      if (!type) return undefined;
      const uid = info.uid ?? 0;
      const gid = info.gid ?? 0;
      return {
        entry: {
          name,
          type,
          mode: (info.mode ?? 0) & 0o7777,
          uid,
          gid,
          uname: names.users.get(uid),
          gname: names.groups.get(gid),
          size: type === "file" ? info.size : 0,
          mtime: Math.trunc((info.mtime?.getTime() ?? 0) / 1000),
          linkname: type === "symlink" ? Deno.readLinkSync(host) : undefined,
          ...(type === "char" || type === "block" ? deviceNumbers(info.rdev ?? 0) : {}),
        },
        source: type === "file" ? host : undefined,
      } satisfies TarMember;
    };
    // What is still to be archived: a name and its directory's (shared) strings, no more. The
    // entries' information is read as each is reached: a FileInfo per child of a directory of
    // 300,000 entries held 480 MB.
    const stack: { dir: string; prefix: string; child: string }[] = [];
    // Synchronous metadata calls (see lstatOrUndefined): a walk of 20,000 small files took 4–5
    // s (0.1 s like this); each pull of the stream blocks for the few dozen files of one chunk.
    const pushChildren = (dir: string, prefix: string) => {
      const children: string[] = [];
      for (const entry of Deno.readDirSync(dir)) children.push(entry.name);
      children.sort().reverse();
      for (const child of children) stack.push({ dir, prefix, child });
    };
    if (base) {
      const first = member(resolved.host, base, resolved.info);
      if (first) {
        yield first;
        if (first.entry.type === "directory") pushChildren(resolved.host, base);
      }
    } else {
      // The root itself first, so that its mode and owner reach the copy's top directory.
      yield member(resolved.host, "./", resolved.info)!;
      pushChildren(resolved.host, "");
    }
    while (stack.length > 0) {
      const { dir, prefix, child } = stack.pop()!;
      const host = `${dir}/${child}`;
      const name = prefix ? `${prefix}/${child}` : child;
      const info = lstatOrUndefined(host);
      const next = info && member(host, name, info);
      if (!next) continue;
      yield next;
      if (next.entry.type === "directory") pushChildren(host, name);
    }
  }
  return iteratorStream(tarChunks(members()), () => lease.release());
}
