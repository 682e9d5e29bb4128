// Errors that carry an HTTP status. Library code of the server throws them; the HTTP layer turns
// them into the API's JSON error body `{"error", "status"}` (API spec §1.7).

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. Retry-After on 425. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const notFound = (message: string) => new HttpError(404, message);

/** 413: a request body over the server's limit. */
export const tooLarge = (message: string) => new HttpError(413, message);

/**
 * A storage failure as a client may read it — a full disk (507) or a store that cannot be
 * written (503) — never with the path; undefined for any other error.
 */
export function storageError(error: unknown): HttpError | undefined {
  const { code, errcode } = (error ?? {}) as { code?: unknown; errcode?: unknown };
  // SQLite's own codes (node:sqlite): 13 SQLITE_FULL, 8 SQLITE_READONLY.
  if (code === "ENOSPC" || code === "EDQUOT" || errcode === 13) {
    return new HttpError(507, "no space left on the server's disk");
  }
  if (code === "EROFS" || code === "EACCES" || code === "EPERM" || errcode === 8) {
    return new HttpError(503, "the server's storage is not writable");
  }
  return undefined;
}
