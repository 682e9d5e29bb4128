// What a storage failure means, whoever met it: the file system (Deno's error codes) or SQLite
// (node:sqlite's extended result codes).

const SQLITE_READONLY = 8;
const SQLITE_FULL = 13;
/** SQLITE_IOERR_SHMSIZE: the WAL's shared-memory file cannot grow, as on a full disk. */
const SQLITE_IOERR_SHMSIZE = 10 | (19 << 8);

function codes(error: unknown): { code?: unknown; errcode?: unknown } {
  return (error ?? {}) as { code?: unknown; errcode?: unknown };
}

/** A write refused for want of space. SQLite says "disk I/O error" when it opens on a full disk. */
export function isDiskFull(error: unknown): boolean {
  const { code, errcode } = codes(error);
  return code === "ENOSPC" || code === "EDQUOT" || errcode === SQLITE_FULL ||
    errcode === SQLITE_IOERR_SHMSIZE;
}

/** A write refused because the storage does not take writes. */
export function isReadOnlyStorage(error: unknown): boolean {
  const { code, errcode } = codes(error);
  return code === "EROFS" || code === "EACCES" || code === "EPERM" || errcode === SQLITE_READONLY;
}
