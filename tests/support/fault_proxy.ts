// A fault-injecting HTTP/1.1 proxy on 127.0.0.1, port 0, between a client (the CLI, or an
// in-process follower) and a server (the local server on podman, or the FakeApi). Every request
// is decided by a plan:
//
// - `{ pass: true }`: forwarded untouched (gzip bytes as the server sent them);
// - `{ status }`: answered by the proxy (a 503, a 404, a 429 with Retry-After, …);
// - `{ resetAfter: n }`: forwarded, and the connection is cut after n body bytes: a reset
//   inside a gzip frame;
// - `{ endAfter: n }`: forwarded, and the body ends cleanly (chunked terminator) after n bytes:
//   a truncated gzip member;
// - `{ frames: edit }`: the event stream is fetched uncompressed, rewritten frame by frame
//   (drop the completion, drop output frames, inject junk) and re-gzip'd per frame;
// - `{ stream: chunks }`: a synthetic event-stream body (keepalive comments, junk), then a close;
// - `{ hang: true }`: the request is read and never answered.
//
// One request per connection (`Connection: close` both ways), so a fault never spills into the
// next request. `down()` cuts every connection and refuses new ones (the server is gone);
// `up()` listens again on the same port; `retarget()` points it at a restarted server.

import { writeAll } from "../../src/bytes.ts";

export interface ProxiedRequest {
  method: string;
  /** The path without the query. */
  path: string;
  query: URLSearchParams;
  headers: Headers;
  /** How many earlier requests had the same method and path (0 for the first). */
  seen: number;
}

/** One frame of an event stream (its text without the blank line) → the frames to send instead; null ends the stream cleanly here. */
export type FrameEdit = (frame: string) => string[] | null;

export type Fault =
  | { pass: true }
  | { status: number; headers?: Record<string, string>; json?: unknown }
  | { resetAfter: number }
  | { endAfter: number }
  | { frames: FrameEdit }
  | { stream: string[] }
  | { hang: true };

export type FaultPlan = (request: ProxiedRequest) => Fault;

export const PASS: Fault = { pass: true };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEAD_END = encoder.encode("\r\n\r\n");

/** Reads an HTTP/1.1 message from a connection: the head, then the body by its framing. */
class MessageReader {
  #buffer = new Uint8Array(0);
  /** Where the unread bytes of #buffer start (no copy per take). */
  #at = 0;

  constructor(private readonly conn: Deno.Conn) {}

  get #available(): number {
    return this.#buffer.length - this.#at;
  }

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.conn.read(chunk).catch(() => null);
    if (n === null) return false;
    const joined = new Uint8Array(this.#available + n);
    joined.set(this.#buffer.subarray(this.#at));
    joined.set(chunk.subarray(0, n), this.#available);
    this.#buffer = joined;
    this.#at = 0;
    return true;
  }

  #take(n: number): Uint8Array {
    const taken = this.#buffer.subarray(this.#at, this.#at + n);
    this.#at += n;
    return taken;
  }

  #indexOf(needle: Uint8Array): number {
    outer: for (let i = this.#at; i + needle.length <= this.#buffer.length; i++) {
      for (let j = 0; j < needle.length; j++) if (this.#buffer[i + j] !== needle[j]) continue outer;
      return i - this.#at;
    }
    return -1;
  }

  /** The start line and headers, or undefined when the connection closed first. */
  async head(): Promise<{ start: string; headers: Headers } | undefined> {
    let at: number;
    while ((at = this.#indexOf(HEAD_END)) < 0) if (!(await this.#fill())) return undefined;
    const lines = decoder.decode(this.#take(at + HEAD_END.length)).split("\r\n");
    const headers = new Headers();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    return { start: lines[0], headers };
  }

  async #line(): Promise<string | undefined> {
    let at: number;
    const crlf = encoder.encode("\r\n");
    while ((at = this.#indexOf(crlf)) < 0) if (!(await this.#fill())) return undefined;
    const line = decoder.decode(this.#take(at));
    this.#take(2);
    return line;
  }

  async #exact(n: number): Promise<Uint8Array | undefined> {
    while (this.#available < n) if (!(await this.#fill())) return undefined;
    return this.#take(n);
  }

  /**
   * The body's payload piece by piece (de-chunked), until its end or a broken connection. A
   * request without Content-Length or chunked framing has no body; a response reads to EOF.
   */
  async *body(headers: Headers, kind: "request" | "response"): AsyncGenerator<Uint8Array> {
    if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
      for (;;) {
        const size = await this.#line();
        if (size === undefined) return;
        const n = parseInt(size, 16);
        if (!Number.isFinite(n) || n === 0) {
          await this.#line();
          return;
        }
        const piece = await this.#exact(n);
        if (!piece) return;
        await this.#line();
        yield piece;
      }
    }
    const length = headers.get("content-length");
    if (length !== null) {
      let left = Number(length);
      while (left > 0) {
        if (this.#available === 0 && !(await this.#fill())) return;
        const piece = this.#take(Math.min(left, this.#available));
        left -= piece.length;
        yield piece;
      }
      return;
    }
    if (kind === "request") return;
    for (;;) {
      if (this.#available === 0 && !(await this.#fill())) return;
      yield this.#take(this.#available);
    }
  }
}

function chunk(bytes: Uint8Array): Uint8Array {
  const head = encoder.encode(`${bytes.length.toString(16)}\r\n`);
  const out = new Uint8Array(head.length + bytes.length + 2);
  out.set(head);
  out.set(bytes, head.length);
  out.set(encoder.encode("\r\n"), head.length + bytes.length);
  return out;
}

const LAST_CHUNK = encoder.encode("0\r\n\r\n");

function headText(start: string, headers: Headers): Uint8Array {
  const lines = [start];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  return encoder.encode(`${lines.join("\r\n")}\r\n\r\n`);
}

export class FaultProxy {
  /** Every request seen, in order. */
  readonly requests: ProxiedRequest[] = [];
  /** Requests that got something other than `pass`. */
  faultsApplied = 0;
  /** Bodies actually cut short by `resetAfter`/`endAfter` (a short body may end before). */
  cuts = 0;
  #listener?: Deno.TcpListener;
  #port = 0;
  readonly #open = new Set<Deno.Conn>();
  readonly #serving = new Set<Promise<void>>();
  readonly #seen = new Map<string, number>();
  /** Requests left unanswered (`hang`), released by `down()`. */
  readonly #hanging = new Set<() => void>();

  constructor(
    private target: { hostname: string; port: number },
    public plan: FaultPlan = () => PASS,
  ) {
    this.#listen();
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Sends later requests to another server (a restarted one). */
  retarget(target: { hostname: string; port: number }): void {
    this.target = target;
  }

  /** Listens again on the same port after `down()` (the port is released asynchronously). */
  async up(): Promise<void> {
    for (let attempt = 0;; attempt++) {
      try {
        return this.#listen();
      } catch (error) {
        if (!(error instanceof Deno.errors.AddrInUse) || attempt >= 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }

  #listen(): void {
    if (this.#listener) return;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: this.#port });
    this.#port = (this.#listener.addr as Deno.NetAddr).port;
    const serving = this.#accept(this.#listener);
    this.#serving.add(serving);
    serving.finally(() => this.#serving.delete(serving));
  }

  /** The server is gone: every open connection is cut, new ones are refused. */
  down(): void {
    this.#listener?.close();
    this.#listener = undefined;
    for (const conn of this.#open) this.#close(conn);
    for (const release of this.#hanging) release();
    this.#hanging.clear();
  }

  async close(): Promise<void> {
    this.down();
    await Promise.allSettled([...this.#serving]);
  }

  #close(conn: Deno.Conn): void {
    try {
      conn.close();
    } catch {
      // already closed
    }
    this.#open.delete(conn);
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    const handling = new Set<Promise<void>>();
    try {
      for await (const client of listener) {
        this.#open.add(client);
        const done = this.#handle(client).catch(() => {}).finally(() => {
          this.#close(client);
          handling.delete(done);
        });
        handling.add(done);
      }
    } catch {
      // the listener was closed
    }
    await Promise.allSettled([...handling]);
  }

  async #handle(client: Deno.Conn): Promise<void> {
    const reader = new MessageReader(client);
    const head = await reader.head();
    if (!head) return;
    const [method, target] = head.start.split(" ");
    const url = new URL(target, "http://proxy");
    const key = `${method} ${url.pathname}`;
    const seen = this.#seen.get(key) ?? 0;
    this.#seen.set(key, seen + 1);
    const request: ProxiedRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: head.headers,
      seen,
    };
    this.requests.push(request);
    const pieces: Uint8Array[] = [];
    for await (const piece of reader.body(head.headers, "request")) {
      pieces.push(piece);
    }
    const fault = this.plan(request);
    if (!("pass" in fault)) this.faultsApplied++;
    if ("hang" in fault) {
      await new Promise<void>((resolve) => this.#hanging.add(resolve));
      return;
    }
    if ("status" in fault) {
      const body = encoder.encode(
        JSON.stringify(fault.json ?? { error: "injected fault", status: fault.status }),
      );
      const headers = new Headers(fault.headers);
      headers.set("content-type", "application/json");
      headers.set("content-length", String(body.length));
      headers.set("connection", "close");
      await writeAll(client, headText(`HTTP/1.1 ${fault.status} Injected`, headers));
      await writeAll(client, body);
      return;
    }
    if ("stream" in fault) {
      const headers = new Headers({
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "transfer-encoding": "chunked",
        connection: "close",
      });
      await writeAll(client, headText("HTTP/1.1 200 OK", headers));
      for (const text of fault.stream) await writeAll(client, chunk(encoder.encode(text)));
      await writeAll(client, LAST_CHUNK);
      return;
    }
    await this.#forward(client, head, pieces, fault);
  }

  async #forward(
    client: Deno.Conn,
    head: { start: string; headers: Headers },
    body: Uint8Array[],
    fault: Fault,
  ): Promise<void> {
    const upstream = await Deno.connect(this.target);
    this.#open.add(upstream);
    try {
      const headers = new Headers(head.headers);
      headers.set("connection", "close");
      const framed = "frames" in fault;
      const gzipWanted = /\bgzip\b/.test(headers.get("accept-encoding") ?? "");
      if (framed) headers.set("accept-encoding", "identity");
      if (body.length > 0) {
        headers.delete("transfer-encoding");
        headers.set("content-length", String(body.reduce((n, b) => n + b.length, 0)));
      }
      await writeAll(upstream, headText(head.start, headers));
      for (const piece of body) await writeAll(upstream, piece);

      const reader = new MessageReader(upstream);
      const response = await reader.head();
      if (!response) return;
      const status = Number(response.start.split(" ")[1]);
      const bodyless = head.start.startsWith("HEAD ") || status === 204 || status === 304;
      const out = new Headers(response.headers);
      out.delete("content-length");
      out.delete("transfer-encoding");
      out.set("connection", "close");
      if (bodyless) {
        out.set("content-length", "0");
        await writeAll(client, headText(response.start, out));
        return;
      }
      out.set("transfer-encoding", "chunked");
      if (framed && status === 200 && gzipWanted) out.set("content-encoding", "gzip");
      await writeAll(client, headText(response.start, out));
      const payload = reader.body(response.headers, "response");
      if (framed && status === 200) {
        await this.#rewrite(client, payload, fault.frames, gzipWanted);
        return;
      }
      const limit = "resetAfter" in fault
        ? fault.resetAfter
        : "endAfter" in fault
        ? fault.endAfter
        : Infinity;
      let sent = 0;
      for await (const piece of payload) {
        const room = limit - sent;
        if (piece.length >= room) {
          if (room > 0) await writeAll(client, chunk(piece.subarray(0, room)));
          this.cuts++;
          // A reset: the connection ends inside the body (and inside a gzip frame).
          if ("endAfter" in fault) await writeAll(client, LAST_CHUNK);
          return;
        }
        sent += piece.length;
        await writeAll(client, chunk(piece));
      }
      await writeAll(client, LAST_CHUNK);
    } finally {
      this.#close(upstream);
    }
  }

  /** Rewrites an uncompressed event stream frame by frame; gzip'd per frame when wanted. */
  async #rewrite(
    client: Deno.Conn,
    payload: AsyncIterable<Uint8Array>,
    edit: FrameEdit,
    gzip: boolean,
  ): Promise<void> {
    const compressor = gzip ? new CompressionStream("gzip") : undefined;
    const writer = compressor?.writable.getWriter();
    const pump = compressor
      ? (async () => {
        for await (const bytes of compressor.readable) await writeAll(client, chunk(bytes));
      })()
      : Promise.resolve();
    // A client gone (BrokenPipe) ends the pump: the writes waiting on it fail too, instead of
    // the pump's rejection dangling (an uncaught error that failed the whole test module).
    pump.catch((error) => writer?.abort(error).catch(() => {}));
    const send = async (text: string) => {
      const bytes = encoder.encode(text);
      if (writer) await writer.write(bytes);
      else await writeAll(client, chunk(bytes));
    };
    const textDecoder = new TextDecoder();
    let pending = "";
    reading: for await (const piece of payload) {
      pending += textDecoder.decode(piece, { stream: true });
      let at: number;
      while ((at = pending.indexOf("\n\n")) >= 0) {
        const frame = pending.slice(0, at);
        pending = pending.slice(at + 2);
        const replacement = edit(frame);
        if (replacement === null) break reading;
        for (const text of replacement) await send(`${text}\n\n`);
      }
    }
    if (writer) {
      await writer.close();
      await pump;
    }
    await writeAll(client, LAST_CHUNK);
  }
}

/** The event type of a frame's `event:` line (undefined for comments and id-only frames). */
export function frameType(frame: string): string | undefined {
  return /^event: *(.+)$/m.exec(frame)?.[1]?.trim();
}
