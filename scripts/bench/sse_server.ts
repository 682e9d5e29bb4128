// A bench server that replays one stored operation log through the local server's own event
// code: the events are appended with `EventLog` into the server's SQLite `Store`, streamed by
// `EventLog.stream` (shared segments of frames, gzip'd piece by piece, output bytes in the
// output files) — the bytes `GET /v1/operations/{id}/events` of the local server sends. Every `POST /v1/instances` answers with that operation, so `contree run`
// streams it; curl reads the same route.

import { EventLog } from "../../src/server/events.ts";
import { acceptsGzip, bearerMatches, toResponse } from "../../src/server/http.ts";
import { OutputFiles } from "../../src/server/outputs.ts";
import { Store } from "../../src/server/store.ts";
import { prng } from "../../tests/support/prng.ts";

export interface ReplayServer {
  url: string;
  token: string;
  operation: string;
  resultImage: string;
  /** Bytes of stdout the log carries. */
  stdoutBytes: number;
  events: number;
  /** Size of the gzip'd replay, when precompressed. */
  gzipBytes: number;
  close(): Promise<void>;
}

export interface ReplayOptions {
  /** Total stdout bytes. */
  totalBytes: number;
  /** Bytes per stdout event (the local server emits what a pipe read returns: 64 KiB). */
  chunkBytes: number;
  /** Random bytes (base64 on the wire) instead of text lines. */
  binary: boolean;
  /**
   * Compress the full replay once and serve those bytes (the same bytes, frames flushed at the
   * same points) instead of compressing per request: the server then costs next to nothing and
   * the clients' own cost is what is measured (this machine's cores are shared with it).
   */
  precompressed: boolean;
}

const LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN"];
const WORDS = ["worker", "request", "done", "queued", "GET /api/items", "POST /api/jobs", "cache"];

/** `size` bytes of log-like text lines (the last line is cut at the chunk end). */
function textChunk(random: () => number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const encoder = new TextEncoder();
  const pick = (list: string[]) => list[Math.floor(random() * list.length)];
  let at = 0;
  while (at < size) {
    const second = String(Math.floor(random() * 60)).padStart(2, "0");
    const line = `2026-06-08T20:14:${second}Z ${pick(LEVELS)} ${pick(WORDS)}-${
      Math.floor(random() * 64)
    } item=${Math.floor(random() * 1e6)} took ${Math.floor(random() * 1000)}ms\n`;
    const bytes = encoder.encode(line);
    const n = Math.min(bytes.length, size - at);
    out.set(bytes.subarray(0, n), at);
    at += n;
  }
  return out;
}

function binaryChunk(random: () => number, size: number): Uint8Array {
  return new Uint8Array(size).map(() => Math.floor(random() * 256));
}

export async function startReplayServer(options: ReplayOptions): Promise<ReplayServer> {
  const dir = await Deno.makeTempDir({ prefix: "contree-bench-sse-" });
  const store = Store.open(`${dir}/contree.db`);
  const outputs = new OutputFiles(`${dir}/outputs`);
  await outputs.init();
  const log = new EventLog(store, { outputs });
  const operation = crypto.randomUUID();
  const resultImage = crypto.randomUUID();
  const token = `bench-${crypto.randomUUID()}`;
  const random = prng(42);
  let events = 0;
  store.transaction(() => {
    log.append(operation, 0, "init", { init_pid: 1 });
    log.append(operation, 1, "spawn", { pid: 1, command: "generate", args: [], shell: false });
    // A few distinct chunks, cycled: generating 200 MB of random text would dominate setup.
    const pool = Array.from(
      { length: 16 },
      () =>
        options.binary
          ? binaryChunk(random, options.chunkBytes)
          : textChunk(random, options.chunkBytes),
    );
    for (let sent = 0, i = 0; sent < options.totalBytes; i++) {
      const size = Math.min(options.chunkBytes, options.totalBytes - sent);
      const chunk = pool[i % pool.length].subarray(0, size);
      log.appendOutput(operation, 1, "stdout", chunk);
      sent += size;
      events++;
    }
    log.append(operation, 1, "exit", { pid: 1, code: 0, signal: -1, timed_out: false });
    log.append(operation, 0, "completion", {
      status: "SUCCESS",
      result_image_uuid: resultImage,
      error: null,
      duration_ms: 1000,
    });
  });
  const record = {
    uuid: operation,
    kind: "instance",
    status: "SUCCESS",
    error: null,
    duration: 1,
    result_image_uuid: resultImage,
    result: { image: resultImage, tag: null },
  };
  const eventsPath = `/v1/operations/${operation}/events`;
  const replay = (after: number, follow: boolean, gzip: boolean) =>
    log.stream(operation, { after, follow, keepaliveMs: 15_000, gzip });
  // The gzip'd replay, in the chunks the compressor emitted (each a flush point).
  const gzipChunks: Uint8Array[] = [];
  if (options.precompressed) {
    const response = await toResponse(
      { body: replay(-1, false, true), gzipped: true },
      true,
      "GET",
    );
    for await (const chunk of response.body!) gzipChunks.push(chunk);
  }
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {}, automaticCompression: false },
    async (request) => {
      const url = new URL(request.url);
      const gzip = acceptsGzip(request);
      if (!bearerMatches(request.headers.get("authorization"), token)) {
        return toResponse(
          { status: 401, json: { error: "missing or invalid token", status: 401 } },
          gzip,
          request.method,
        );
      }
      if (request.method === "POST" && url.pathname === "/v1/instances") {
        await request.body?.cancel();
        return toResponse(
          { status: 201, json: { uuid: operation, status: "PENDING" } },
          gzip,
          "POST",
        );
      }
      if (request.method === "GET" && url.pathname === eventsPath) {
        const lastEventId = Number(request.headers.get("last-event-id") ?? -1);
        const after = Number.isInteger(lastEventId) ? lastEventId : -1;
        const headers = { "content-type": "text/event-stream", "cache-control": "no-cache" };
        if (gzip && after < 0 && gzipChunks.length > 0) {
          let next = 0;
          const body = new ReadableStream<Uint8Array>({
            pull(controller) {
              if (next < gzipChunks.length) controller.enqueue(gzipChunks[next++]);
              else controller.close();
            },
          });
          return new Response(body, { headers: { ...headers, "content-encoding": "gzip" } });
        }
        const follow = ["1", "true"].includes(url.searchParams.get("follow") ?? "");
        return toResponse(
          { headers, body: replay(after, follow, gzip), gzipped: gzip },
          gzip,
          "GET",
        );
      }
      if (request.method === "GET" && url.pathname === `/v1/operations/${operation}`) {
        return toResponse({ json: record }, gzip, "GET");
      }
      return toResponse(
        { status: 404, json: { error: `no route for ${url.pathname}`, status: 404 } },
        gzip,
        request.method,
      );
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    token,
    operation,
    resultImage,
    stdoutBytes: options.totalBytes,
    events,
    gzipBytes: gzipChunks.reduce((n, c) => n + c.length, 0),
    close: async () => {
      await server.shutdown();
      outputs.closeAll();
      store.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

if (import.meta.main) {
  // Standalone, for profiling a client against it: prints {url, token, operation} and serves
  // until stdin closes. Flags: [totalBytes] [chunkBytes] [binary|text] [live|precompressed].
  const [total, chunk, kind, mode] = Deno.args;
  const server = await startReplayServer({
    totalBytes: Number(total ?? 200_000_000),
    chunkBytes: Number(chunk ?? 65536),
    binary: kind === "binary",
    precompressed: mode !== "live",
  });
  console.log(
    JSON.stringify({ url: server.url, token: server.token, operation: server.operation }),
  );
  for await (const _ of Deno.stdin.readable) { /* until EOF */ }
  await server.close();
}
