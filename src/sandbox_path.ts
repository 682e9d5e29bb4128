// POSIX path arithmetic for paths inside a sandbox, an archive or a Dockerfile context: one
// normaliser for every layer, and one policy for the member names of archives we unpack.

/** The PATH of a sandbox whose environment sets none (Docker's default). */
export const DEFAULT_SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * POSIX normpath (Python's os.path.normpath, Go's filepath.Clean): empty and `.` parts fold,
 * `..` removes the part before it; an absolute path never climbs above `/`, a relative one keeps
 * its leading `..`. "" → ".".
 */
export function cleanPath(path: string): string {
  const absolute = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
      else if (!absolute) parts.push("..");
    } else parts.push(part);
  }
  const joined = parts.join("/");
  return absolute ? `/${joined}` : joined || ".";
}

/** An absolute sandbox path, normalised (a relative one is taken from `/`). */
export function normaliseSandboxPath(path: string): string {
  return cleanPath(`/${path}`);
}

/** `path` against `cwd`: empty → cwd (or `/`), relative → `cwd/path`, then normalised. */
export function resolveSandboxPath(cwd: string, path: string): string {
  const base = cwd || "/";
  if (!path) return normaliseSandboxPath(base);
  return normaliseSandboxPath(path.startsWith("/") ? path : `${base}/${path}`);
}

/** The components of a sandbox path, `.` and `..` folded; undefined when `..` climbs above `/`. */
export function sandboxPathParts(path: string): string[] | undefined {
  const cleaned = cleanPath(path.replace(/^\/+/, ""));
  if (cleaned === ".") return [];
  return cleaned === ".." || cleaned.startsWith("../") ? undefined : cleaned.split("/");
}

/** Linux's longest file name (NAME_MAX) and longest path (PATH_MAX, its NUL included), in bytes. */
const NAME_MAX = 255;
const PATH_MAX = 4096;

/**
 * Why no file can exist at `path` on Linux (ENAMETOOLONG: a component over 255 bytes, or the
 * whole path over 4095), or undefined when its length is fine.
 */
export function overlongPath(path: string): string | undefined {
  const encoder = new TextEncoder();
  if (encoder.encode(path).length >= PATH_MAX) return `path longer than ${PATH_MAX - 1} bytes`;
  const long = path.split("/").find((part) => encoder.encode(part).length > NAME_MAX);
  return long === undefined ? undefined : `file name longer than ${NAME_MAX} bytes`;
}

/**
 * An absolute link target as a relative one, when it lies inside the copied directory `root`:
 * a link in `linkDir` (both absolute sandbox paths) to `/app/releases/3` with root `/app`, from
 * `/app`, is `releases/3`. Undefined when the target is outside `root`. Lexical, like tar.
 */
export function relativeLinkTarget(
  linkDir: string,
  target: string,
  root: string,
): string | undefined {
  const rootParts = sandboxPathParts(root) ?? [];
  const targetParts = sandboxPathParts(target) ?? [];
  if (!rootParts.every((part, i) => targetParts[i] === part)) return undefined;
  const dirParts = sandboxPathParts(linkDir) ?? [];
  let common = 0;
  while (
    common < dirParts.length && common < targetParts.length &&
    dirParts[common] === targetParts[common]
  ) common++;
  const up = Array<string>(dirParts.length - common).fill("..");
  return [...up, ...targetParts.slice(common)].join("/") || ".";
}

/** Why an archive member name is refused. */
export type UnsafeMemberName = "absolute path" | "'..' in the path";

/**
 * The archive-member policy of every extraction: a member's name relative to the target, as
 * components (`./a//b` → `["a", "b"]`; `[]` is the target itself), or the reason it is refused:
 * an absolute name, or any `..` component (as GNU tar: no honest archive needs one). Symbolic
 * links on the way are the extractor's to check.
 */
export function archiveMemberParts(name: string): string[] | UnsafeMemberName {
  if (name.startsWith("/")) return "absolute path";
  const parts = name.split("/").filter((part) => part !== "" && part !== ".");
  return parts.includes("..") ? "'..' in the path" : parts;
}
