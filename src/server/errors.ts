// Errors that carry an HTTP status. Library code of the server throws them; the HTTP layer turns
// them into the API's JSON error body `{"error", "status"}` (API spec §1.7).

import { isDiskFull, isReadOnlyStorage } from "../storage_errors.ts";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. Retry-After on 425. */
    readonly headers: Record<string, string> = {},
    /** What went wrong underneath: logged, never sent. */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "HttpError";
  }
}

export const badRequest = (message: string) => new HttpError(400, message);

/** 400: the client's body stopped short of its Content-Length or chunked framing. */
export const cutOffBody = (cause: unknown) =>
  new HttpError(400, "the request body ended before it was complete", {}, cause);
export const notFound = (message: string) => new HttpError(404, message);

/** 413: a request body over the server's limit. */
export const tooLarge = (message: string) => new HttpError(413, message);

/**
 * A storage failure as a client may read it — a full disk (507) or a store that cannot be
 * written (503) — never with the path; undefined for any other error.
 */
export function storageError(error: unknown): HttpError | undefined {
  if (isDiskFull(error)) return new HttpError(507, "no space left on the server's disk");
  if (isReadOnlyStorage(error)) return new HttpError(503, "the server's storage is not writable");
  return undefined;
}

/**
 * Host directories a message sent to clients must not name (the server home, podman's storage):
 * `scrub` replaces any path under them with a placeholder. Podman and the file system quote such
 * paths in their errors; the operation's error keeps the rest of the message.
 */
export class HostPaths {
  readonly #roots = new Set<string>();

  constructor(roots: string[] = []) {
    for (const root of roots) this.add(root);
  }

  add(root: string): void {
    const trimmed = root.trim().replace(/\/+$/, "");
    if (trimmed.startsWith("/") && trimmed.length > 1) this.#roots.add(trimmed);
  }

  scrub(text: string): string {
    let out = text;
    for (const root of [...this.#roots].sort((a, b) => b.length - a.length)) {
      const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      out = out.replace(new RegExp(`${escaped}(?=[/'"\\s:)]|$)[^\\s'"):]*`, "g"), "<host path>");
    }
    return out;
  }
}
