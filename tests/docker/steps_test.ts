// In-process pieces of `build`: step keys and the layer cache, identities, stage planning,
// context sources, tar reading, and ADD <url> against a local HTTP server and the fake API.

import { ContreeClient } from "../../src/api/client.ts";
import { systemClock } from "../../src/context.ts";
import { normaliseTag, parseBuildArgs, planStages } from "../../src/docker/build.ts";
import { membersToSource } from "../../src/docker/copy.ts";
import { buildSessionKey, canonicalJson, LayerCache, stepKey } from "../../src/docker/cache.ts";
import { IgnoreMatcher } from "../../src/docker/ignore.ts";
import { parseDockerfile } from "../../src/docker/parse.ts";
import { ContextReader, globRegex } from "../../src/docker/sources.ts";
import { unpackArchive } from "../../src/docker/tar.ts";
import { sniffArchive } from "../../src/tar/sniff.ts";
import { archiveMemberParts } from "../../src/sandbox_path.ts";
import { ensureUrlFile, urlFilename } from "../../src/docker/url.ts";
import { parseIdTables, resolveIdentity } from "../../src/docker/users.ts";
import { ContreeError } from "../../src/errors.ts";
import { MemorySink } from "../../src/io.ts";
import { Logger } from "../../src/log.ts";
import { SessionStore } from "../../src/session/store.ts";
import { imageCache } from "../../src/session/adapters.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { FakeContree, sha256, tarOf } from "../support/fake_contree.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "contree-build-unit-" });
}

Deno.test("cache: canonical JSON and step keys change with every input", async () => {
  assertEquals(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] }), '{"a":[{"d":2}],"b":1}');
  const base = { parent: "img", step: { run: "make" }, state: { env: [["A", "1"]] }, files: {} };
  const key = await stepKey(base);
  assert(/^[0-9a-f]{16}$/.test(key));
  assertEquals(
    await stepKey({
      files: {},
      state: { env: [["A", "1"]] },
      step: { run: "make" },
      parent: "img",
    }),
    key,
  );
  for (
    const changed of [
      { ...base, parent: "other" },
      { ...base, step: { run: "make all" } },
      { ...base, state: { env: [["A", "2"]] } },
      { ...base, files: { "/a": { uuid: "u", mode: "0644" } } },
    ]
  ) assert((await stepKey(changed)) !== key);
  assert(/^build:[0-9a-f]{16}$/.test(await buildSessionKey("/work/app")));
  assert((await buildSessionKey("/work/app")) !== (await buildSessionKey("/work/app2")));
});

Deno.test("cache: layer branches record, look up and rewrite steps", async () => {
  const dir = await tempDir();
  const store = SessionStore.open(`${dir}/s.db`);
  try {
    const layers = new LayerCache(store, "build:0123456789abcdef");
    assertEquals(layers.lookup("k1"), undefined);
    layers.record("k1", { image: "img-1", kind: "use", title: "FROM busybox" });
    layers.record("k2", { image: "img-2", kind: "run", title: "RUN make", operation: "op-2" });
    assertEquals([layers.lookup("k1"), layers.lookup("k2")], ["img-1", "img-2"]);
    layers.record("k2", { image: "img-3", kind: "run", title: "RUN make", operation: "op-3" });
    assertEquals(layers.lookup("k2"), "img-3");
    const history = store.history("build:0123456789abcdef");
    assertEquals(history.map((e) => [e.kind, e.image]), [
      ["use", "img-1"],
      ["run", "img-2"],
      ["run", "img-3"],
    ]);
    assertEquals(
      store.branches("build:0123456789abcdef").map((b) => b.name),
      ["layer:k1", "layer:k2", "main"],
    );
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("users: passwd/group lookups with Docker's group rules", () => {
  const tables = parseIdTables(
    "root:x:0:0::/root:/bin/sh\napp:x:1001:1002::/home/app:/bin/sh\n",
    "root:x:0:\nstaff:x:50:\n",
  );
  assertEquals(resolveIdentity("app", tables, false), { uid: 1001, gid: 1002 });
  assertEquals(resolveIdentity("1001", tables, false), { uid: 1001, gid: 1002 });
  assertEquals(resolveIdentity("4242", tables, false), { uid: 4242, gid: 0 });
  assertEquals(resolveIdentity("app:staff", tables, false), { uid: 1001, gid: 50 });
  assertEquals(resolveIdentity("7:8", tables, true), { uid: 7, gid: 8 });
  assertEquals(resolveIdentity("7", tables, true), { uid: 7, gid: 7 });
  // --chown: a number without a group takes its own value as the gid, a name its passwd
  // group (BuildKit's readUser; it was the uid for names too).
  assertEquals(resolveIdentity("1001", tables, true), { uid: 1001, gid: 1001 });
  assertEquals(resolveIdentity("app", tables, true), { uid: 1001, gid: 1002 });
  for (const bad of ["nobody", "app:nogroup", ":5"]) {
    let threw = false;
    try {
      resolveIdentity(bad, tables, false);
    } catch (error) {
      threw = error instanceof ContreeError;
    }
    assert(threw, bad);
  }
});

Deno.test("plan: the target's stages only; build args and tags", async () => {
  const df = await parseDockerfile([
    "FROM busybox AS a",
    "FROM busybox AS b",
    "COPY --from=a /x /x",
    "FROM busybox AS c",
    "FROM b AS d",
    "COPY --from=0 /y /y",
    "",
  ].join("\n"));
  const refs = df.stages.map((s) => s.from.image);
  assertEquals(planStages(df, refs).order.map((s) => s.name), ["a", "b", "d"]);
  assertEquals(planStages(df, refs, "C").order.map((s) => s.name), ["c"]);
  assertEquals(planStages(df, refs, "b").order.map((s) => s.name), ["a", "b"]);
  await assertRejects(
    () => Promise.resolve().then(() => planStages(df, refs, "zzz")),
    ContreeError,
    "target stage 'zzz'",
  );
  // A number is a stage, as in Docker: one that is not earlier is an error before any step runs.
  for (const from of ["1", "5"]) {
    const numbered = await parseDockerfile(
      `FROM busybox\nFROM busybox\nCOPY --from=${from} /y /y\n`,
    );
    await assertRejects(
      () => Promise.resolve().then(() => planStages(numbered, ["busybox", "busybox"])),
      ContreeError,
      `Dockerfile:3: --from=${from} refers to this or a later stage`,
    );
  }
  const env = { get: (name: string) => (name === "FROM_ENV" ? "e" : undefined) };
  assertEquals(
    [...parseBuildArgs(["A=1", "B=x=y", "C=", "FROM_ENV", "UNSET"], env)],
    [["A", "1"], ["B", "x=y"], ["C", ""], ["FROM_ENV", "e"]],
  );
  assertEquals(normaliseTag("demo"), "demo:latest");
  assertEquals(normaliseTag("demo:1"), "demo:1");
  assertEquals(normaliseTag("localhost:5000/demo"), "localhost:5000/demo:latest");
});

Deno.test("sources: wildcards, directories, symlinks inside and outside the context", async () => {
  const root = await tempDir();
  const outside = await tempDir();
  try {
    await Deno.mkdir(`${root}/dir/sub`, { recursive: true });
    await Deno.mkdir(`${root}/empty`);
    await Deno.writeTextFile(`${root}/a.txt`, "a");
    await Deno.writeTextFile(`${root}/b.txt`, "b");
    await Deno.writeTextFile(`${root}/dir/sub/c.sh`, "c");
    await Deno.chmod(`${root}/dir/sub/c.sh`, 0o750);
    await Deno.writeTextFile(`${outside}/secret`, "s");
    await Deno.symlink(`${root}/a.txt`, `${root}/dir/link-in`);
    await Deno.symlink(`${outside}/secret`, `${root}/dir/link-out`);
    await Deno.symlink(`${outside}/secret`, `${root}/top-out`);
    const reader = new ContextReader(root, IgnoreMatcher.parse("b.txt"));

    const [txt] = await reader.resolve(["*.txt"]);
    assertEquals([txt.path, txt.isDir, txt.files.map((f) => f.rel)], ["a.txt", false, [""]]);
    const [dir] = await reader.resolve(["./dir/../dir/"]);
    assertEquals(dir.isDir, true);
    assertEquals(
      dir.files.map((f) => [f.rel, f.hostPath.slice(root.length), f.mode]),
      [["link-in", "/a.txt", 0o644], ["sub/c.sh", "/dir/sub/c.sh", 0o750]],
    );
    assertEquals(dir.skipped, ["dir/link-out (symlink)"]);
    // A FIFO is said to be one; a name that is not UTF-8 (Deno reads it lossily) is skipped
    // by name instead of failing the whole COPY with "No such file or directory".
    const made = await new Deno.Command("sh", {
      args: [
        "-c",
        `mkfifo "$1/dir/pipe" && printf x > "$1/dir/bad$(printf '\\377').txt"`,
        "sh",
        root,
      ],
    }).output();
    assert(made.success, new TextDecoder().decode(made.stderr));
    const [again] = await reader.resolve(["dir"]);
    assertEquals(again.skipped, [
      "dir/bad\uFFFD.txt (a name that is not UTF-8)",
      "dir/link-out (symlink)",
      "dir/pipe (not a regular file)",
    ]);
    const [all] = await reader.resolve(["/"]);
    assert(all.skipped.includes("empty/ (empty directory)"), all.skipped.join());
    assert(!all.files.some((f) => f.rel === "b.txt"), "ignored");

    await assertRejects(() => reader.resolve(["../x"]), ContreeError, "outside the build context");
    await assertRejects(() => reader.resolve(["b.txt"]), ContreeError, "not found");
    await assertRejects(() => reader.resolve(["top-out"]), ContreeError, "leading outside");
    // Through a linked directory: inside the context it is followed, outside refused (it read
    // any host file: `rootlink/etc/shadow`).
    await Deno.mkdir(`${outside}/sub`);
    await Deno.writeTextFile(`${outside}/sub/s.txt`, "s");
    await Deno.symlink(outside, `${root}/dir-out`);
    await Deno.symlink(`${root}/dir`, `${root}/dir-in`);
    for (const source of ["dir-out/secret", "dir-out/sub", "dir-out/sub/s.txt"]) {
      await assertRejects(
        () => reader.resolve([source]),
        ContreeError,
        `'${source}' is reached through a symlink leading outside the build context`,
      );
    }
    await assertRejects(() => reader.resolve(["dir-out/nothing/x"]), ContreeError, "not found");
    const [viaLink] = await reader.resolve(["dir-in/sub/c.sh"]);
    assertEquals(viaLink.files.map((f) => f.mode), [0o750]);
    assertEquals(await reader.resolve(["*.none"]), [], "a pattern may match nothing (BuildKit)");
    assert(globRegex("a/[bc]?.t*").test("a/bx.txt"));
    assert(!globRegex("*.txt").test("d/a.txt"));
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("tar: members extracted to numbered files; escaping names refused; archives sniffed", async () => {
  const dir = await tempDir();
  try {
    const tar = tarOf([
      { name: "etc", mode: 0o755 },
      { name: "etc/hosts", content: "127.0.0.1 localhost\n", mode: 0o640, uid: 5, gid: 6 },
      { name: "etc/link", link: "hosts" },
    ]);
    const members = await unpackArchive(new Blob([tar as BlobPart]).stream(), dir, "test");
    assertEquals(members.map((m) => [m.name, m.type, m.mode, m.uid, m.gid, m.size]), [
      ["etc", "directory", 0o755, 0, 0, 0],
      ["etc/hosts", "file", 0o640, 5, 6, 20],
      ["etc/link", "symlink", 0o644, 0, 0, 0],
    ]);
    assertEquals(await Deno.readTextFile(members[1].hostPath!), "127.0.0.1 localhost\n");
    assertEquals(members[1].hostPath, `${dir}/m1`);

    // Members named from the root, from the parent, or from the source itself.
    for (const [names, rel] of [[["etc", "etc/hosts"], "etc"], [["hosts"], "etc/hosts"]] as const) {
      const source = membersToSource(
        "/x",
        names.map((name, i) => ({
          name,
          type: name.endsWith("hosts") ? "file" : "directory",
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: 1,
          hostPath: `/scratch/${i}`,
        })),
        rel,
      );
      assertEquals(source.files.map((f) => f.rel), rel === "etc" ? ["hosts"] : [""]);
      assertEquals(source.isDir, rel === "etc");
    }

    // A directory with no file below it is not copied, and said so (was dropped silently).
    const member = (name: string, type: "file" | "directory") => ({
      name,
      type,
      mode: 0o755,
      uid: 0,
      gid: 0,
      size: 0,
      hostPath: type === "file" ? `/scratch/${name}` : undefined,
    });
    const withEmpty = membersToSource("/s", [
      member("s", "directory"),
      member("s/empty", "directory"),
      member("s/full", "directory"),
      member("s/full/y", "file"),
    ], "s");
    assertEquals(withEmpty.files.map((f) => f.rel), ["full/y"]);
    assertEquals(withEmpty.skipped, ["s/empty/ (empty directory)"]);
    const empty = membersToSource("/e", [member("e/", "directory")], "e");
    assertEquals([empty.files, empty.skipped], [[], ["e/ (empty directory)"]]);
    // A tar of `./` and empty directories: those are named, not `/` (its root was "/ (empty
    // directory)"); one of `./` alone is named by its source.
    const dotted = membersToSource(
      "t.tar",
      [member("", "directory"), member("a", "directory")],
      "",
    );
    assertEquals(dotted.skipped, ["a/ (empty directory)"]);
    const bare = membersToSource("t.tar", [member(".", "directory")], "");
    assertEquals(bare.skipped, ["t.tar (no files in it)"]);

    // Absolute names are taken from the archive root, as Docker's ADD and GNU tar take them.
    const absolute = tarOf([{ name: "/opt/app/run.sh", content: "#!/bin/sh\n", mode: 0o755 }]);
    const rooted = await unpackArchive(new Blob([absolute as BlobPart]).stream(), dir, "abs.tar");
    assertEquals(rooted.map((m) => [m.name, m.type, m.mode]), [["opt/app/run.sh", "file", 0o755]]);

    const evil = tarOf([{ name: "../../etc/passwd", content: "x" }]);
    await assertRejects(
      () => unpackArchive(new Blob([evil as BlobPart]).stream(), dir, "evil.tar"),
      ContreeError,
      "escapes the archive",
    );
    assertEquals(archiveMemberParts("./a//b/c"), ["a", "b", "c"]);
    assertEquals(archiveMemberParts("a/b/../c"), "'..' in the path", "one policy with cp");
    assertEquals(archiveMemberParts("a/../../b"), "'..' in the path");

    await Deno.writeFile(`${dir}/plain.tar`, tar);
    const gz = new Uint8Array(
      await new Response(
        new Blob([tar as BlobPart]).stream().pipeThrough(new CompressionStream("gzip")),
      )
        .arrayBuffer(),
    );
    await Deno.writeFile(`${dir}/a.tar.gz`, gz);
    await Deno.writeTextFile(`${dir}/text.txt`, "just text\n");
    await Deno.writeFile(`${dir}/fake.xz`, new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 1, 2]));
    assertEquals(
      await Promise.all(
        ["plain.tar", "a.tar.gz", "text.txt", "fake.xz"].map((f) => sniffArchive(`${dir}/${f}`)),
      ),
      ["tar", "gzip", "none", "xz"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function testClient(url: string, token: string): ContreeClient {
  return new ContreeClient({ url, token, type: "jwt" }, {
    fetch: globalThis.fetch.bind(globalThis),
    clock: systemClock,
    log: new Logger(new MemorySink(), "error"),
    userAgent: "contree-tests",
    maxRetries: 0,
  });
}

Deno.test("url: cache by validators, 304 reuse, checksum, and the server's sha256 checked", async () => {
  const body = new TextEncoder().encode("payload ".repeat(1000));
  let etag = '"v1"';
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const conditional = request.headers.get("if-none-match");
    hits.push(`${request.method}${conditional ? ` ${conditional}` : ""}`);
    if (request.method === "HEAD") return new Response(null, { headers: { etag: '"other"' } });
    if (conditional === etag) return new Response(null, { status: 304 });
    return new Response(body, { headers: { etag, "content-length": String(body.length) } });
  });
  const fake = new FakeContree();
  const dir = await tempDir();
  const store = SessionStore.open(`${dir}/s.db`);
  const log = new Logger(new MemorySink(), "error");
  const client = testClient(fake.api.url, fake.api.token);
  const url = `http://127.0.0.1:${server.addr.port}/dist/tool-1.0.tar.gz?x=1`;
  const deps = { fetch, client, cache: imageCache(store), log, scratchDir: dir };
  try {
    assertEquals(urlFilename(url), "tool-1.0.tar.gz");
    assertEquals(urlFilename("http://h/"), "downloaded");
    const first = await ensureUrlFile(deps, url);
    assertEquals([first.outcome, first.sha256, first.size], [
      "uploaded",
      sha256(body),
      body.length,
    ]);
    assertEquals(fake.uploads.map((u) => u.sha256), [sha256(body)]);
    // HEAD validators differ → conditional GET → 304 → reused without a download.
    const second = await ensureUrlFile(deps, url);
    assertEquals([second.outcome, second.uuid], ["not-modified", first.uuid]);
    assertEquals(hits, ["GET", "HEAD", `GET "v1"`]);
    // A new version: downloaded again; same bytes → reused by sha256, not uploaded twice.
    etag = '"v2"';
    assertEquals((await ensureUrlFile(deps, url)).outcome, "reused");
    assertEquals(fake.uploads.length, 1);
    await assertRejects(
      () => ensureUrlFile(deps, url, { checksum: "0".repeat(64) }),
      ContreeError,
      "checksum mismatch",
    );
    // A server storing something else than what was sent is an error, not a file UUID.
    fake.api.on("POST", "/v1/files", () => ({
      status: 201,
      json: { uuid: "e3b0c442-98fc-4c14-9afb-f4c8996fb924", sha256: sha256(""), size: 0 },
    }));
    fake.files.clear();
    const error = await assertRejects(
      () => ensureUrlFile(deps, url, { noCache: true }),
      ContreeError,
    );
    assertStringIncludes(error.message, `expected ${sha256(body)} (${body.length} bytes)`);
    assertEquals((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
      "s.db",
      "s.db-shm",
      "s.db-wal",
    ], "scratch copies are removed");
  } finally {
    store.close();
    await fake.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("context: a directory of 130,000 files below another is listed whole (the stack overflowed)", async () => {
  const root = await Deno.makeTempDir({ prefix: "contree-context-" });
  try {
    await Deno.mkdir(`${root}/outer/many`, { recursive: true });
    // Made by one process: 130,000 files from Deno one by one take longer than the listing.
    const made = await new Deno.Command("sh", {
      args: ["-c", 'cd "$1" && seq 1 130000 | xargs touch', "sh", `${root}/outer/many`],
    }).output();
    assert(made.success, new TextDecoder().decode(made.stderr));
    const found = await new ContextReader(root, IgnoreMatcher.parse("")).all();
    assertEquals(found.length, 130_002);
    assertEquals(found.slice(0, 2), ["outer", "outer/many"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
