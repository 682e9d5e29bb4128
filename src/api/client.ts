// The ConTree HTTP client: one class over `fetch` with auth headers, retries, typed errors,
// debug logging with redaction, and the API's endpoints as typed methods.
//
// Deno's fetch inflates `Content-Encoding: gzip` bodies itself, incrementally (each
// sync-flushed frame is readable as soon as it arrives) and reports a truncated gzip body as a
// TypeError while reading; the stream transport (`streamFetch`, used for event streams and
// downloads) keeps that contract. So this layer never inflates a second time; raw `.tar.gz`
// payloads without the header are the callers' business (DecompressionStream).

import type { Clock } from "../context.ts";
import { ContreeError } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  ApiError,
  DeadlineError,
  errorDetail,
  NetworkError,
  reasonPhrase,
  ResponseShapeError,
} from "./errors.ts";
import type {
  ClosableStreamRepr,
  DirectoryList,
  FileRecord,
  FileResponse,
  GrepQuery,
  GrepResult,
  Image,
  ImageImportRequest,
  InstanceSpawnRequest,
  Operation,
  WhoAmI,
} from "./models.ts";
import { encodeQuery, pathSegment, type Query } from "./query.ts";
import {
  DEFAULT_MAX_RETRIES,
  isIdempotent,
  isRetryableStatus,
  ladderDelayMs,
  parseRetryAfter,
} from "./retry.ts";
import { timerDelay } from "../timer.ts";

/** `jwt`: a bearer token on its own; `iam`: a Nebius IAM token, which needs a project. */
export type AuthType = "jwt" | "iam";

export interface Credentials {
  /** Base URL as configured (the client appends `/v1`). */
  url: string;
  token?: string;
  project?: string;
  type: AuthType;
}

export interface ClientDeps {
  fetch: typeof fetch;
  /**
   * Carries the requests marked `stream` (event streams, downloads) when given: a faster
   * transport for long bodies (src/api/transport.ts). Same contract as fetch.
   */
  streamFetch?: typeof fetch;
  clock: Clock;
  log: Logger;
  userAgent: string;
  /** Aborts every request (SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Default per-request timeout; none when undefined (the reference blocks forever). */
  timeoutMs?: number;
  /** Retries after the first attempt; DEFAULT_MAX_RETRIES when undefined. */
  maxRetries?: number;
  /**
   * What a refused connection means, when it means one thing (the `local` profile: its server
   * is not running): said at once instead of retried. Refusals are retried otherwise.
   */
  refusedMeans?: string;
  /**
   * The server is the local one, on this machine (the `local` profile on a loopback address).
   * Long bodies from it (`stream`, `bulk`) come uncompressed, through fetch: compression buys
   * nothing without a network and costs CPU at both ends, and fetch reads an uncompressed body
   * in large pieces, where the stream transport (node:http, for gzip'd bodies) starts Deno's Node
   * layer in the process (docs/BENCHMARKS.md, "Fourteenth pass": 200 MB of events 1.25 → 0.77
   * s). Not inferred from the address alone: a loopback port may be a tunnel to a remote server.
   */
  local?: boolean;
}

export type BodySource = BodyInit | (() => BodyInit | Promise<BodyInit>);

export interface RequestOptions {
  query?: Query;
  /** A JSON body (sent with Content-Type: application/json). */
  json?: unknown;
  /** A raw body, or a factory producing a fresh body per attempt (makes it replayable). */
  body?: BodySource;
  contentType?: string;
  headers?: Record<string, string>;
  /** Retries after the first attempt for this request. */
  maxRetries?: number;
  /** Abort an attempt that has not produced a response (and, for buffered reads, its body). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Statuses returned to the caller instead of raised (e.g. 404 on an existence probe, 302). */
  accept?: readonly number[];
  /** A long body the caller reads (event stream, download): sent through `streamFetch`. */
  stream?: boolean;
  /** A long body, read or piped (a file, an archive): see `ClientDeps.local`. */
  bulk?: boolean;
  /**
   * Not aborted by SIGINT/SIGTERM: for the cleanup a command does after an interrupt (cancelling
   * the operation it started). Pair it with a timeout.
   */
  ignoreInterrupt?: boolean;
}

const REDACTED_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "x-auth-token",
]);

/** Header lines for debug logs, with credentials replaced by `<redacted>`. */
export function redactHeaders(headers: Headers | Record<string, string>): string {
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  return entries
    .map(([name, value]) =>
      `${name}: ${REDACTED_HEADERS.has(name.toLowerCase()) ? "<redacted>" : value}`
    )
    .join(", ");
}

/** Validates and normalises a base URL: http(s) only, bare hosts become https. */
export function normaliseBaseUrl(raw: string): URL {
  let text = raw.trim();
  // A scheme and nothing else (`http://`, whose slashes a profile loses as trailing ones).
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/*$/.test(text)) {
    throw new ContreeError(`Invalid URL '${raw}': expected http(s)://host[:port][/prefix]`);
  }
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(text)) text = `https://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ContreeError(`Invalid URL '${raw}': expected http(s)://host[:port][/prefix]`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
    throw new ContreeError(`Invalid URL '${raw}': only http:// and https:// URLs are supported`);
  }
  url.pathname = url.pathname.replace(/\/+$/, "");
  url.search = "";
  url.hash = "";
  return url;
}

/** What an HTTP header value cannot hold: line breaks, NUL, anything past Latin-1. */
const UNSENDABLE_HEADER_TEXT = /[\r\n\0]|[^\0-\xff]/;

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? error.cause.message : "";
    const text = error.message || error.name;
    return cause && !text.includes(cause) ? `${text} (${cause})` : text;
  }
  return String(error);
}

/** Longer URLs are refused before they are sent (servers answer 414 past 8–16 KiB). */
const MAX_URL_LENGTH = 32 * 1024;

/**
 * Network errors no retry mends: a name that does not resolve, and TLS that cannot be agreed (a
 * plain-http server at an https URL, a certificate this machine does not trust). A refused or
 * dropped connection, a timeout and a temporary DNS failure are retried (a server restarting).
 */
const PERMANENT_NETWORK_ERROR = new RegExp(
  [
    "Name or service not known", // getaddrinfo EAI_NONAME (glibc)
    "No address associated with hostname",
    "nodename nor servname provided", // macOS
    "ENOTFOUND", // node:http's name for a name that does not resolve
    "corrupt message", // rustls: the other end does not speak TLS
    "wrong version number", // OpenSSL: the same
    "invalid peer certificate",
    "certificate", // node:https: self-signed, expired, unknown issuer, wrong name
    "are blocked", // fetch's bad ports (1, 7, 9, …): never allowed
  ].join("|"),
  "i",
);

/**
 * Nothing listens there: fetch's "Connection refused", node:http's ECONNREFUSED, anywhere in the
 * chain of causes (a NetworkError keeps the transport's error as its cause).
 */
export function isRefusedConnection(error: unknown): boolean {
  for (let at = error; at instanceof Error; at = at.cause) {
    if (/connection refused|ECONNREFUSED/i.test(at.message)) return true;
  }
  return false;
}

export function isPermanentNetworkError(error: unknown): boolean {
  return PERMANENT_NETWORK_ERROR.test(describeNetworkError(error));
}

/** The list of a listing answer: a bare array, or `{<field>: [...]}`; anything else is an error. */
function listOf<T>(answer: unknown, field: string, endpoint: string): T[] {
  if (Array.isArray(answer)) return answer as T[];
  const value = answer && typeof answer === "object" && !Array.isArray(answer)
    ? (answer as Record<string, unknown>)[field]
    : undefined;
  if (Array.isArray(value)) return value as T[];
  throw new ResponseShapeError(
    endpoint,
    value === undefined
      ? `expected a list or {"${field}": [...]}, got ${describeJson(answer)}`
      : `"${field}" is ${describeJson(value)}, not a list`,
  );
}

/** An object answer (a record); anything else is an error. */
function objectOf<T>(answer: unknown, endpoint: string, required?: string): T {
  if (!answer || typeof answer !== "object" || Array.isArray(answer)) {
    throw new ResponseShapeError(endpoint, `expected an object, got ${describeJson(answer)}`);
  }
  if (required && typeof (answer as Record<string, unknown>)[required] !== "string") {
    throw new ResponseShapeError(endpoint, `no "${required}" in the answer`);
  }
  return answer as T;
}

function describeJson(value: unknown): string {
  if (value === undefined) return "an empty body";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

interface Attempt {
  signal: AbortSignal;
  timedOut(): boolean;
  /** Stops the timeout (a stream's body may then take as long as it needs). */
  clearTimer(): void;
  /** Stops the timeout and detaches from the caller's and the process's signals. */
  dispose(): void;
}

export class ContreeClient {
  readonly base: URL;
  /** `origin + path prefix` without a trailing slash; API paths are appended as `/v1/…`. */
  readonly #root: string;

  constructor(readonly credentials: Credentials, private readonly deps: ClientDeps) {
    this.base = normaliseBaseUrl(credentials.url);
    this.#root = this.base.origin + this.base.pathname.replace(/\/+$/, "");
  }

  get log(): Logger {
    return this.deps.log;
  }

  get clock(): Clock {
    return this.deps.clock;
  }

  /** The abort signal of the process (interrupts), if any. */
  get signal(): AbortSignal | undefined {
    return this.deps.signal;
  }

  /**
   * The same client, whose every request, retry wait and follow also stops when `signal`
   * aborts (one MCP tool call cancelled while the server goes on).
   */
  withSignal(signal: AbortSignal): ContreeClient {
    const signals = this.deps.signal ? [this.deps.signal, signal] : [signal];
    return new ContreeClient(this.credentials, { ...this.deps, signal: AbortSignal.any(signals) });
  }

  /** Absolute URL of an API path such as `/operations`. */
  url(path: string, query?: Query): string {
    const qs = encodeQuery(query);
    return `${this.#root}/v1${path}${qs ? `?${qs}` : ""}`;
  }

  private authHeaders(): Record<string, string> {
    const { project, type } = this.credentials;
    const token = this.credentials.token?.trim();
    if (!token) {
      throw new ApiError(0, "Unauthorized", "No token configured. Run `contree auth` first.");
    }
    // fetch would refuse the header quoting its value: the token would be printed.
    if (UNSENDABLE_HEADER_TEXT.test(token) || UNSENDABLE_HEADER_TEXT.test(project ?? "")) {
      throw new ApiError(
        0,
        "Bad credentials",
        "The token or project holds a line break or a character an HTTP header cannot carry; " +
          "check the profile (`contree auth ls`) or CONTREE_TOKEN",
      );
    }
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (type === "iam") {
      if (!project) {
        throw new ApiError(0, "No project", "No project configured. Run `contree auth` first.");
      }
      headers["Project"] = project;
    } else if (project) {
      headers["Project"] = project;
    }
    return headers;
  }

  private startAttempt(options: RequestOptions): Attempt {
    const controller = new AbortController();
    const signals = [options.ignoreInterrupt ? undefined : this.deps.signal, options.signal]
      .filter((s): s is AbortSignal => !!s);
    const forward = (signal: AbortSignal) => () => controller.abort(signal.reason);
    const listeners = signals.map((signal) => {
      const listener = forward(signal);
      if (signal.aborted) listener();
      else signal.addEventListener("abort", listener, { once: true });
      return [signal, listener] as const;
    });
    let timedOut = false;
    const timeoutMs = options.timeoutMs ?? this.deps.timeoutMs;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException("request timed out", "TimeoutError"));
    }, timerDelay(timeoutMs));
    const clearTimer = () => {
      if (timer !== undefined) clearTimeout(timer);
    };
    return {
      signal: controller.signal,
      timedOut: () => timedOut,
      clearTimer,
      dispose() {
        clearTimer();
        for (const [signal, listener] of listeners) signal.removeEventListener("abort", listener);
      },
    };
  }

  /** The interrupt reason when the caller's or the process's signal aborted. */
  private abortReason(options: RequestOptions): unknown {
    for (const signal of [options.ignoreInterrupt ? undefined : this.deps.signal, options.signal]) {
      if (signal?.aborted) return signal.reason;
    }
    return undefined;
  }

  /**
   * Sends a request with the retry contract and returns the response. With `consume`, the body
   * is read inside the attempt, so a broken body on an idempotent request is retried too.
   */
  async send<T = Response>(
    method: string,
    path: string,
    options: RequestOptions = {},
    consume?: (response: Response) => Promise<T>,
  ): Promise<T> {
    const url = this.url(path, options.query);
    if (url.length > MAX_URL_LENGTH) {
      // fetch refuses it as an "Invalid URL", which read as a network fault, was retried for
      // 14 s and quoted all of it. No path (4095 bytes, encoded) or reference is this long.
      throw new ContreeError(
        `${method} ${path.slice(0, 48)}…: the request is too long to send (a URL of ` +
          `${url.length} characters); a path or reference this long cannot be right`,
      );
    }
    const maxRetries = options.maxRetries ?? this.deps.maxRetries ?? DEFAULT_MAX_RETRIES;
    const { log, clock } = this.deps;
    // From the local server a long body comes uncompressed, through fetch (`ClientDeps.local`).
    const uncompressed = this.deps.local === true && (options.stream || options.bulk);
    for (let retry = 0;; retry++) {
      const headers: Record<string, string> = {
        "User-Agent": this.deps.userAgent,
        "Accept-Encoding": uncompressed ? "identity" : "gzip",
        ...this.authHeaders(),
        ...options.headers,
      };
      let body: BodyInit | undefined;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers["Content-Type"] = "application/json";
      } else if (options.body !== undefined) {
        body = typeof options.body === "function" ? await options.body() : options.body;
        headers["Content-Type"] = options.contentType ?? "application/octet-stream";
      }
      const replayable = body === undefined || typeof options.body === "function" ||
        !(body instanceof ReadableStream);
      const canRetry = (statusOrNetwork: number | "network") =>
        retry < maxRetries && replayable &&
        (statusOrNetwork === "network"
          ? isIdempotent(method)
          : isRetryableStatus(statusOrNetwork, method));

      if (log.enabled("debug")) log.debug(`→ ${method} ${url} [${redactHeaders(headers)}]`);
      const attempt = this.startAttempt(options);
      const started = clock.monotonic();
      const transport =
        options.stream && !uncompressed && body === undefined && this.deps.streamFetch
          ? this.deps.streamFetch
          : this.deps.fetch;
      let response: Response;
      try {
        response = await transport(url, {
          method,
          headers,
          body,
          redirect: "manual",
          signal: attempt.signal,
        });
      } catch (error) {
        attempt.dispose();
        const interrupted = this.abortReason(options);
        if (interrupted !== undefined) throw interrupted;
        if (attempt.timedOut()) throw new DeadlineError(`Request timed out: ${method} ${path}`);
        if (this.deps.refusedMeans && isRefusedConnection(error)) {
          throw new NetworkError(
            `${this.base.origin} refused the connection: ${this.deps.refusedMeans}`,
            { cause: error },
          );
        }
        if (!canRetry("network") || isPermanentNetworkError(error)) {
          throw new NetworkError(describeNetworkError(error), { cause: error });
        }
        const delay = ladderDelayMs(retry);
        log.warning(
          `Network error (${describeNetworkError(error)}), retrying in ${delay / 1000}s…`,
        );
        await clock.sleep(delay, options.ignoreInterrupt ? undefined : this.deps.signal);
        continue;
      }
      if (log.enabled("debug")) {
        log.debug(
          `← ${response.status} ${response.statusText || reasonPhrase(response.status)} ` +
            `${method} ${path} (${Math.round(clock.monotonic() - started)} ms) [${
              redactHeaders(response.headers)
            }]`,
        );
      }

      const accepted = response.ok || options.accept?.includes(response.status);
      if (accepted) {
        if (!consume) {
          // The caller reads the body: keep it abortable by the signals, but untimed.
          attempt.clearTimer();
          return response as T;
        }
        try {
          return await consume(response);
        } catch (error) {
          const interrupted = this.abortReason(options);
          if (interrupted !== undefined) throw interrupted;
          if (attempt.timedOut()) throw new DeadlineError(`Request timed out: ${method} ${path}`);
          if (!(error instanceof TypeError) || !canRetry("network")) {
            if (error instanceof TypeError) {
              throw new NetworkError(describeNetworkError(error), { cause: error });
            }
            throw error;
          }
          const delay = ladderDelayMs(retry);
          log.warning(
            `Network error (${describeNetworkError(error)}), retrying in ${delay / 1000}s…`,
          );
          await clock.sleep(delay, options.ignoreInterrupt ? undefined : this.deps.signal);
          continue;
        } finally {
          attempt.dispose();
        }
      }

      let text = "";
      try {
        text = await response.text();
      } catch {
        // A truncated error body still tells us the status.
      } finally {
        attempt.dispose();
      }
      const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"), clock.now());
      const error = new ApiError(
        response.status,
        response.statusText || reasonPhrase(response.status),
        errorDetail(text),
        retryAfterSeconds === undefined ? undefined : Math.trunc(retryAfterSeconds),
      );
      if (!canRetry(response.status)) throw error;
      const delay = retryAfterSeconds !== undefined
        ? retryAfterSeconds * 1000
        : ladderDelayMs(retry);
      log.warning(`Server answered ${response.status}, retrying in ${Math.round(delay) / 1000}s…`);
      await clock.sleep(delay, options.ignoreInterrupt ? undefined : this.deps.signal);
    }
  }

  /** Sends a request and parses the JSON answer (retrying broken bodies of idempotent requests). */
  json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return this.send(method, path, options, async (response) => {
      const text = await response.text();
      if (this.deps.log.enabled("debug")) {
        const shown = text.length > 4096
          ? `${text.slice(0, 4096)}... <truncated, ${text.length}B total>`
          : text;
        this.deps.log.debug(`  body: ${shown}`);
      }
      if (text.trim() === "") return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new ContreeError(`Invalid JSON from ${method} ${path}: ${text.slice(0, 200)}`);
      }
    });
  }

  /** Sends a request whose answer has no body we need (drains it). */
  async call(method: string, path: string, options: RequestOptions = {}): Promise<number> {
    return await this.send(method, path, options, async (response) => {
      await response.body?.cancel();
      return response.status;
    });
  }

  // ---- endpoints (API spec §2) ----

  whoami(options: RequestOptions = {}): Promise<WhoAmI> {
    return this.json("GET", "/whoami", options);
  }

  async listImages(query: Query): Promise<Image[]> {
    return listOf(await this.json("GET", "/images", { query }), "images", "GET /images");
  }

  async importImage(request: ImageImportRequest): Promise<{ uuid: string }> {
    const answer = await this.json("POST", "/images/import", { json: request });
    return objectOf(answer, "POST /images/import", "uuid");
  }

  tagImage(imageUuid: string, tag: string): Promise<Image> {
    return this.json("PATCH", `/images/${pathSegment(imageUuid)}/tag`, { json: { tag } });
  }

  async untagImage(imageUuid: string, tag: string): Promise<void> {
    await this.call("DELETE", `/images/${pathSegment(imageUuid)}/tag`, { query: { tag } });
  }

  /** Uploads raw bytes; pass a factory to make the upload replayable. */
  uploadFile(body: BodySource): Promise<FileResponse> {
    return this.json("POST", "/files", { body, contentType: "application/octet-stream" });
  }

  /** The file with this sha256, or undefined when the server does not have it. */
  async getFile(sha256: string): Promise<FileRecord | undefined> {
    return await this.send(
      "GET",
      `/files/${pathSegment(sha256)}`,
      { accept: [404] },
      async (response) => {
        if (response.status === 404) {
          await response.body?.cancel();
          return undefined;
        }
        return await response.json() as FileRecord;
      },
    );
  }

  async listFiles(query: Query): Promise<FileRecord[]> {
    return listOf(await this.json("GET", "/files", { query }), "files", "GET /files");
  }

  async spawn(request: InstanceSpawnRequest): Promise<Operation> {
    const answer = await this.json("POST", "/instances", { json: request });
    return objectOf(answer, "POST /instances", "uuid");
  }

  async listOperations(query: Query, options: RequestOptions = {}): Promise<Operation[]> {
    const answer = await this.json("GET", "/operations", { ...options, query });
    return listOf(answer, "operations", "GET /operations");
  }

  async getOperation(uuid: string, options: RequestOptions = {}): Promise<Operation> {
    const answer = await this.json("GET", `/operations/${pathSegment(uuid)}`, options);
    return objectOf(answer, "GET /operations/{uuid}");
  }

  /** Writes to a process's stdin (spid 1: the main process); `close` ends it after the bytes. */
  async writeStdin(
    uuid: string,
    spid: number,
    body: ClosableStreamRepr,
    options: RequestOptions = {},
  ): Promise<void> {
    await this.call(
      "POST",
      `/operations/${pathSegment(uuid)}/subprocesses/${spid}/stdin`,
      { ...options, json: body },
    );
  }

  /** Sends a signal (`INT`, `TERM`, …) to a process of an operation (spid 1: the main one). */
  async signalProcess(
    uuid: string,
    spid: number,
    signal: string,
    options: RequestOptions = {},
  ): Promise<void> {
    await this.call("DELETE", `/operations/${pathSegment(uuid)}/subprocesses/${spid}`, {
      ...options,
      query: { signal },
    });
  }

  async cancelOperation(uuid: string, options: RequestOptions = {}): Promise<void> {
    await this.call("DELETE", `/operations/${pathSegment(uuid)}`, options);
  }

  /**
   * Opens the event stream of an operation; the body is returned unread. No retries unless
   * asked: the follower (src/sse) owns reconnection and backoff for this route.
   */
  openEvents(
    uuid: string,
    options: {
      lastEventId?: number;
      follow?: boolean;
      /** Only the events of this process (the completion always comes). */
      spid?: number;
      signal?: AbortSignal;
      timeoutMs?: number;
      /** Retries of the opening (none by default: the follower has its own). */
      maxRetries?: number;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    if (options.lastEventId !== undefined && options.lastEventId >= 0) {
      headers["Last-Event-Id"] = String(options.lastEventId);
    }
    return this.send("GET", `/operations/${pathSegment(uuid)}/events`, {
      query: { follow: options.follow ?? true, spid: options.spid },
      headers,
      maxRetries: options.maxRetries ?? 0,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      stream: true,
    });
  }

  /** Image UUID for a tag via the inspect redirect (`302 Location: <uuid>/`). */
  async lookupTag(tag: string): Promise<string> {
    const response = await this.send("GET", "/inspect/", {
      query: { tag },
      accept: [301, 302, 303, 307, 308],
    });
    const location = response.headers.get("location") ?? response.url;
    await response.body?.cancel();
    const uuid = location.split("?")[0].split("/").filter((s) => s !== "").pop();
    if (!uuid) throw new ApiError(404, "Not Found", `No image with tag '${tag}'`);
    return uuid;
  }

  inspectImage(imageUuid: string): Promise<Image> {
    return this.json("GET", `/inspect/${pathSegment(imageUuid)}/`);
  }

  listDirectory(
    imageUuid: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<DirectoryList> {
    return this.json("GET", `/inspect/${pathSegment(imageUuid)}/list`, {
      ...options,
      query: { path },
    });
  }

  /**
   * Whether the image has a directory at `path` (absolute), from its parent's listing; a link
   * to a directory is one. A missing parent, or one that is not a directory, means no.
   * `listings` keeps the listings fetched, for a caller that asks about many siblings.
   */
  async isDirectory(
    imageUuid: string,
    path: string,
    listings?: Map<string, Promise<DirectoryList>>,
  ): Promise<boolean> {
    return (await this.directoryPath(imageUuid, path, listings)) !== undefined;
  }

  /**
   * The directory at `path` as the image has it: `path` itself, or for a link to a directory
   * the path it leads to (resolved by the server inside the image); undefined when `path` is
   * not a directory (`isDirectory`).
   */
  async directoryPath(
    imageUuid: string,
    path: string,
    listings?: Map<string, Promise<DirectoryList>>,
  ): Promise<string | undefined> {
    if (path === "/") return path;
    const at = path.lastIndexOf("/");
    const parent = path.slice(0, at) || "/";
    try {
      let listed = listings?.get(parent);
      if (!listed) {
        listed = this.listDirectory(imageUuid, parent);
        listings?.set(parent, listed);
      }
      const listing = await listed;
      const entry = listing.files.find((file) => file.path === path.slice(at + 1));
      if (!entry?.is_symlink) return entry?.is_dir ? path : undefined;
      // A link (`/bin -> usr/bin`): what it leads to, resolved by the server inside the image.
      return (await this.listDirectory(imageUuid, path)).path || path;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 422)) {
        return undefined;
      }
      throw error;
    }
  }

  async listDirectoryText(imageUuid: string, path: string): Promise<string> {
    return await this.send(
      "GET",
      `/inspect/${pathSegment(imageUuid)}/list`,
      { query: { path, text: true } },
      (response) => response.text(),
    );
  }

  /**
   * A directory's listing as a stream, its JSON or (`text`) its `ls -l`-like text; the body is
   * returned unread: `ls` prints a directory of any size as it arrives.
   */
  listDirectoryBody(imageUuid: string, path: string, text = false): Promise<Response> {
    return this.send("GET", `/inspect/${pathSegment(imageUuid)}/list`, {
      bulk: true,
      query: text ? { path, text: true } : { path },
    });
  }

  /**
   * A file's bytes as a stream (the body is returned unread). Pass `stream: true` when the
   * bytes are read in JavaScript (`cat`); a body piped to a file is better left to fetch,
   * which pipes it without JavaScript in between.
   */
  download(imageUuid: string, path: string, options: RequestOptions = {}): Promise<Response> {
    return this.send("GET", `/inspect/${pathSegment(imageUuid)}/download`, {
      bulk: true,
      ...options,
      query: { path },
    });
  }

  /** A tar of a subtree as a stream (the body is returned unread). */
  archive(imageUuid: string, path: string, options: RequestOptions = {}): Promise<Response> {
    return this.send("GET", `/inspect/${pathSegment(imageUuid)}/archive`, {
      bulk: true,
      ...options,
      query: { path },
    });
  }

  /** Searches the files of an image (ripgrep on the server): the matching lines. */
  async grep(imageUuid: string, query: GrepQuery): Promise<GrepResult> {
    const endpoint = "GET /inspect/{uuid}/grep";
    const answer = objectOf<GrepResult>(
      await this.json("GET", `/inspect/${pathSegment(imageUuid)}/grep`, { query: { ...query } }),
      endpoint,
    );
    if (!Array.isArray(answer.matches)) {
      throw new ResponseShapeError(
        endpoint,
        `"matches" is ${describeJson(answer.matches)}, not a list`,
      );
    }
    return answer;
  }
}
