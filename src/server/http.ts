// HTTP plumbing of the server: a small router, bearer-token checks, and the response rules of
// the API (spec §1.4, §1.7): every body gzip'd when the client accepts it (streams through a
// CompressionStream, which flushes every chunk it is given, so each SSE frame is decodable on
// arrival), JSON errors `{"error", "status"}` everywhere except HEAD, and no body (nor
// Content-Encoding) on HEAD, 204 and bodiless answers.

import { createHash, timingSafeEqual } from "node:crypto";
import { gzipSync } from "node:zlib";
import { HttpError } from "./errors.ts";

export interface Reply {
  status?: number;
  json?: unknown;
  text?: string;
  body?: ReadableStream<Uint8Array> | Uint8Array;
  headers?: Record<string, string>;
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
          Allow: [...route.handlers.keys()].join(", "),
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

export function acceptsGzip(request: Request): boolean {
  return /\bgzip\b/i.test(request.headers.get("accept-encoding") ?? "");
}

export function errorReply(error: unknown): Reply {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      json: { error: error.message, status: error.status },
      headers: error.headers,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, json: { error: `internal error: ${message}`, status: 500 } };
}

/** Turns a Reply into a Response, applying the encoding rules above. */
export function toResponse(reply: Reply, gzip: boolean, method: string): Response {
  const status = reply.status ?? 200;
  const headers = new Headers(reply.headers);
  let body: ReadableStream<Uint8Array> | Uint8Array | undefined = reply.body;
  if (reply.json !== undefined) {
    body = encoder.encode(JSON.stringify(reply.json));
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  } else if (reply.text !== undefined) {
    body = encoder.encode(reply.text);
    if (!headers.has("content-type")) headers.set("content-type", "text/plain; charset=utf-8");
  }
  if (method === "HEAD" || status === 204 || status === 304 || body === undefined) {
    if (body instanceof ReadableStream) void body.cancel().catch(() => {});
    return new Response(null, { status, headers });
  }
  if (gzip) {
    headers.set("content-encoding", "gzip");
    headers.append("vary", "Accept-Encoding");
    body = body instanceof ReadableStream
      ? body.pipeThrough<Uint8Array>(
        new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
      )
      : new Uint8Array(gzipSync(body));
  }
  return new Response(body as BodyInit, { status, headers });
}
