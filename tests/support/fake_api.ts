// A scriptable ConTree API fake on 127.0.0.1, port 0, with fault injection.
//
// - Every request is recorded (method, path, query, headers, body).
// - Routes: `fake.on(method, pattern, handler)`; a pattern is a path with `:name` segments.
//   Handlers answer with a `Reply` (or a Response); later registrations win.
// - `fake.script(method, pattern, ...replies)` queues one-shot replies consumed in order before
//   the route handler runs (status sequences with Retry-After, drops, truncated gzip, delays).
// - Bodies are gzip'd whenever the client sends `Accept-Encoding: gzip`, as the real API does;
//   streams are flushed per chunk (CompressionStream emits each enqueued chunk at once).
// - `eventStream(steps)` scripts an SSE body: frames, keepalives, `sse_error`, mid-stream drops,
//   truncated gzip, pauses, and waits on promises (to prove a frame arrived before the next one).

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: Uint8Array;
}

export type StreamStep =
  | { frame: { id?: number; type: string; data?: unknown; spid?: number; ts?: string } }
  | { raw: string }
  | { keepalive: true }
  | { sseError: string }
  | { idOnly: number }
  | { drop: true }
  | { truncateGzip: true }
  | { delayMs: number }
  | { waitFor: Promise<unknown> }
  | { signal: () => void };

export interface Reply {
  status?: number;
  json?: unknown;
  text?: string;
  bytes?: Uint8Array;
  headers?: Record<string, string>;
  /** An SSE body built from steps. */
  events?: StreamStep[];
  /** Send headers, then break the connection before the body completes. */
  dropBody?: boolean;
  /** Send a gzip body cut before its trailer. */
  truncateGzip?: boolean;
  /** Wait before answering. */
  delayMs?: number;
  /** Skip gzip even when the client accepts it. */
  identity?: boolean;
}

export type Handler = (
  request: RecordedRequest,
  params: Record<string, string>,
) => Reply | Response | Promise<Reply | Response>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

const encoder = new TextEncoder();

function compile(pattern: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = pattern
    .split("/")
    .map((part) => {
      if (part.startsWith(":")) {
        names.push(part.slice(1));
        return "([^/]+)";
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { regex: new RegExp(`^${source}$`), names };
}

export function sseFrame(
  event: { id?: number; type: string; data?: unknown; spid?: number; ts?: string },
): string {
  const payload = {
    ts: "2026-06-08T20:00:00Z",
    spid: event.type === "completion" ? 0 : 1,
    data: {},
    ...event,
  };
  const lines = [];
  if (event.id !== undefined) lines.push(`id: ${event.id}`);
  lines.push(`event: ${event.type}`, `data: ${JSON.stringify(payload)}`, "", "");
  return lines.join("\n");
}

async function gzipBytes(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export class FakeApi {
  readonly requests: RecordedRequest[] = [];
  readonly token = "fake-token";
  readonly #routes: Route[] = [];
  readonly #scripts = new Map<string, Reply[]>();
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  /** When false, requests without the bearer token still get through. */
  requireToken = true;
  /** whoami permissions answered by the default route. */
  permissions: Record<string, boolean> = { list: true, spawn: true, import: true, cancel: true };

  private constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request) => this.#dispatch(request),
    );
    this.on("GET", "/v1/whoami", () => ({
      json: {
        token_uuid: "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        token_expiration: null,
        permissions: this.permissions,
        limits: { instance_max_timeout: 3600 },
        operations_stat: {},
      },
    }));
  }

  static start(): FakeApi {
    return new FakeApi();
  }

  get port(): number {
    return this.#server.addr.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Registers a route; later registrations take precedence. */
  on(method: string, pattern: string, handler: Handler): this {
    const { regex, names } = compile(pattern);
    this.#routes.unshift({ method, pattern: regex, names, handler });
    return this;
  }

  /** Queues one-shot replies for `method pattern`, consumed before the route's handler. */
  script(method: string, pattern: string, ...replies: Reply[]): this {
    const key = `${method} ${pattern}`;
    this.#scripts.set(key, [...(this.#scripts.get(key) ?? []), ...replies]);
    if (
      !this.#routes.some((r) =>
        r.method === method && r.pattern.source === compile(pattern).regex.source
      )
    ) {
      this.on(
        method,
        pattern,
        () => ({ status: 404, json: { error: `no route for ${method} ${pattern}`, status: 404 } }),
      );
    }
    return this;
  }

  /** Recorded requests matching a method and an exact path. */
  calls(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  async close(): Promise<void> {
    for (const controller of this.#streams) {
      try {
        controller.close();
      } catch {
        // already closed or errored
      }
    }
    await this.#server.shutdown();
  }

  async #dispatch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const recorded: RecordedRequest = {
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body: new Uint8Array(await request.arrayBuffer()),
    };
    this.requests.push(recorded);
    const gzip = /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
    if (this.requireToken && request.headers.get("authorization") !== `Bearer ${this.token}`) {
      return this.#respond(
        { status: 401, json: { error: "invalid token", status: 401 } },
        gzip,
        request.method,
      );
    }
    for (const route of this.#routes) {
      if (route.method !== request.method) continue;
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      const params = Object.fromEntries(
        route.names.map((name, i) => [name, decodeURIComponent(match[i + 1])]),
      );
      const key = [...this.#scripts.keys()].find((k) => {
        const [method, pattern] = k.split(" ");
        return method === request.method && compile(pattern).regex.test(url.pathname) &&
          (this.#scripts.get(k)?.length ?? 0) > 0;
      });
      const reply = key ? this.#scripts.get(key)!.shift()! : await route.handler(recorded, params);
      return reply instanceof Response ? reply : await this.#respond(reply, gzip, request.method);
    }
    return this.#respond(
      {
        status: 404,
        json: { error: `no route for ${request.method} ${url.pathname}`, status: 404 },
      },
      gzip,
      request.method,
    );
  }

  async #respond(reply: Reply, gzipAccepted: boolean, method: string): Promise<Response> {
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    const status = reply.status ?? 200;
    const headers = new Headers(reply.headers);
    const gzip = gzipAccepted && !reply.identity;
    if (reply.events) {
      headers.set("content-type", "text/event-stream");
      headers.set("cache-control", "no-cache");
      if (gzip) headers.set("content-encoding", "gzip");
      // A drop closes the body early while a Content-Length promised more: the client sees a
      // connection that broke mid-body (an errored stream would do the same, noisily).
      if (reply.events.some((step) => "drop" in step)) headers.set("content-length", "1000000000");
      return new Response(this.#eventBody(reply.events, gzip), { status, headers });
    }
    let body: Uint8Array | undefined;
    if (reply.json !== undefined) {
      body = encoder.encode(JSON.stringify(reply.json));
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    } else if (reply.text !== undefined) body = encoder.encode(reply.text);
    else if (reply.bytes !== undefined) body = reply.bytes;
    if (body === undefined || status === 204 || method === "HEAD") {
      return new Response(null, { status, headers });
    }
    if (gzip) {
      body = await gzipBytes(body);
      headers.set("content-encoding", "gzip");
    }
    if (reply.truncateGzip) body = body.slice(0, Math.max(body.length - 8, 1));
    if (reply.dropBody) {
      // Promise more bytes than we send: the client sees the connection end mid-body.
      const half = body.slice(0, Math.max(1, body.length >> 1));
      headers.set("content-length", String(body.length + 1));
      return new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(half);
            controller.close();
          },
        }),
        { status, headers },
      );
    }
    return new Response(body as BodyInit, { status, headers });
  }

  #eventBody(steps: StreamStep[], gzip: boolean): ReadableStream<Uint8Array> {
    const streams = this.#streams;
    let compressor:
      | { writer: WritableStreamDefaultWriter<Uint8Array>; pump: Promise<void> }
      | undefined;
    return new ReadableStream<Uint8Array>({
      async start(controller) {
        streams.add(controller);
        if (gzip) {
          const stream = new CompressionStream("gzip");
          const reader = stream.readable.getReader();
          compressor = {
            writer: stream.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array>,
            pump: (async () => {
              for (;;) {
                const { value, done } = await reader.read();
                if (done) return;
                try {
                  controller.enqueue(value);
                } catch {
                  return;
                }
              }
            })(),
          };
        }
        const send = async (text: string) => {
          const bytes = encoder.encode(text);
          if (compressor) await compressor.writer.write(bytes);
          else controller.enqueue(bytes);
          // Let the compressor's output reach the socket before the next step.
          await new Promise((resolve) => setTimeout(resolve, 0));
        };
        try {
          for (const step of steps) {
            if ("frame" in step) await send(sseFrame(step.frame));
            else if ("raw" in step) await send(step.raw);
            else if ("keepalive" in step) await send(": keepalive\n\n");
            else if ("sseError" in step) {
              await send(
                `: stream ended with error, retry since last event id\n\nevent: sse_error\ndata: ${step.sseError}\n\n`,
              );
            } else if ("idOnly" in step) await send(`id: ${step.idOnly}\n\n`);
            else if ("delayMs" in step) {
              await new Promise((resolve) => setTimeout(resolve, step.delayMs));
            } else if ("waitFor" in step) await step.waitFor;
            else if ("signal" in step) step.signal();
            else if ("drop" in step) {
              await new Promise((resolve) => setTimeout(resolve, 5));
              controller.close();
              return;
            } else if ("truncateGzip" in step) {
              // Close the HTTP body without finishing the gzip member: no trailer arrives.
              await new Promise((resolve) => setTimeout(resolve, 5));
              controller.close();
              return;
            }
          }
          if (compressor) {
            await compressor.writer.close();
            await compressor.pump;
          }
          controller.close();
        } catch {
          // the client went away
        } finally {
          streams.delete(controller);
        }
      },
    });
  }
}

/** A listing (`GET /inspect/{image}/list`) whose entries are directories named `names`. */
export function directoriesListing(path: string, names: string[]): Reply {
  const files = names.map((name) => ({
    path: name,
    size: 4096,
    owner: "root",
    group: "root",
    uid: 0,
    gid: 0,
    mode: 0o40755,
    mtime: 1_700_000_000,
    nlink: 2,
    is_dir: true,
    is_regular: false,
    is_symlink: false,
    is_socket: false,
    is_fifo: false,
    symlink_to: "",
  }));
  return { json: { path, files } };
}
