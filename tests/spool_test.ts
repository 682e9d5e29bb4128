import { ByteSpool } from "../src/spool.ts";
import { concatBytes } from "../src/bytes.ts";
import { assertEquals } from "./support/assert.ts";

async function readAll(spool: ByteSpool): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of spool.chunks()) chunks.push(chunk.slice()); // a piece is reused
  return concatBytes(chunks);
}

/** The spool's temporary file, found through the process's open descriptors (Linux). */
/** This process's open spool files in `dir` (other test modules share the process). */
function openSpoolFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      const target = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
      if (target.startsWith(`${dir}/contree-output-`)) found.push(`/proc/self/fd/${entry.name}`);
    } catch { /* closed meanwhile */ }
  }
  return found;
}

Deno.test("spool: small output stays in memory, in order", async () => {
  const tmp = await Deno.makeTempDir();
  const spool = new ByteSpool({ memoryBytes: 100, dir: tmp });
  const reused = new Uint8Array([1, 2, 3]);
  await spool.write(reused);
  reused[0] = 9; // the caller may reuse its buffer once the write resolved
  await spool.write("ab");
  assertEquals(await readAll(spool), new Uint8Array([1, 2, 3, 97, 98]));
  assertEquals(spool.size, 5);
  assertEquals(openSpoolFiles(tmp), []);
  await spool.close();
  await Deno.remove(tmp);
});

Deno.test("spool: past the limit it moves to an unlinked 0600 file, read back in order", async () => {
  const tmp = await Deno.makeTempDir();
  const spool = new ByteSpool({ memoryBytes: 10, dir: tmp });
  try {
    const expected: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      const chunk = new Uint8Array(i * 1000 + 3).fill(i);
      expected.push(chunk);
      await spool.write(chunk);
    }
    const named = [...Deno.readDirSync(tmp)].filter((e) => e.name.startsWith("contree-output-"));
    assertEquals(named, [], "the name is gone at once");
    const [file] = openSpoolFiles(tmp);
    assertEquals(Deno.statSync(file).mode! & 0o777, 0o600);
    assertEquals(await readAll(spool), concatBytes(expected));
    // Reading it twice, and writing after a read, keep every byte in order.
    await spool.write(new Uint8Array([7]));
    assertEquals(await readAll(spool), concatBytes([...expected, new Uint8Array([7])]));
  } finally {
    await spool.close();
    await Deno.remove(tmp, { recursive: true });
  }
  assertEquals(openSpoolFiles(tmp), [], "close releases the file");
});

Deno.test("spool: an unusable temporary directory is one clear error without the path", async () => {
  const spool = new ByteSpool({ memoryBytes: 1, dir: "/nonexistent-contree-tmp" });
  try {
    const error = await spool.write("abc").then(() => undefined, (e) => e as Error);
    assertEquals(
      error?.message,
      "Cannot keep the output in a temporary file (NotFound); set TMPDIR to a writable directory",
    );
  } finally {
    await spool.close();
  }
});
