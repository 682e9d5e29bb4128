// Pure path and time helpers of the session model: sandbox paths resolved against the session
// cwd (CLI spec §3.4 resolve_path) and the store's UTC timestamps.

/** POSIX normpath for absolute paths: `.`/`..`/`//` folded, never above `/`. */
export function normalizeSandboxPath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** `path` against `cwd`: empty → cwd (or `/`), relative → `cwd/path`, then normalised. */
export function resolveSandboxPath(cwd: string, path: string): string {
  const base = cwd || "/";
  if (!path) return normalizeSandboxPath(base);
  return normalizeSandboxPath(path.startsWith("/") ? path : `${base}/${path}`);
}

/** `YYYY-MM-DDTHH:MM:SS` in UTC, the form SQLite's strftime default writes. */
export function storeTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19);
}

const NAIVE_TIME = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d+)?)$/;

/**
 * A stored timestamp (UTC without zone) as ISO-8601 with `+00:00`, so every consumer reads it
 * as UTC (the reference reads it as local time, CLI spec §12.31). Other text passes through.
 */
export function storeTimeToIso(text: string): string {
  const match = NAIVE_TIME.exec(text);
  return match ? `${match[1]}T${match[2]}+00:00` : text;
}

/** Epoch milliseconds of a stored timestamp, or NaN. */
export function storeTimeToMs(text: string): number {
  return Date.parse(storeTimeToIso(text));
}
