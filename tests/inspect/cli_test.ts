// `contree ls`, `cat`, `cp` as a user runs them: real subprocesses against the fake API.

import type { FileItem } from "../../src/api/models.ts";
import { NO_SESSION_MESSAGE } from "../../src/session/errors.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import type { FakeApi } from "../support/fake_api.ts";
import { spawnCli } from "../support/cli.ts";
import {
  fileItem as file,
  IMAGE,
  jsonRows,
  listTree,
  OTHER,
  patternStream,
  serveImages,
  tarBytes,
  type TarMember,
  withCli,
} from "../support/images.ts";

const LISTINGS: Record<string, FileItem[]> = {
  "/": [file("etc", { is_dir: true, is_regular: false, mode: 0o40755 })],
  "/etc": [
    file("hosts"),
    file("localtime", {
      is_symlink: true,
      is_regular: false,
      symlink_to: "/usr/share/zoneinfo/UTC",
      owner: "",
      group: "",
      uid: 7,
      gid: 8,
    }),
    file("ssl", { is_dir: true, is_regular: false, mode: 0o40755 }),
  ],
};

const FILES: Record<string, Uint8Array> = {
  "/etc/hosts": new TextEncoder().encode("127.0.0.1 localhost\n"),
  "/etc/blob": new Uint8Array([0, 1, 2, 0xff, 0xfe, 10]),
};

function serveInspect(fake: FakeApi, image = IMAGE): void {
  fake.on("GET", `/v1/inspect/${image}/list`, (request) => {
    const path = request.query.get("path") ?? "/";
    const files = LISTINGS[path];
    if (!files) return { status: 404, json: { error: "no such path", status: 404 } };
    if (request.query.has("text")) {
      return { text: files.map((f) => `${f.is_dir ? "d" : "-"}rw-r--r-- ${f.path}`).join("\n") };
    }
    return { json: { path, files } };
  });
  fake.on("GET", `/v1/inspect/${image}/download`, (request) => {
    const path = request.query.get("path") ?? "";
    if (LISTINGS[path]) return { status: 422, json: { error: "not a file", status: 422 } };
    const bytes = FILES[path];
    return bytes
      ? { bytes, headers: { "content-type": "application/octet-stream" } }
      : { status: 404, json: { error: "no such file", status: 404 } };
  });
}

Deno.test("ls: server text by default (never cached), rows with -f json (cached), cwd-relative", () =>
  withCli(async ({ fake, cli }) => {
    serveInspect(fake);
    const none = await cli(["ls"]);
    assertEquals(none.code, 1);
    assertEquals(none.stderr, `${NO_SESSION_MESSAGE}\n`);

    assertEquals((await cli(["use", IMAGE])).code, 0);
    const text = await cli(["ls", "/etc"]);
    assertEquals(text.code, 0, text.stderr);
    assertEquals(text.stdout, "-rw-r--r-- hosts\n-rw-r--r-- localtime\ndrw-r--r-- ssl\n");
    await cli(["ls", "/etc"]);
    const textCalls = fake.calls("GET", `/v1/inspect/${IMAGE}/list`);
    assertEquals(textCalls.length, 2, "the text listing is never cached");
    assert(textCalls.every((r) => r.query.get("text") === "1" && r.query.get("path") === "/etc"));

    // Relative to the session cwd.
    assertEquals((await cli(["cd", "/etc"])).code, 0);
    const before = fake.calls("GET", `/v1/inspect/${IMAGE}/list`).length;
    const rows = await cli(["-f", "json", "ls", "."]);
    assertEquals(rows.code, 0, rows.stderr);
    const parsed = jsonRows(rows.stdout);
    assertEquals(parsed.map((r) => [r.path, r.type]), [
      ["hosts", "-"],
      ["localtime", "l"],
      ["ssl", "d"],
    ]);
    assertEquals(Object.keys(parsed[0]).at(-1), "type");
    assertEquals(parsed[0].mode, "100644");
    assertEquals(parsed[0].mtime, "2023-11-14T22:13:20+00:00");
    assertEquals([parsed[1].owner, parsed[1].group], [7, 8], "owner/group fall back to uid/gid");
    const calls = fake.calls("GET", `/v1/inspect/${IMAGE}/list`).slice(before);
    assertEquals(calls.map((r) => r.query.get("path")), ["/etc"]);

    const cached = await cli(["-f", "json", "ls", "/etc"]);
    assertEquals(jsonRows(cached.stdout).length, 3);
    assertEquals(
      fake.calls("GET", `/v1/inspect/${IMAGE}/list`).length,
      before + 1,
      "rows come from the cache the second time",
    );
  }));

Deno.test("ls/cat --image: an explicit image (by tag) without any session", () =>
  withCli(async ({ fake, cli }) => {
    serveInspect(fake, OTHER);
    serveImages(fake, [{ uuid: OTHER, tag: "base:1" }]);
    const listed = await cli(["ls", "--image", "base:1", "/"]);
    assertEquals(listed.code, 0, listed.stderr);
    assertEquals(listed.stdout, "drw-r--r-- etc\n");
    const catted = await cli(["cat", "--image", OTHER, "etc/hosts"]);
    assertEquals(catted.code, 0, catted.stderr);
    assertEquals(catted.stdout, "127.0.0.1 localhost\n");
  }));

Deno.test("cat: exact bytes to a pipe, cached for the next cat; errors", () =>
  withCli(async ({ fake, cli }) => {
    serveInspect(fake);
    assertEquals((await cli(["use", IMAGE])).code, 0);
    const blob = await cli(["cat", "/etc/blob"]);
    assertEquals(blob.code, 0, blob.stderr);
    assertEquals(blob.stdoutBytes, FILES["/etc/blob"], "binary bytes pass through a pipe");

    const json = await cli(["-f", "json", "cat", "/etc/blob"]);
    assertEquals(json.stdoutBytes, FILES["/etc/blob"]);
    assertEquals(json.stderr, "[WARNING] cat always outputs raw content; --format is ignored\n");
    assertEquals(
      fake.calls("GET", `/v1/inspect/${IMAGE}/download`).length,
      1,
      "the second cat is served from the cache",
    );

    const dir = await cli(["cat", "/etc"]);
    assertEquals(dir.code, 1);
    assertStringIncludes(dir.stderr, "[ERROR] cat: /etc: not a regular file");
    const missing = await cli(["cat", "/nope"]);
    assertEquals(missing.code, 1);
    assertEquals(missing.stderr, "[ERROR] API 404 Not Found: no such file\n");
  }));

Deno.test("cat: a file over 1 MiB streams and is not cached", () =>
  withCli(async ({ fake, cli }) => {
    const big = new Uint8Array(1_500_000).map((_, i) => 97 + (i % 26));
    fake.on("GET", `/v1/inspect/${IMAGE}/download`, () => ({ bytes: big }));
    assertEquals((await cli(["use", IMAGE])).code, 0);
    for (let i = 0; i < 2; i++) {
      const result = await cli(["cat", "/big"]);
      assertEquals(result.code, 0, result.stderr);
      assertEquals(result.stdoutBytes, big);
    }
    assertEquals(fake.calls("GET", `/v1/inspect/${IMAGE}/download`).length, 2);
  }));

Deno.test("cat and cp on the local profile: the bytes come uncompressed; elsewhere gzip'd", () =>
  withCli(async ({ fake, cli }) => {
    const big = new Uint8Array(1_500_000).map((_, i) => 97 + (i % 26));
    fake.on("GET", `/v1/inspect/${IMAGE}/download`, () => ({ bytes: big }));
    const out = await Deno.makeTempDir({ prefix: "contree-cp-local-" });
    try {
      // CONTREE_URL is the fake on 127.0.0.1: as `-p local`, the profile `contree server start` writes.
      const local = await cli(["-p", "local", "cat", "--image", IMAGE, "/big"]);
      assertEquals(local.code, 0, local.stderr);
      assertEquals(local.stdoutBytes, big);
      const copied = await cli(["-p", "local", "cp", "--image", IMAGE, "/big", `${out}/big`]);
      assertEquals(copied.code, 0, copied.stderr);
      assertEquals(await Deno.readFile(`${out}/big`), big);
      const elsewhere = await cli(["cat", "--image", IMAGE, "/big"]);
      assertEquals(elsewhere.stdoutBytes, big);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
    const asked = fake.calls("GET", `/v1/inspect/${IMAGE}/download`)
      .map((request) => request.headers.get("accept-encoding"));
    assertEquals(asked, ["identity", "identity", "gzip"]);
  }));

Deno.test("cat through HTTP_PROXY: the download goes through the proxy (fetch carries it)", () =>
  withCli(async ({ fake, cli }) => {
    const big = new Uint8Array(300_000).map((_, i) => 97 + (i % 26));
    fake.on("GET", `/v1/inspect/${IMAGE}/download`, () => ({ bytes: big }));
    // A forwarding proxy: a proxied request names the absolute URL it wants.
    const seen: string[] = [];
    const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
      seen.push(new URL(request.url).pathname);
      return fetch(request.url, { headers: request.headers });
    });
    try {
      const env = { HTTP_PROXY: `http://127.0.0.1:${proxy.addr.port}`, NO_PROXY: "" };
      assertEquals((await cli(["use", IMAGE], { env })).code, 0);
      const result = await cli(["cat", "/big"], { env });
      assertEquals(result.code, 0, result.stderr);
      assertEquals(result.stdoutBytes, big);
      assert(seen.includes(`/v1/inspect/${IMAGE}/download`), `proxy saw ${seen}`);
    } finally {
      await proxy.shutdown();
    }
  }));

Deno.test("cp file: into a directory or to a name; progress; no partial file after a broken download", () =>
  withCli(async ({ fake, cli, home }) => {
    serveInspect(fake);
    assertEquals((await cli(["use", IMAGE])).code, 0);
    await Deno.mkdir(`${home}/out`);

    const intoDir = await cli(["cp", "/etc/hosts", "out"]);
    assertEquals(intoDir.code, 0, intoDir.stderr);
    assertEquals(await Deno.readTextFile(`${home}/out/hosts`), "127.0.0.1 localhost\n");
    assertMatch(
      intoDir.stderr,
      /^\[INFO\] Written 20\.0 B to out\/hosts \([0-9.]+ [KMG]?i?B\/s\)\n$/,
    );

    const asJson = await cli(["-f", "json", "cp", "/etc/hosts", "out/hosts"]);
    assertEquals([asJson.code, asJson.stdout], [0, ""]);
    assertStringIncludes(
      asJson.stderr,
      "[WARNING] cp always outputs raw content; --format is ignored\n",
    );

    await Deno.writeTextFile(`${home}/out/renamed`, "old content that is longer");
    const named = await cli(["cp", "/etc/hosts", "out/renamed"]);
    assertEquals(named.code, 0, named.stderr);
    assertEquals(await Deno.readTextFile(`${home}/out/renamed`), "127.0.0.1 localhost\n");

    const nested = await cli(["cp", "/etc/blob", "new/dir/"]);
    assertEquals(nested.code, 0, nested.stderr);
    assertEquals(await Deno.readFile(`${home}/new/dir/blob`), FILES["/etc/blob"]);

    // An empty DEST (an unset variable) is the current directory, never the host's root.
    const empty = await cli(["cp", "/etc/hosts", ""]);
    assertEquals(empty.code, 0, empty.stderr);
    assertStringIncludes(empty.stderr, "Written 20.0 B to ./hosts");
    assertEquals(await Deno.readTextFile(`${home}/hosts`), "127.0.0.1 localhost\n");
    await Deno.remove(`${home}/hosts`);

    // On a terminal (FORCE_COLOR): a live line, cleared, then the summary.
    const tty = await cli(["cp", "/etc/hosts", "out/tty"], { env: { FORCE_COLOR: "1" } });
    assertEquals(tty.code, 0, tty.stderr);
    assertStringIncludes(tty.stderr, "\r\x1b[2K");
    assertStringIncludes(tty.stderr, "Written 20.0 B to out/tty");

    // The connection breaks mid-body: exit 1, the old file stays, no temp file is left.
    fake.script("GET", `/v1/inspect/${IMAGE}/download`, {
      bytes: new Uint8Array(300_000).fill(65),
      dropBody: true,
      identity: true,
    });
    await Deno.writeTextFile(`${home}/out/kept`, "keep me");
    const broken = await cli(["cp", "/etc/big", "out/kept"]);
    assertEquals(broken.code, 1);
    assertStringIncludes(broken.stderr, "[ERROR] Network error");
    assertEquals(await Deno.readTextFile(`${home}/out/kept`), "keep me");
    assertEquals(await listTree(`${home}/out`), ["hosts", "kept", "renamed", "tty"]);
  }));

Deno.test("cp file onto a FIFO, a device, stdout, a link, a socket: written into, through, or refused", () =>
  withCli(async ({ fake, cli, home }) => {
    serveInspect(fake);
    assertEquals((await cli(["use", IMAGE])).code, 0);
    // A FIFO (like /dev/null, a node that is not a file): written into, never renamed over.
    const fifo = `${home}/fifo`;
    assertEquals((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
    const reader = new Deno.Command("cat", { args: [fifo], stdout: "piped" }).spawn();
    const intoFifo = await cli(["cp", "/etc/hosts", "fifo"]);
    const stillFifo = (await Deno.lstat(fifo)).isFifo;
    if (!stillFifo) reader.kill(); // it would wait for a writer for ever
    const read = new TextDecoder().decode((await reader.output()).stdout);
    assert(stillFifo, "still a FIFO (was: replaced by a regular file)");
    assertEquals(intoFifo.code, 0, intoFifo.stderr);
    assertEquals(read, "127.0.0.1 localhost\n");
    // Through a link to a file: the file is written, the link stays.
    await Deno.writeTextFile(`${home}/real`, "old");
    await Deno.symlink(`${home}/real`, `${home}/link`);
    const throughLink = await cli(["cp", "/etc/hosts", "link"]);
    assertEquals(throughLink.code, 0, throughLink.stderr);
    assert((await Deno.lstat(`${home}/link`)).isSymlink);
    assertEquals(await Deno.readTextFile(`${home}/real`), "127.0.0.1 localhost\n");
    // Its own stdout, a pipe here (/dev/stdout links to pipe:[…], which has no real path).
    const toStdout = await cli(["cp", "/etc/hosts", "/dev/stdout"]);
    assertEquals([toStdout.code, toStdout.stdout], [0, "127.0.0.1 localhost\n"], toStdout.stderr);
    // A regular file under /dev (as behind `/dev/stdout >> log`) is replaced whole: truncated.
    const shm = `/dev/shm/contree-cp-test-${crypto.randomUUID()}`;
    if (await Deno.writeTextFile(shm, "x".repeat(5000)).then(() => true, () => false)) {
      try {
        const overwritten = await cli(["cp", "/etc/hosts", shm]);
        assertEquals(overwritten.code, 0, overwritten.stderr);
        assertEquals(await Deno.readTextFile(shm), "127.0.0.1 localhost\n");
      } finally {
        await Deno.remove(shm);
      }
    }
    // A device that refuses the write (as /dev/full does): the system's error, exit 1.
    const full = `${home}/full`;
    if ((await new Deno.Command("mknod", { args: [full, "c", "1", "7"] }).output()).success) {
      const refused = await cli(["cp", "/etc/hosts", "full"]);
      assertEquals(refused.code, 1, "a small write's ENOSPC was lost: exit 0, 'Written'");
      assertStringIncludes(refused.stderr, "No space left on device");
      assert((await Deno.lstat(full)).isCharDevice);
    } else console.log("SKIP: mknod is not allowed here; the /dev/full case is not checked");
    // A socket cannot be written into.
    const listener = Deno.listen({ transport: "unix", path: `${home}/sock` });
    const socket = await cli(["cp", "/etc/hosts", "sock"]);
    listener.close();
    assertEquals([socket.code, socket.stderr], [
      1,
      "[ERROR] cp: cannot write into socket 'sock'\n",
    ]);
    // A dangling link: refused, as cp(1) refuses it.
    await Deno.symlink(`${home}/nowhere`, `${home}/dangling`);
    const dangling = await cli(["cp", "/etc/hosts", "dangling"]);
    assertEquals(dangling.code, 1);
    assertEquals(dangling.stderr, "[ERROR] cp: not writing through dangling symlink 'dangling'\n");
    assert((await Deno.lstat(`${home}/dangling`)).isSymlink);
  }));

Deno.test("cp of a fifo or device: one error, exit 1, nothing written", () =>
  withCli(async ({ fake, cli, home }) => {
    fake.on("GET", `/v1/inspect/${IMAGE}/list`, () => ({
      json: { path: "/dev", files: [file("fifo", { is_fifo: true, is_regular: false })] },
    }));
    fake.on("GET", `/v1/inspect/${IMAGE}/download`, () => ({
      status: 422,
      json: { error: "not a regular file: /dev/fifo", status: 422 },
    }));
    const result = await cli(["cp", "--image", IMAGE, "/dev/fifo", "ff"]);
    // Was: "Skipped 1 special file(s)", an empty 0700 directory `ff`, exit 0.
    assertEquals([result.code, result.stdout], [1, ""]);
    assertEquals(result.stderr, "[ERROR] cp: not a regular file: /dev/fifo\n");
    assertEquals(fake.calls("GET", `/v1/inspect/${IMAGE}/archive`).length, 0);
    await Deno.stat(`${home}/ff`).then(
      () => assert(false, "nothing is written"),
      (error) => assert(error instanceof Deno.errors.NotFound),
    );
  }));

Deno.test("cp directory: the archive is extracted; DEST new or existing; links kept inside", () =>
  withCli(async ({ fake, cli, home }) => {
    serveInspect(fake);
    fake.on("GET", `/v1/inspect/${IMAGE}/archive`, (request) => {
      const path = request.query.get("path");
      if (path !== "/etc") return { status: 404, json: { error: "no such path", status: 404 } };
      return {
        bytes: tarBytes([
          { name: "etc/", type: "dir" },
          { name: "etc/hosts", data: "127.0.0.1 localhost\n" },
          { name: "etc/ssl/", type: "dir", mode: 0o700 },
          { name: "etc/ssl/cert.pem", data: "CERT", mode: 0o600 },
          { name: "etc/cert", type: "symlink", linkname: "ssl/cert.pem" },
          { name: "etc/hosts.bak", type: "hardlink", linkname: "etc/hosts" },
          { name: "etc/initctl", type: "fifo" },
        ]),
        headers: { "content-type": "application/x-tar" },
      };
    });
    assertEquals((await cli(["use", IMAGE])).code, 0);

    const fresh = await cli(["cp", "/etc", "copy"]);
    assertEquals(fresh.code, 0, fresh.stderr);
    assertEquals(await listTree(`${home}/copy`), [
      "cert@",
      "hosts",
      "hosts.bak",
      "ssl/",
      "ssl/cert.pem",
    ]);
    assertEquals(await Deno.readTextFile(`${home}/copy/cert`), "CERT");
    assertEquals((await Deno.stat(`${home}/copy/ssl/cert.pem`)).mode! & 0o777, 0o600);
    assertStringIncludes(fresh.stderr, "[WARNING] Skipped 1 special file(s)");
    assertStringIncludes(fresh.stderr, "etc/initctl");
    assertStringIncludes(fresh.stderr, "to copy (");

    // A new DEST written with a trailing slash is the copy too, as `cp -r` makes it (it failed
    // with the rename's own error and left an empty directory).
    for (const dest of ["slashed/", "new/parent/"]) {
      const slashed = await cli(["cp", "/etc", dest]);
      assertEquals(slashed.code, 0, slashed.stderr);
      assertEquals(await listTree(`${home}/${dest}`), [
        "cert@",
        "hosts",
        "hosts.bak",
        "ssl/",
        "ssl/cert.pem",
      ]);
      assertStringIncludes(slashed.stderr, `to ${dest.slice(0, -1)}`);
    }

    // An existing directory receives etc/ inside it; a second copy merges into it.
    await Deno.mkdir(`${home}/into`);
    for (let i = 0; i < 2; i++) {
      const into = await cli(["cp", "/etc", "into"]);
      assertEquals(into.code, 0, into.stderr);
    }
    assertEquals((await listTree(`${home}/into`))[0], "etc/");
    assertEquals(await Deno.readTextFile(`${home}/into/etc/hosts`), "127.0.0.1 localhost\n");

    // An empty DEST is the current directory: etc/ lands in it, not in the host's /etc.
    const empty = await cli(["cp", "/etc", ""]);
    assertEquals(empty.code, 0, empty.stderr);
    assertEquals(await Deno.readTextFile(`${home}/etc/hosts`), "127.0.0.1 localhost\n");

    const missing = await cli(["cp", "/nope/", "x"]);
    assertEquals(missing.code, 1);
    assertEquals(await listTree(home).then((t) => t.filter((p) => p.startsWith("x"))), []);
  }));

Deno.test("cp directory into one that exists: merged only once whole; a broken or refused one moves nothing", () =>
  withCli(async ({ fake, cli, home }) => {
    serveInspect(fake);
    let members: TarMember[] = [];
    let cutAt: number | undefined;
    fake.on("GET", `/v1/inspect/${IMAGE}/archive`, () => {
      const bytes = tarBytes(members);
      return { bytes: cutAt === undefined ? bytes : bytes.slice(0, cutAt) };
    });
    assertEquals((await cli(["use", IMAGE])).code, 0);
    await Deno.mkdir(`${home}/into/etc/sub`, { recursive: true });
    await Deno.writeTextFile(`${home}/into/etc/hosts`, "precious\n");
    await Deno.writeTextFile(`${home}/into/etc/sub/mine`, "mine\n");
    const big = "x".repeat(60_000);
    members = [
      { name: "etc/", type: "dir" },
      { name: "etc/added", data: "new\n" },
      { name: "etc/hosts", data: big },
      { name: "etc/sub/", type: "dir" },
      { name: "etc/sub/theirs", data: "theirs\n" },
    ];
    const leftovers = async () =>
      (await listTree(`${home}/into`)).filter((p) => p.includes(".part"));

    // The archive breaks off in the middle of etc/hosts: the user's files are as they were.
    cutAt = 512 * 6 + 20_000;
    const broken = await cli(["cp", "/etc", "into"]);
    assertEquals(broken.code, 1, broken.stderr);
    assertEquals(await Deno.readTextFile(`${home}/into/etc/hosts`), "precious\n");
    assertEquals(await listTree(`${home}/into`), ["etc/", "etc/hosts", "etc/sub/", "etc/sub/mine"]);

    // Whole: merged, as extracting there would (hosts replaced, the user's other files kept).
    cutAt = undefined;
    const whole = await cli(["cp", "/etc", "into"]);
    assertEquals(whole.code, 0, whole.stderr);
    assertEquals(await Deno.readTextFile(`${home}/into/etc/hosts`), big);
    assertEquals(await listTree(`${home}/into`), [
      "etc/",
      "etc/added",
      "etc/hosts",
      "etc/sub/",
      "etc/sub/mine",
      "etc/sub/theirs",
    ]);

    // A link planted where the archive has a directory: refused before anything moves.
    const outside = `${home}/outside`;
    await Deno.mkdir(outside);
    await Deno.remove(`${home}/into/etc/sub`, { recursive: true });
    await Deno.symlink(outside, `${home}/into/etc/sub`);
    await Deno.writeTextFile(`${home}/into/etc/hosts`, "precious again\n");
    const refused = await cli(["cp", "/etc", "into"]);
    assertEquals(refused.code, 1);
    assertStringIncludes(refused.stderr, "written through the symbolic link 'sub'");
    assertEquals(await Deno.readTextFile(`${home}/into/etc/hosts`), "precious again\n");
    assertEquals(await listTree(outside), []);
    assertEquals(await leftovers(), []);
  }));

/** Until a thread of process `pid` waits in open(2) for a FIFO's reader (Linux's wchan). */
async function openingFifo(pid: number): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
      const wchan = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/wchan`).catch(() => "");
      if (wchan === "wait_for_partner") return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`process ${pid} never opened the FIFO`);
}

Deno.test("cp interrupted (SIGINT): exit 130, no partial file; cat into a closed pipe: exit 141", () =>
  withCli(async ({ fake, cli, env, home }) => {
    assertEquals((await cli(["use", IMAGE])).code, 0);
    let started!: () => void;
    const firstChunk = new Promise<void>((resolve) => (started = resolve));
    const never = new Promise<void>(() => {});
    fake.on("GET", `/v1/inspect/${IMAGE}/download`, () =>
      new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            controller.enqueue(new Uint8Array(64 * 1024).fill(66));
            started();
            await never; // the rest never comes
          },
        }, { highWaterMark: 0 }),
      ));
    const copy = spawnCli(["cp", "/big", "out.bin"], { env, cwd: home });
    await firstChunk;
    copy.kill("SIGINT");
    const copied = await copy.output();
    assertEquals(copied.code, 130);
    assertEquals((await listTree(home)).filter((p) => !p.startsWith("cli/")), []);

    // Into a FIFO nobody reads: opening it waits for a reader, and the first Ctrl-C still ends
    // the copy (was: ignored until the second, which exits without a word).
    assertEquals((await new Deno.Command("mkfifo", { args: [`${home}/unread`] }).output()).code, 0);
    let asked!: () => void;
    const downloadAsked = new Promise<void>((resolve) => (asked = resolve));
    fake.on("GET", `/v1/inspect/${IMAGE}/download`, () => {
      asked();
      return { bytes: new Uint8Array(1024).fill(67) };
    });
    const blocked = spawnCli(["cp", "/big", "unread"], { env, cwd: home });
    const guard = setTimeout(() => blocked.kill("SIGKILL"), 30_000);
    await downloadAsked;
    await openingFifo(blocked.pid);
    blocked.kill("SIGINT");
    const unread = await blocked.output().finally(() => clearTimeout(guard));
    assertEquals(unread.code, 130, new TextDecoder().decode(unread.stderr));
    assertStringIncludes(new TextDecoder().decode(unread.stderr), "[ERROR] User interrupted\n");
    await Deno.remove(`${home}/unread`);

    fake.on(
      "GET",
      `/v1/inspect/${IMAGE}/download`,
      () =>
        new Response(patternStream(64 * 1024 * 1024), {
          headers: { "content-type": "application/octet-stream" },
        }),
    );
    const cat = spawnCli(["cat", "/big"], { env, cwd: home });
    const reader = cat.stdout.getReader();
    const { value } = await reader.read();
    assert(value && value.length > 0);
    await reader.cancel(); // like `| head -c 10` exiting early
    const status = await cat.status;
    await cat.stderr.cancel();
    assertEquals(status.code, 141);
  }));
