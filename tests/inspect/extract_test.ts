// The tar reader and safe extraction: archives written by GNU tar in every format, and archives
// built to escape the target directory (refused with one error, nothing written outside).

import { archiveStrip, extractTar, UnsafeArchiveError } from "../../src/inspect/extract.ts";
import { readTar, TarFormatError } from "../../src/tar/read.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { directoriesListing } from "../support/fake_api.ts";
import { IMAGE, listTree, tarBytes, type TarMember, withCli } from "../support/images.ts";

function streamOf(bytes: Uint8Array, chunk = 777): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

async function withDirs(fn: (dirs: { root: string; outside: string }) => Promise<void>) {
  const base = await Deno.makeTempDir({ prefix: "contree-tar-test-" });
  const root = `${base}/root`;
  const outside = `${base}/outside`;
  await Deno.mkdir(root);
  await Deno.mkdir(outside);
  try {
    await fn({ root, outside });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

/** A tree that ustar can hold (a path split into prefix + name); `long` adds what only pax/gnu can. */
async function makeTree(dir: string, long: boolean): Promise<void> {
  const split = `${"p".repeat(70)}/${"q".repeat(70)}`;
  await Deno.mkdir(`${dir}/${split}`, { recursive: true });
  await Deno.writeTextFile(`${dir}/${split}/${"r".repeat(90)}`, "split name\n");
  await Deno.writeFile(`${dir}/big.bin`, new Uint8Array(70_000).map((_, i) => i % 251));
  await Deno.writeTextFile(`${dir}/empty`, "");
  await Deno.chmod(`${dir}/empty`, 0o751);
  await Deno.symlink("big.bin", `${dir}/link`);
  await Deno.link(`${dir}/big.bin`, `${dir}/hard`);
  if (long) {
    const deep = `${"d".repeat(60)}/${"e".repeat(70)}/${"f".repeat(80)}`;
    await Deno.mkdir(`${dir}/${deep}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/${deep}/${"n".repeat(120)}.txt`, "long name\n");
    await Deno.symlink(`${deep}/${"n".repeat(120)}.txt`, `${dir}/longlink`);
  }
}

Deno.test("tar: archives written by GNU tar (pax, gnu, ustar) extract identically", async () => {
  for (const format of ["pax", "gnu", "ustar"]) {
    const source = await Deno.makeTempDir({ prefix: "contree-tar-src-" });
    try {
      await Deno.mkdir(`${source}/tree`);
      await makeTree(`${source}/tree`, format !== "ustar");
      const expected = await listTree(`${source}/tree`);
      const args = ["-C", source, `--format=${format}`, "-cf", "-", "tree"];
      const tar = await new Deno.Command("tar", { args, stdout: "piped", stderr: "piped" })
        .output();
      assert(tar.success, new TextDecoder().decode(tar.stderr));
      await withDirs(async ({ root }) => {
        const result = await extractTar(streamOf(tar.stdout), root, {
          strip: archiveStrip("/tree"),
        });
        assertEquals(await listTree(root), expected, format);
        for (const path of expected.filter((p) => !p.endsWith("/") && !p.endsWith("@"))) {
          assertEquals(
            await Deno.readFile(`${root}/${path}`),
            await Deno.readFile(`${source}/tree/${path}`),
            `${format}: ${path}`,
          );
        }
        for (const path of expected.filter((p) => p.endsWith("@"))) {
          const link = path.slice(0, -1);
          assertEquals(
            await Deno.readLink(`${root}/${link}`),
            await Deno.readLink(`${source}/tree/${link}`),
          );
        }
        assertEquals((await Deno.stat(`${root}/empty`)).mode! & 0o777, 0o751);
        assertEquals(
          (await Deno.stat(`${root}/hard`)).ino,
          (await Deno.stat(`${root}/big.bin`)).ino,
        );
        assertEquals(result.links, format === "ustar" ? 2 : 3, format);
      });
    } finally {
      await Deno.remove(source, { recursive: true });
    }
  }
});

Deno.test("tar: member names from the root or from the archived directory; ancestors skipped", () => {
  const fromRoot = archiveStrip("/usr/share/doc");
  assertEquals(fromRoot(["usr"]), undefined);
  assertEquals(fromRoot(["usr", "share"]), undefined);
  assertEquals(fromRoot(["usr", "share", "doc"]), []);
  assertEquals(fromRoot(["usr", "share", "doc", "a", "b"]), ["a", "b"]);
  const fromBase = archiveStrip("/usr/share/doc");
  assertEquals(fromBase(["doc"]), []);
  assertEquals(fromBase(["doc", "x"]), ["x"]);
  const whole = archiveStrip("/");
  assertEquals(whole(["etc", "hosts"]), ["etc", "hosts"]);
  const same = archiveStrip("/a/a");
  assertEquals(same(["a"]), undefined);
  assertEquals(same(["a", "x"]), ["x"]);
});

Deno.test("tar: truncated and corrupt archives are errors, not silent short copies", async () => {
  const good = tarBytes([{ name: "a", data: "x".repeat(2000) }]);
  await withDirs(async ({ root }) => {
    await assertRejects(
      () => extractTar(streamOf(good.slice(0, 1024)), root),
      TarFormatError,
      "ends in the middle of a member",
    );
    const corrupt = good.slice();
    corrupt[0] ^= 0xff;
    await assertRejects(() => extractTar(streamOf(corrupt), root), TarFormatError, "checksum");
  });
  let count = 0;
  for await (const _ of readTar(streamOf(new Uint8Array(0)))) count++;
  assertEquals(count, 0, "an empty stream is an empty archive");
});

interface Malicious {
  name: string;
  members: (outside: string) => TarMember[];
  member: string;
  reason: string;
}

const MALICIOUS: Malicious[] = [
  {
    name: "absolute path",
    members: (outside) => [{ name: "ok", data: "1" }, { name: `${outside}/evil`, data: "x" }],
    member: "/outside/evil",
    reason: "absolute path",
  },
  {
    name: "parent directory",
    members: () => [{ name: "a/../../outside/evil", data: "x" }],
    member: "a/../../outside/evil",
    reason: "'..' in the path",
  },
  {
    name: "symlink to an absolute directory, then a file under it",
    members: (outside) => [
      { name: "link", type: "symlink", linkname: outside },
      { name: "link/evil", data: "x" },
    ],
    member: "link/evil",
    reason: "written through the symbolic link 'link', which points outside the target directory",
  },
  {
    name: "relative symlink climbing out, then a file under it",
    members: () => [
      { name: "sub/", type: "dir" },
      { name: "sub/up", type: "symlink", linkname: "../../outside" },
      { name: "sub/up/evil", data: "x" },
    ],
    member: "sub/up/evil",
    reason: "written through the symbolic link 'sub/up', which points outside",
  },
  {
    name: "symlink chain through an earlier link, then a file under it",
    members: () => [
      { name: "here", type: "symlink", linkname: "." },
      { name: "away", type: "symlink", linkname: "here/../outside" },
      { name: "away/evil", data: "x" },
    ],
    member: "away/evil",
    reason: "written through the symbolic link 'away', which points outside",
  },
  {
    name: "file written through an inside symlink",
    members: () => [
      { name: "real/", type: "dir" },
      { name: "alias", type: "symlink", linkname: "real" },
      { name: "alias/evil", data: "x" },
    ],
    member: "alias/evil",
    reason: "written through the symbolic link 'alias'",
  },
  {
    name: "hard link escaping",
    members: (outside) => [{ name: "h", type: "hardlink", linkname: `${outside}/secret` }],
    member: "h",
    reason: "hard link target",
  },
  {
    name: "hard link through ..",
    members: () => [{ name: "h", type: "hardlink", linkname: "../outside/secret" }],
    member: "h",
    reason: "hard link target",
  },
  {
    name: "a directory replaced by a link",
    members: () => [
      { name: "d/", type: "dir" },
      { name: "d", type: "symlink", linkname: "." },
    ],
    member: "d",
    reason: "replace a directory",
  },
];

Deno.test("tar: malicious members are refused; nothing is written outside the root", async () => {
  for (const test of MALICIOUS) {
    await withDirs(async ({ root, outside }) => {
      await Deno.writeTextFile(`${outside}/secret`, "secret");
      const members = test.members(outside);
      const error = await assertRejects(
        () => extractTar(streamOf(tarBytes(members)), root),
        UnsafeArchiveError,
        test.reason,
      );
      assertStringIncludes(error.message, "Refusing to extract '", test.name);
      assertStringIncludes(
        error.message.replace(outside, "/outside"),
        `'${test.member}'`,
        test.name,
      );
      assertEquals(await listTree(outside), ["secret"], test.name);
      assertEquals(await Deno.readTextFile(`${outside}/secret`), "secret", test.name);
    });
  }
});

Deno.test("tar: links pointing outside are skipped and listed, not created; the rest is extracted", async () => {
  await withDirs(async ({ root, outside }) => {
    const result = await extractTar(
      streamOf(tarBytes([
        { name: "etc/", type: "dir" },
        { name: "etc/localtime", type: "symlink", linkname: "/usr/share/zoneinfo/UTC" },
        { name: "etc/up", type: "symlink", linkname: "../../outside" },
        { name: "etc/ok", type: "symlink", linkname: "hosts" },
        { name: "etc/hosts", data: "127.0.0.1 localhost\n" },
      ])),
      root,
    );
    assertEquals(result.skippedLinks, [
      "etc/localtime -> /usr/share/zoneinfo/UTC",
      "etc/up -> ../../outside",
    ]);
    assertEquals(await Deno.readTextFile(`${root}/etc/ok`), "127.0.0.1 localhost\n");
    await assertRejects(() => Deno.lstat(`${root}/etc/localtime`), Deno.errors.NotFound);
    assertEquals(await listTree(outside), []);
  });
});

Deno.test("tar: absolute links into the copied directory become relative; the others are skipped", async () => {
  await withDirs(async ({ root, outside }) => {
    const result = await extractTar(
      streamOf(tarBytes([
        { name: "releases/3/tool", data: "tool v3\n" },
        { name: "current", type: "symlink", linkname: "/app/releases/3" },
        { name: "bin/", type: "dir" },
        { name: "bin/tool", type: "symlink", linkname: "/app/./releases//3/tool" },
        { name: "releases/3/home", type: "symlink", linkname: "/app" },
        { name: "etc/", type: "dir" },
        { name: "etc/zone", type: "symlink", linkname: "/usr/share/zoneinfo/UTC" },
        { name: "etc/escape", type: "symlink", linkname: "/app/../etc/passwd" },
        { name: "etc/sibling", type: "symlink", linkname: "/application/data" },
        // The same link twice (an archive may repeat a member): its rewritten text is kept.
        { name: "current", type: "symlink", linkname: "/app/releases/3" },
      ])),
      root,
      { sandboxRoots: ["/app"] },
    );
    assertEquals(await Deno.readLink(`${root}/current`), "releases/3");
    assertEquals(await Deno.readLink(`${root}/bin/tool`), "../releases/3/tool");
    assertEquals(await Deno.readLink(`${root}/releases/3/home`), "../..");
    assertEquals(await Deno.readTextFile(`${root}/bin/tool`), "tool v3\n");
    assertEquals(await Deno.readTextFile(`${root}/current/home/current/tool`), "tool v3\n");
    assertEquals(result.skippedLinks, [
      "etc/zone -> /usr/share/zoneinfo/UTC",
      "etc/escape -> /app/../etc/passwd",
      "etc/sibling -> /application/data",
    ]);
    assertEquals(result.links, 3);
    assertEquals(await listTree(outside), []);

    // A copy of the whole image: every absolute link points into it.
    const whole = `${root}/whole`;
    await Deno.mkdir(whole);
    const again = await extractTar(
      streamOf(tarBytes([
        { name: "etc/", type: "dir" },
        { name: "etc/localtime", type: "symlink", linkname: "/usr/share/zoneinfo/UTC" },
        { name: "usr/share/zoneinfo/UTC", data: "TZif" },
      ])),
      whole,
      { sandboxRoots: ["/"] },
    );
    assertEquals(again.skippedLinks, []);
    assertEquals(await Deno.readLink(`${whole}/etc/localtime`), "../usr/share/zoneinfo/UTC");
    assertEquals(await Deno.readTextFile(`${whole}/etc/localtime`), "TZif");
  });
});

Deno.test("tar: a symlink already in the target is never written through", async () => {
  await withDirs(async ({ root, outside }) => {
    await Deno.symlink(outside, `${root}/planted`);
    await assertRejects(
      () => extractTar(streamOf(tarBytes([{ name: "planted/evil", data: "x" }])), root),
      UnsafeArchiveError,
      "written through the symbolic link 'planted'",
    );
    await assertRejects(
      () => extractTar(streamOf(tarBytes([{ name: "planted", data: "x" }])), root),
      UnsafeArchiveError,
      "replace a symbolic link",
    );
    assertEquals(await listTree(outside), []);
  });
});

Deno.test("cp: a malicious archive fails with one clear error; no copy, nothing outside", () =>
  withCli(async ({ fake, cli, home }) => {
    const outside = `${home}/outside`;
    await Deno.mkdir(outside);
    let members: TarMember[] = [];
    fake.on("GET", `/v1/inspect/${IMAGE}/download`, () => ({
      status: 422,
      json: { error: "not a file", status: 422 },
    }));
    fake.on("GET", `/v1/inspect/${IMAGE}/archive`, () => ({ bytes: tarBytes(members) }));
    fake.on("GET", `/v1/inspect/${IMAGE}/list`, () => directoriesListing("/", ["etc"]));
    for (const test of MALICIOUS) {
      members = [
        { name: "etc/", type: "dir" },
        { name: "etc/fine", data: "fine" },
        ...test.members(outside).map((m) => ({ ...m, name: `etc/${m.name}` })),
      ];
      if (test.name === "absolute path") members[2] = { name: `${outside}/evil`, data: "x" };
      const result = await cli(["cp", "--image", IMAGE, "/etc", "dest"]);
      assertEquals(result.code, 1, test.name);
      assertStringIncludes(result.stderr, "[ERROR] Refusing to extract '", test.name);
      assertStringIncludes(result.stderr, test.reason, test.name);
      assertEquals(result.stderr.split("\n").length, 2, `one line: ${result.stderr}`);
      const left = (await listTree(home)).filter((p) => !p.startsWith("cli/"));
      assertEquals(left, ["outside/"], `${test.name}: no dest, no temp dir, nothing outside`);
    }
  }));
