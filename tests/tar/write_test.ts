// The tar writer, checked with the system's tar: names, modes, owners, links, long names (pax)
// and content.

import { tarChunks, type TarMember } from "../../src/tar/write.ts";
import { assertEquals, assertStringIncludes } from "../support/assert.ts";

async function archive(members: TarMember[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of tarChunks(members)) parts.push(chunk);
  return new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
}

async function tar(args: string[], input: Uint8Array, cwd?: string): Promise<string> {
  const child = new Deno.Command("tar", {
    args,
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(input);
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test("tar: entries read back by the system tar", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const source = `${dir}/source.txt`;
    await Deno.writeTextFile(source, "hello tar\n");
    const longName = `deep/${"d".repeat(120)}/file-with-a-long-name.txt`;
    const bytes = await archive([
      { entry: { name: "data", type: "directory", mode: 0o750, uid: 1234, gid: 99 } },
      { entry: { name: "data/in.txt", type: "file", mode: 0o640, size: 10 }, source },
      { entry: { name: "data/link", type: "symlink", mode: 0o777, linkname: "in.txt" } },
      { entry: { name: longName, type: "file", mode: 0o600, size: 10, uid: 3_000_000 }, source },
    ]);
    assertEquals(bytes.length % 512, 0);
    const listing = await tar(["-tv", "--numeric-owner", "-f", "-"], bytes);
    const lines = listing.trim().split("\n");
    assertEquals(lines.length, 4);
    assertStringIncludes(lines[0], "drwxr-x---");
    assertStringIncludes(lines[0], "1234/99");
    assertStringIncludes(lines[1], "-rw-r-----");
    assertStringIncludes(lines[2], "data/link -> in.txt");
    assertStringIncludes(lines[3], longName);
    assertStringIncludes(lines[3], "3000000/0");
    const out = `${dir}/out`;
    await Deno.mkdir(out);
    await tar(["-x", "-f", "-"], bytes, out);
    assertEquals(await Deno.readTextFile(`${out}/data/in.txt`), "hello tar\n");
    assertEquals(await Deno.readTextFile(`${out}/${longName}`), "hello tar\n");
    assertEquals((await Deno.stat(`${out}/data/in.txt`)).mode! & 0o777, 0o640);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
