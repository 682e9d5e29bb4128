// The blob store: an upload that comes in pieces of every size is stored byte for byte, named
// by its digest, across the store's large writes.

import { assertEquals } from "../support/assert.ts";
import { sha256Hex } from "../../src/bytes.ts";
import { BlobStore } from "../../src/server/blobs.ts";

function piecesOf(bytes: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  let offset = 0;
  let turn = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      const size = sizes[turn++ % sizes.length];
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

Deno.test("blobs: pieces of 1 byte to over a MiB make the same file, whatever the boundaries", async () => {
  const dir = await Deno.makeTempDir({ prefix: "contree-blobs-" });
  try {
    const store = new BlobStore(dir);
    await store.init();
    // 3 MiB and 7 bytes: the store's pieces are 1 MiB, so some writes are full and the last is not.
    const bytes = new Uint8Array(3 * 1024 * 1024 + 7);
    for (let i = 0; i < bytes.length; i += 65536) {
      crypto.getRandomValues(bytes.subarray(i, Math.min(i + 65536, bytes.length)));
    }
    for (const sizes of [[1, 7, 65536, 13], [1024 * 1024 + 1], [bytes.length], [4096]]) {
      const stored = await store.put(piecesOf(bytes, sizes));
      const expected = await sha256Hex(bytes);
      assertEquals(stored, { sha256: expected, size: bytes.length }, `pieces ${sizes}`);
      assertEquals(await sha256Hex(await Deno.readFile(store.path(stored.sha256))), expected);
    }
    const empty = await store.put(piecesOf(new Uint8Array(0), [1]));
    assertEquals(empty.size, 0);
    assertEquals((await Deno.readFile(store.path(empty.sha256))).length, 0);
    assertEquals([...Deno.readDirSync(`${dir}/tmp`)], [], "no temporary file is left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
