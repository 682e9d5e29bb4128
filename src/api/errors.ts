// Errors of the HTTP layer. `ApiError` is one line for the user: `API <status> <reason>: <error>`.

import { ContreeError, ExitCode } from "../errors.ts";

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  425: "Too Early",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export function reasonPhrase(status: number, fallback = ""): string {
  return REASONS[status] ?? (fallback || "Error");
}

/** The server answered with a non-2xx status (after retries), or credentials are missing. */
export class ApiError extends ContreeError {
  constructor(
    readonly status: number,
    readonly reason: string,
    /** The server's `error` text (or the raw body when it is not the JSON error shape). */
    readonly detail: string,
    /** `Retry-After` in whole seconds, when the server sent one. */
    readonly retryAfter?: number,
  ) {
    super(
      `API ${status} ${reason}${detail ? `: ${detail}` : ""}`,
      status === 401 || status === 0 ? ExitCode.NOT_AUTHENTICATED : ExitCode.ERROR,
    );
  }
}

/** The server does not know a file of the request (API spec §3.4: 400 `file not found`). */
export function isStaleFile(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 400 && /file not found/i.test(error.message);
}

/**
 * A path that is a loop of symbolic links (422 `too many levels of symbolic links: PATH`, the
 * local server's words, as ELOOP's): no directory, whatever else a 422 of a download means.
 */
export function isLinkLoop(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 422 &&
    /^too many levels of symbolic links/i.test(error.detail);
}

/** The request never got an HTTP answer (refused, reset, DNS, TLS, broken stream). */
export class NetworkError extends ContreeError {
  constructor(detail: string, options?: ErrorOptions) {
    super(`Network error: ${detail}`, ExitCode.ERROR, options);
  }
}

/** A 2xx answer whose body is not what the endpoint returns (a list that is not a list, …). */
export class ResponseShapeError extends ContreeError {
  constructor(endpoint: string, problem: string) {
    super(`Unexpected response from ${endpoint}: ${problem}`, ExitCode.ERROR);
  }
}

/** A caller-chosen deadline passed. */
export class DeadlineError extends ContreeError {
  constructor(message: string) {
    super(message, ExitCode.ERROR);
  }
}

/** Extracts the `error` text from an error body: JSON `{"error": …}` or the raw text. */
export function errorDetail(body: string): string {
  const trimmed = body.trim();
  try {
    const parsed = JSON.parse(trimmed);
    if (parsed && typeof parsed === "object" && "error" in parsed) {
      const error = (parsed as { error: unknown }).error;
      return typeof error === "string" ? error : JSON.stringify(error);
    }
  } catch {
    // not JSON: show the text itself
  }
  return trimmed.replace(/\s+/g, " ").slice(0, 1000);
}
