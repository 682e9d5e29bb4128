// Reading download bodies in chunks: one buffer serves the reads; every chunk handed out is the
// consumer's to keep, or, borrowed, a view of that buffer until the next chunk is read.

import { bodyChunks } from "../../src/inspect/download.ts";
import { concatBytes } from "../../src/bytes.ts";
import { assertEquals } from "../support/assert.ts";

const pieces = Array.from({ length: 300 }, (_, i) => new Uint8Array(4096 + i).fill(i % 251));

/** A fetch body (a byte stream, read through BYOB into the reused buffer), arriving in pieces. */
async function readPieces(
  consume: (chunks: AsyncGenerator<Uint8Array>) => Promise<void>,
  options: { borrowed?: boolean } = {},
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    let next = 0;
    return new Response(
      new ReadableStream({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (next === pieces.length) controller.close();
          else controller.enqueue(pieces[next++]);
        },
      }),
    );
  });
  try {
    const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
    await consume(bodyChunks(response, new AbortController().signal, "download", options));
  } finally {
    await server.shutdown();
  }
}

Deno.test("bodyChunks: chunks kept by the consumer stay intact while later ones are read", async () => {
  const kept: Uint8Array[] = [];
  await readPieces(async (chunks) => {
    for await (const chunk of chunks) kept.push(chunk);
  });
  assertEquals(kept.length > 1, true, "several reads");
  assertEquals(concatBytes(kept), concatBytes(pieces));
});

Deno.test("bodyChunks, borrowed: views of the one buffer, each valid until the next read", async () => {
  const views: Uint8Array[] = [];
  const copies: Uint8Array[] = [];
  await readPieces(async (chunks) => {
    for await (const chunk of chunks) {
      views.push(chunk);
      copies.push(chunk.slice());
    }
  }, { borrowed: true });
  assertEquals(copies.length > 1, true, "several reads");
  assertEquals(concatBytes(copies), concatBytes(pieces));
  // The next read took the buffer back: no chunk got memory of its own.
  assertEquals(views.slice(0, -1).every((view) => view.byteLength === 0), true);
});
