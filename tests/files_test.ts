// Private files: the token file that starts at the same moment must agree on.

import { ensureTokenFile } from "../src/files.ts";
import { assert, assertEquals } from "./support/assert.ts";

Deno.test("token file: callers at the same moment get one token, the file's; it is kept after", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/home/token`;
    const tokens = await Promise.all(Array.from({ length: 20 }, () => ensureTokenFile(path)));
    const inFile = (await Deno.readTextFile(path)).trim();
    assertEquals(new Set(tokens), new Set([inFile]));
    assert(/^[0-9a-f]{64}$/.test(inFile));
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals(await ensureTokenFile(path), inFile, "an existing token is kept");
    assertEquals(
      [...Deno.readDirSync(`${dir}/home`)].map((e) => e.name),
      ["token"],
      "no temp left",
    );
    // An empty file is replaced.
    await Deno.writeTextFile(path, "");
    const fresh = await ensureTokenFile(path);
    assertEquals((await Deno.readTextFile(path)).trim(), fresh);
    assert(fresh.length === 64);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
