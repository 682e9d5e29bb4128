// Host files: whole-file writes that a crash can never leave half done, private files and locks,
// and the plain questions about paths.

import { hex } from "./bytes.ts";
import { ContreeError } from "./errors.ts";
import { normaliseSandboxPath } from "./sandbox_path.ts";

/** `path` made absolute against `cwd` and normalised (like Python's os.path.abspath). */
export function absoluteHostPath(cwd: string, path: string): string {
  return normaliseSandboxPath(path.startsWith("/") ? path : `${cwd}/${path}`);
}

/** Whether `path` is a directory (following links); false when it is missing or unreadable. */
export function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Writes `text` to a temp file beside `path` (with `mode`, when given), then puts it in place
 * whole: renamed over `path`; or, with `onlyIfMissing`, linked as `path`, which resolves false
 * when a file was there first (or the filesystem has no hard links) and changes nothing.
 */
export async function writeFileAtomic(
  path: string,
  text: string,
  options: { mode?: number; onlyIfMissing?: boolean } = {},
): Promise<boolean> {
  // Unique per call: writes of one path at the same moment, in one process too, each have theirs.
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(temp, text, options.mode === undefined ? {} : { mode: options.mode });
    // The mode given at creation is filtered by the umask; credentials need it exact.
    if (options.mode !== undefined && Deno.build.os !== "windows") {
      await Deno.chmod(temp, options.mode);
    }
    if (options.onlyIfMissing) {
      try {
        await Deno.link(temp, path);
      } catch {
        return false;
      }
    } else await Deno.rename(temp, path);
    return true;
  } catch (error) {
    throw new ContreeError(`Cannot write ${path}: ${(error as Error).message}`);
  } finally {
    await Deno.remove(temp).catch(() => {}); // gone after a rename
  }
}

/**
 * An SQLite database that holds secrets (env values, output): the file 0600, created so when
 * missing and tightened when it existed with another mode, and its -wal and -shm files too
 * (SQLite creates them with the database's mode).
 */
export async function restrictDatabase(path: string): Promise<void> {
  (await Deno.open(path, { create: true, write: true, mode: 0o600 })).close();
  if (Deno.build.os === "windows") return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    await Deno.chmod(file, 0o600).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

/**
 * Runs `fn` holding an exclusive flock on `path` (created 0600): one process at a time, across
 * processes; the kernel releases it when a holder dies.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  using file = await Deno.open(path, { create: true, write: true, mode: 0o600 });
  await file.lock(true);
  try {
    return await fn();
  } finally {
    await file.unlock();
  }
}

/** The directory of `path`, created 0700 when missing (with its parents). */
export async function makePrivateParent(path: string): Promise<void> {
  const dir = path.slice(0, Math.max(path.lastIndexOf("/"), 0)) || ".";
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
}

/** A credentials file: mode 0600 in a directory created 0700, written atomically. */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  await makePrivateParent(path);
  await writeFileAtomic(path, text, { mode: 0o600 });
}

/**
 * A bearer token kept in `path` (32 random bytes, hex, mode 0600), created on first use. Callers
 * at the same moment (`server start -d` run three times at once) agree on one token: the file
 * appears once and whole (a hard link to a written file), and whoever finds it made meanwhile
 * takes it. Each used to write its own, and a server could be left answering a token no longer
 * in the file.
 */
export async function ensureTokenFile(path: string): Promise<string> {
  const existing = await readTokenFile(path);
  if (existing) return existing;
  const token = hex(crypto.getRandomValues(new Uint8Array(32)));
  if (existing === undefined) {
    await makePrivateParent(path);
    if (await writeFileAtomic(path, `${token}\n`, { mode: 0o600, onlyIfMissing: true })) {
      return token;
    }
  }
  const theirs = await readTokenFile(path);
  if (theirs) return theirs;
  // An empty file, or no hard links here: written over, as it always was.
  await writePrivateFile(path, `${token}\n`);
  return token;
}

/** The token in `path`, "" for an empty file, undefined for none. */
async function readTokenFile(path: string): Promise<string | undefined> {
  try {
    const token = (await Deno.readTextFile(path)).trim();
    if (token && Deno.build.os !== "windows") await Deno.chmod(path, 0o600);
    return token;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new ContreeError(`Cannot read ${path}: ${(error as Error).message}`);
  }
}
