import { assertEquals } from "./support/assert.ts";
import { overlongPath } from "../src/sandbox_path.ts";

Deno.test("sandbox paths: Linux's NAME_MAX and PATH_MAX, counted in bytes", () => {
  assertEquals(overlongPath(`/${"a".repeat(255)}/b`), undefined);
  assertEquals(overlongPath(`/${"a".repeat(256)}/b`), "file name longer than 255 bytes");
  // 127 two-byte characters are 254 bytes; 128 are 256.
  assertEquals(overlongPath(`/${"é".repeat(127)}`), undefined);
  assertEquals(overlongPath(`/${"é".repeat(128)}`), "file name longer than 255 bytes");
  assertEquals(overlongPath(`/${"a/".repeat(2047)}`), undefined); // 4095 bytes
  assertEquals(overlongPath(`/${"a/".repeat(2047)}a`), "path longer than 4095 bytes");
});
