// A replay of one inspect route (`GET /v1/inspect/{uuid}/<route>`) as the local server answers
// it — the body in 64 KiB reads through `toResponse`: gzip'd when the client asks for it and the
// first chunk shrinks, else as it is — but compressed once beforehand, so that a bench measures
// its clients, not the server's compression (cat.ts, ls.ts).

import { acceptsGzip, bearerMatches, toResponse } from "../../src/server/http.ts";

const CHUNK = 64 * 1024;

export interface InspectReplay {
  url: string;
  token: string;
  /** The image UUID the route answers for. */
  image: string;
  /** Bytes on the wire when gzip is asked for. */
  gzipBytes: number;
  close(): Promise<void>;
}

/** Serves `bytes` at `/v1/inspect/{image}/<route>` (any query) to the bearer of its token. */
export async function startInspectReplay(
  route: "download" | "list",
  bytes: Uint8Array,
  contentType: string,
): Promise<InspectReplay> {
  const token = `bench-${crypto.randomUUID()}`;
  const image = crypto.randomUUID();
  // Both replies made beforehand, in pieces of their own: the file's 64 KiB reads, and gzip's.
  const plainChunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += CHUNK) plainChunks.push(bytes.slice(at, at + CHUNK));
  const file = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of plainChunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const gzipChunks: Uint8Array[] = [];
  const compressed = await toResponse({ body: file }, true, "GET");
  for await (const chunk of compressed.body!) gzipChunks.push(chunk);
  // As the local server answers: gzip only when the body shrinks (random bytes go as they are).
  const encoding = compressed.headers.get("content-encoding");
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {}, automaticCompression: false },
    async (request) => {
      const url = new URL(request.url);
      await request.body?.cancel();
      if (!bearerMatches(request.headers.get("authorization"), token)) {
        return toResponse({ status: 401, json: { error: "bad token", status: 401 } }, false, "GET");
      }
      if (url.pathname === `/v1/inspect/${image}/${route}`) {
        const gzip = acceptsGzip(request);
        const chunks = gzip ? gzipChunks : plainChunks;
        let next = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (next < chunks.length) controller.enqueue(chunks[next++]);
            else controller.close();
          },
        });
        const headers: Record<string, string> = { "content-type": contentType };
        if (gzip && encoding) headers["content-encoding"] = encoding;
        return new Response(body, { headers });
      }
      return toResponse({ status: 404, json: { error: "no route", status: 404 } }, false, "GET");
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    token,
    image,
    gzipBytes: gzipChunks.reduce((n, c) => n + c.length, 0),
    close: () => server.shutdown(),
  };
}
