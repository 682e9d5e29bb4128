// HTTP plumbing of the server: a small router, bearer-token checks, and the response rules of
// the API (spec §1.4, §1.7): bodies gzip'd when the client accepts it (streams chunk by chunk,
// each chunk decodable on arrival; a download whose first chunk does not shrink — random bytes,
// compressed files — is sent as is), JSON errors `{"error", "status"}` everywhere
// except HEAD, and no body on HEAD (an identity GET's headers), 204 and bodiless answers.

import { createHash, timingSafeEqual } from "node:crypto";
import { HttpError, storageError } from "./errors.ts";
import { compresses, gzipBytes, gzipStream } from "./gzip.ts";

export interface Reply {
  status?: number;
  json?: unknown;
  text?: string;
  body?: ReadableStream<Uint8Array> | Uint8Array;
  headers?: Record<string, string>;
  /** `body` is already gzip'd (its producer encodes it; only given to clients accepting gzip). */
  gzipped?: boolean;
  /** gzip even when it does not shrink (archives: clients may keep the body as a .tar.gz). */
  alwaysGzip?: boolean;
}

export interface RequestContext {
  request: Request;
  url: URL;
  query: URLSearchParams;
  /** Decoded path parameters, in pattern order. */
  params: string[];
}

export type RouteHandler = (req: RequestContext) => Reply | Promise<Reply>;

interface Route {
  key: string;
  pattern: RegExp;
  handlers: Map<string, RouteHandler>;
}

const encoder = new TextEncoder();

export class Router {
  readonly #routes: Route[] = [];

  /** `pattern` is a path such as `/v1/files/:sha` (`:name` matches one segment). */
  on(method: string, pattern: string, handler: RouteHandler): this {
    const source = pattern.split("/").map((part) =>
      part.startsWith(":") ? "([^/]+)" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    ).join("/");
    let route = this.#routes.find((r) => r.key === pattern);
    if (!route) {
      route = { key: pattern, pattern: new RegExp(`^${source}$`), handlers: new Map() };
      this.#routes.push(route);
    }
    route.handlers.set(method, handler);
    return this;
  }

  /** The handler for a request; HEAD falls back to GET (the body is dropped later). */
  match(method: string, path: string): { handler: RouteHandler; params: string[] } {
    for (const route of this.#routes) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      const handler = route.handlers.get(method) ??
        (method === "HEAD" ? route.handlers.get("GET") : undefined);
      if (!handler) {
        throw new HttpError(405, `method ${method} not allowed on ${path}`, {
          Allow: allowedMethods(route.handlers).join(", "),
        });
      }
      let params: string[];
      try {
        params = match.slice(1).map(decodeURIComponent);
      } catch {
        throw new HttpError(400, `malformed path: ${path}`);
      }
      return { handler, params };
    }
    throw new HttpError(404, `no route for ${method} ${path}`);
  }
}

function digest(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
}

/** Constant-time check of an `Authorization: Bearer <token>` header. */
export function bearerMatches(header: string | null, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? "");
  return match !== null && timingSafeEqual(digest(match[1]), digest(token));
}

/** Whether `Accept-Encoding` takes gzip (RFC 9110 §12.5.3: listed, or `*`, with q above 0). */
export function acceptsGzip(request: Request): boolean {
  let star = false;
  for (const item of (request.headers.get("accept-encoding") ?? "").split(",")) {
    const [coding, ...params] = item.trim().toLowerCase().split(";").map((part) => part.trim());
    const q = params.find((param) => param.startsWith("q="));
    const accepted = q === undefined || Number(q.slice(2)) > 0;
    if (coding === "gzip" || coding === "x-gzip") return accepted;
    if (coding === "*") star = accepted;
  }
  return star;
}

const MAX_ERROR_CHARS = 1000;

/**
 * The error body of a failed request. Only HttpErrors say what went wrong in their own words
 * (and storage failures, in fixed words); anything else is a bare 500, its details in the log,
 * so that no host path or stack reaches a client.
 */
export function errorReply(error: unknown): Reply {
  error = storageError(error) ?? error;
  if (error instanceof HttpError) {
    // Messages quote the bad value: one of megabytes is not sent back whole.
    const message = error.message.length > MAX_ERROR_CHARS
      ? `${error.message.slice(0, MAX_ERROR_CHARS)}…`
      : error.message;
    return {
      status: error.status,
      json: { error: message, status: error.status },
      headers: error.headers,
    };
  }
  return {
    status: 500,
    json: { error: "internal error (details in the server log)", status: 500 },
  };
}

/** A stream's first chunk, and a stream that still yields everything. */
async function peek(
  stream: ReadableStream<Uint8Array>,
): Promise<{ first?: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const read = await reader.read();
  let first = read.done ? undefined : read.value;
  const whole = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      if (first) {
        controller.enqueue(first);
        first = undefined;
        return;
      }
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { first: read.done ? undefined : read.value, stream: whole };
}

/** The methods a route answers: its handlers', and HEAD wherever GET is (the fallback above). */
function allowedMethods(handlers: Map<string, unknown>): string[] {
  const methods = [...handlers.keys()];
  return handlers.has("GET") && !handlers.has("HEAD") ? [...methods, "HEAD"] : methods;
}

/** Turns a Reply into a Response, applying the encoding rules above. */
export async function toResponse(reply: Reply, gzip: boolean, method: string): Promise<Response> {
  // HEAD answers with the headers of an identity GET (RFC 9110 §9.3.2): its Content-Length, no
  // Content-Encoding (a client's gzip decoder would fail on the missing body).
  if (method === "HEAD") gzip = false;
  const status = reply.status ?? 200;
  const headers = new Headers(reply.headers);
  let body: ReadableStream<Uint8Array> | Uint8Array | undefined = reply.body;
  // JSON and text are gzip'd whatever their size, as the spec has every body (§1.4): only a
  // download is sent as is when it does not shrink.
  const alwaysGzip = reply.alwaysGzip || reply.json !== undefined || reply.text !== undefined;
  if (reply.json !== undefined) {
    body = encoder.encode(JSON.stringify(reply.json));
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  } else if (reply.text !== undefined) {
    body = encoder.encode(reply.text);
    if (!headers.has("content-type")) headers.set("content-type", "text/plain; charset=utf-8");
  }
  if (status === 204 || status === 304 || body === undefined) {
    if (body instanceof ReadableStream) void body.cancel().catch(() => {});
    return new Response(null, { status, headers });
  }
  if (gzip) headers.append("vary", "Accept-Encoding");
  if (reply.gzipped) {
    headers.set("content-encoding", "gzip");
  } else if (gzip && body instanceof ReadableStream) {
    const peeked = await peek(body);
    body = peeked.stream;
    if (alwaysGzip || !peeked.first || compresses(peeked.first)) {
      headers.delete("content-length"); // it counted the plain bytes
      headers.set("content-encoding", "gzip");
      body = gzipStream(body);
    }
  } else if (gzip && body instanceof Uint8Array && (alwaysGzip || compresses(body))) {
    headers.set("content-encoding", "gzip");
    body = gzipBytes(body);
  }
  if (method === "HEAD") {
    headers.delete("content-encoding");
    if (body instanceof Uint8Array) {
      headers.set("content-length", String(body.length));
      return new Response(null, { status, headers });
    }
    void body.cancel().catch(() => {});
    // A streamed GET's length is unknown: no Content-Length, as the GET has none (Deno writes
    // `content-length: 0` for a null body, an empty stream it leaves alone) — unless the
    // handler set one, as downloads do.
    if (headers.has("content-length")) return new Response(null, { status, headers });
    return new Response(new ReadableStream({ start: (c) => c.close() }), { status, headers });
  }
  return new Response(body as BodyInit, { status, headers });
}
