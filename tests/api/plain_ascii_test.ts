// The ascii/base64 test (API spec §1.5) on WebAssembly SIMD agrees with the plain definition on
// every kind of byte, at every position and length (the 16-byte blocks and the padding).

import { isPlainAscii, simdCheck } from "../../src/api/plain_ascii.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { prng } from "../support/prng.ts";

const plain = (byte: number) =>
  byte === 9 || byte === 10 || byte === 13 || (byte >= 0x20 && byte <= 0x7e);

Deno.test("plain ascii: SIMD in use, and the same answer as the byte-by-byte rule", () => {
  assert(simdCheck, "WebAssembly SIMD is available in Deno");
  const random = prng(16);
  for (let round = 0; round < 5000; round++) {
    const length = Math.floor(random() * 70);
    const bytes = new Uint8Array(length).map(() => 0x20 + Math.floor(random() * 95));
    if (length > 0 && random() < 0.6) {
      bytes[Math.floor(random() * length)] = Math.floor(random() * 256);
    }
    assertEquals(isPlainAscii(bytes), bytes.every(plain), `${[...bytes]}`);
  }
  for (let byte = 0; byte < 256; byte++) {
    for (const at of [0, 15, 16, 31, 40]) {
      const bytes = new Uint8Array(41).fill(0x61);
      bytes[at] = byte;
      assertEquals(isPlainAscii(bytes), plain(byte), `byte ${byte} at ${at}`);
    }
  }
  // Longer than one window of the module, the odd byte in the last one.
  const long = new Uint8Array(600_001).fill(0x41);
  assert(isPlainAscii(long));
  long[600_000] = 0x7f;
  assert(!isPlainAscii(long));
  assert(isPlainAscii(new Uint8Array()));
});
