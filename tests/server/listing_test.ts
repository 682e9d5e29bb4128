// The text listing (`list?text=1`, what `contree ls` prints): `ls -l` columns, whatever the size.
// (The streamed listings on a real image: tests/server/podman_inspect_test.ts.)

import { assertEquals } from "../support/assert.ts";
import type { FileItem } from "../../src/api/models.ts";
import { fileItem } from "../support/images.ts";
import { listingLines } from "../../src/server/inspect.ts";

function item(path: string, size: number): FileItem {
  return fileItem(path, { size });
}

const formatListing = (files: FileItem[]) => [...listingLines(() => files)].join("");

Deno.test("listing: columns are as wide as their widest cell", () => {
  const text = formatListing([item("a", 5), item("b", 12345)]);
  assertEquals(text.split("\n").slice(0, 2).map((line) => line.split(" 2023")[0]), [
    "-rw-r--r-- 1 root root     5",
    "-rw-r--r-- 1 root root 12345",
  ]);
});

Deno.test("listing: a directory of 300,000 entries (was a 500: the stack overflowed)", () => {
  const files = Array.from({ length: 300_000 }, (_, i) => item(`file_${i}`, i));
  const text = formatListing(files);
  const lines = text.split("\n");
  assertEquals(lines.length, 300_001);
  assertEquals(lines[299_999].endsWith(" file_299999"), true, lines[299_999]);
});
