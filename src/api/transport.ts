// How requests travel: which fetch carries the ordinary requests, and the transport for long
// response bodies (event streams, downloads): node:http(s) + node:zlib.
//
// Ordinary requests to a plain-http server open a connection each (as the reference CLI does)
// instead of reusing kept-alive ones: a server that writes a response's headers and body in two
// writes without TCP_NODELAY holds the body back behind Nagle's algorithm until the client's
// delayed ACK (~40 ms) — on every request of a kept-alive connection, while a fresh connection
// starts in quick-ACK mode. `op wait` on 500 finished operations took 3.0 s instead of 0.3 s on
// such a server (docs/BENCHMARKS.md). On loopback or a LAN a connection costs a fraction of a
// millisecond; https keeps the pool (a TLS handshake per request would cost more, and TLS
// servers are production ones).
//
// Deno's fetch inflates a gzip body in ~4 KiB pieces: a 200 MB event stream arrives in ~53,000
// reads and reading it costs ~2× what curl needs for the whole job on this machine
// (docs/BENCHMARKS.md). node:zlib inflates the same bytes in 128 KiB pieces at several times
// the speed. This module is a `fetch` for the requests the client marks as streams (GET, no
// body), with fetch's contract: the answer is a Response whose body is already inflated (the
// `Content-Encoding` header stays, as with fetch), a connection that breaks or a gzip body
// cut short makes reading the body fail with a TypeError, and an abort rejects (or fails the
// body) with the signal's reason. Everything above it — retries, Retry-After, redaction,
// resume — is the client's and the follower's, whichever transport carries the bytes.
//
// node:http in Deno ignores HTTP_PROXY/HTTPS_PROXY, so where a proxy applies (and where TLS is
// configured in ways only fetch is known to honour) `streamTransportFor` answers undefined and
// the client keeps fetch. node:https trusts DENO_CERT or NODE_EXTRA_CA_CERTS like fetch, but
// with both set it reads only NODE_EXTRA_CA_CERTS (fetch trusts both): fetch then too.

import type { Env } from "../env.ts";

/** Size of the pieces node:zlib inflates into. */
const INFLATE_CHUNK_BYTES = 128 * 1024;
/** Inflated chunks held before the socket is paused. */
const QUEUED_CHUNKS = 4;
const NO_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * The proxy variable fetch would use for `url`, if any. Deno's fetch reads HTTP_PROXY for http
 * URLs and HTTPS_PROXY for https (either case), minus the hosts in NO_PROXY; ALL_PROXY is
 * treated as applying too, so that any doubt keeps fetch.
 */
export function proxyFor(url: URL, env: Env): string | undefined {
  const get = (name: string) => env.get(name) || env.get(name.toLowerCase()) || undefined;
  const proxy = (url.protocol === "https:" ? get("HTTPS_PROXY") : get("HTTP_PROXY")) ??
    get("ALL_PROXY");
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  for (const raw of (get("NO_PROXY") ?? "").split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return undefined;
    const match = /^\.?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!match) continue;
    const name = match[1].replace(/^\[|\]$/g, "");
    if (match[2] && match[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return undefined;
  }
  return proxy;
}

/**
 * A TLS setting fetch honours and node:https is not known to (the system store, which also
 * brings SSL_CERT_FILE/SSL_CERT_DIR in): keep fetch when set.
 */
const FETCH_ONLY_TLS = ["DENO_TLS_CA_STORE"];

/** The stream transport for requests to `base`, or undefined where fetch must carry them. */
export function streamTransportFor(base: URL, env: Env): typeof fetch | undefined {
  if (proxyFor(base, env) !== undefined) return undefined;
  if (base.protocol === "https:") {
    if (FETCH_ONLY_TLS.some((name) => env.get(name))) return undefined;
    if (env.get("DENO_CERT") && env.get("NODE_EXTRA_CA_CERTS")) return undefined;
  }
  return nodeStreamFetch;
}

function headerRecord(headers: HeadersInit | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  new Headers(headers).forEach((value, name) => record[name] = value);
  return record;
}

/** A network failure, as fetch reports one (the client and the follower retry TypeErrors). */
function networkError(error: unknown): TypeError {
  if (error instanceof TypeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TypeError(`error reading a response body: ${message}`, { cause: error });
}

/** A URL of this machine's loopback interface (127.0.0.0/8, ::1, localhost). */
export function isLoopback(url: URL): boolean {
  return url.hostname === "localhost" || url.hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
}

/** The fetch for ordinary requests to `base`, and what releases it. */
export function requestTransportFor(
  base: URL,
  fetch: typeof globalThis.fetch,
): { fetch: typeof globalThis.fetch; close(): void } {
  if (base.protocol !== "http:") return { fetch, close: () => {} };
  let client: Deno.HttpClient | undefined;
  return {
    fetch: (input, init) => {
      client ??= Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
      // Deno's fetch takes the client beside the standard fields.
      const options: RequestInit & { client: Deno.HttpClient } = { ...init, client };
      return fetch(input, options);
    },
    close: () => client?.close(),
  };
}

/** `fetch` over node:http(s) + node:zlib, for GET requests without a body. */
export async function nodeStreamFetch(
  input: string | URL | Request,
  init: RequestInit = {},
): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = (init.method ?? "GET").toUpperCase();
  if (init.body !== undefined && init.body !== null) {
    throw new TypeError("the stream transport sends no request bodies");
  }
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  const [http, zlib] = await Promise.all([
    url.protocol === "https:" ? import("node:https") : import("node:http"),
    import("node:zlib"),
  ]);
  return await new Promise<Response>((resolve, reject) => {
    const request = http.request(url, { method, headers: headerRecord(init.headers) });
    let settled = false;
    let fail = (error: unknown) => {
      settled = true;
      reject(error);
    };
    const onAbort = () => {
      request.destroy();
      fail(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const detach = () => signal?.removeEventListener("abort", onAbort);
    request.on("error", (error) => {
      detach();
      if (!settled) fail(signal?.aborted ? signal.reason : networkError(error));
    });
    request.on("response", (message) => {
      const status = message.statusCode ?? 0;
      const headers = new Headers();
      for (const [name, value] of Object.entries(message.headers)) {
        if (Array.isArray(value)) { for (const item of value) headers.append(name, item); }
        else if (value !== undefined) headers.set(name, value);
      }
      const init = { status, statusText: message.statusMessage ?? "", headers };
      if (method === "HEAD" || NO_BODY_STATUSES.has(status)) {
        detach();
        message.resume();
        settled = true;
        resolve(new Response(null, init));
        return;
      }
      const encoding = (headers.get("content-encoding") ?? "").trim().toLowerCase();
      const inflater = encoding === "gzip" || encoding === "x-gzip"
        ? zlib.createGunzip({ chunkSize: INFLATE_CHUNK_BYTES })
        : encoding === "deflate"
        ? zlib.createInflate({ chunkSize: INFLATE_CHUNK_BYTES })
        : undefined;
      const source = inflater ? message.pipe(inflater) : message;
      let done = false;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          const end = (error?: unknown) => {
            if (done) return;
            done = true;
            detach();
            if (error === undefined) controller.close();
            else controller.error(error);
            message.destroy();
            inflater?.destroy();
          };
          // From here on a failure fails the body, as with fetch.
          fail = (error) => end(error);
          source.on("data", (chunk: Uint8Array) => {
            if (done) return;
            controller.enqueue(chunk);
            if ((controller.desiredSize ?? 1) <= 0) source.pause();
          });
          source.on("end", () => {
            // The socket closed before the message was complete (cut chunked framing).
            if (!message.complete) end(networkError(new Error("the connection closed early")));
            else end();
          });
          source.on("error", (error: Error) => end(networkError(error)));
          message.on("error", (error: Error) => end(networkError(error)));
          message.on("aborted", () => end(networkError(new Error("the connection was reset"))));
          message.on("close", () => {
            if (!message.complete) {
              end(signal?.aborted ? signal.reason : networkError(new Error("connection closed")));
            }
          });
        },
        pull() {
          source.resume();
        },
        cancel() {
          done = true;
          detach();
          message.destroy();
          inflater?.destroy();
        },
      }, { highWaterMark: QUEUED_CHUNKS });
      settled = true;
      resolve(new Response(body, init));
    });
    request.end();
  });
}
