// Reading download bodies in chunks: one buffer serves the reads, and every chunk handed out is
// the consumer's to keep.

import { bodyChunks } from "../../src/inspect/download.ts";
import { concatBytes } from "../../src/bytes.ts";
import { assertEquals } from "../support/assert.ts";

Deno.test("bodyChunks: chunks kept by the consumer stay intact while later ones are read", async () => {
  const pieces = Array.from({ length: 300 }, (_, i) => new Uint8Array(4096 + i).fill(i % 251));
  // A fetch body (a byte stream, read through BYOB into the reused buffer), arriving in pieces.
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
  const kept: Uint8Array[] = [];
  try {
    const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
    for await (const chunk of bodyChunks(response, new AbortController().signal)) {
      kept.push(chunk);
    }
  } finally {
    await server.shutdown();
  }
  assertEquals(kept.length > 1, true, "several reads");
  assertEquals(concatBytes(kept), concatBytes(pieces));
});
