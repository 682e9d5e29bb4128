// The CLI as users run it, against the real local server on podman: sessions, streaming runs,
// exit codes, file injection, stdin, snapshots, disposable runs, cwd and env, references.

import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { apiEnv, type CliResult, readUntil, runCli, spawnCli, tempHome } from "../support/cli.ts";
import { podmanTest } from "../support/podman.ts";
import { startTestServer } from "../support/server.ts";

podmanTest("CLI against the local server: the everyday workflow", async (t) => {
  const server = await startTestServer({ busybox: true });
  const { home, cleanup } = await tempHome();
  const env = apiEnv(server, home, "it");
  const cli = (args: string[], stdin?: string): Promise<CliResult> => runCli(args, { env, stdin });
  const lines = (text: string) =>
    text.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
  try {
    await t.step("use the base image", async () => {
      const use = await cli(["use", server.busybox]);
      assertEquals(use.code, 0, use.stderr);
      assertEquals(use.stdout, "export CONTREE_SESSION=it\n");
    });

    await t.step(
      "run streams stdout and stderr apart and passes the exit code through",
      async () => {
        const result = await cli([
          "run",
          "-s",
          "--",
          "echo one; echo err >&2; printf '\\342\\202\\254\\n'; exit 3",
        ]);
        assertEquals(result.code, 3);
        assertEquals(result.stdout, "one\n€\n");
        assertEquals(result.stderr, "err\n");
      },
    );

    await t.step("op events prints that run's whole log, one row per event", async () => {
      const events = await cli(["-f", "json", "op", "events", "@"]);
      assertEquals(events.code, 0, events.stderr);
      assertEquals(events.stderr, "");
      const rows = lines(events.stdout);
      const types = rows.map((row) => row.type);
      assertEquals([types[0], types.at(-1)], ["init", "completion"]);
      for (const type of ["spawn", "stdout", "stderr", "exit"]) assert(types.includes(type), type);
      assertEquals(rows.map((row) => row.id), rows.map((_, i) => i));
      assertEquals(new Set(rows.map((row) => row.uuid)).size, 1);
      const exit = rows.find((row) => row.type === "exit");
      assertEquals([exit.spid, exit.data.code], [1, 3]);
      assertEquals(rows.at(-1).data.status, "SUCCESS");
      const table = await cli(["op", "ev", "@"]);
      assertEquals(table.code, 0, table.stderr);
      assertEquals(table.stdout.split("\n")[0].trim().split(/\s+/), [
        "UUID",
        "ID",
        "TS",
        "TYPE",
        "SPID",
        "DATA",
      ]);
      assertStringIncludes(table.stdout, '"code": 3');
    });

    await t.step("a snapshot chain: each run starts from the previous result", async () => {
      assertEquals((await cli(["run", "-s", "--", "echo v1 > /state"])).code, 0);
      const read = await cli(["run", "cat", "/state"]);
      assertEquals([read.code, read.stdout], [0, "v1\n"]);
    });

    await t.step("a disposable run leaves the session where it was", async () => {
      const before = lines((await cli(["-f", "json", "session", "show", "--all"])).stdout).length;
      assertEquals((await cli(["run", "-D", "-s", "--", "echo gone > /state"])).code, 0);
      assertEquals((await cli(["run", "-D", "cat", "/state"])).stdout, "v1\n");
      const after = lines((await cli(["-f", "json", "session", "show", "--all"])).stdout);
      assertEquals(
        after.filter((row) => row.kind === "run").length,
        before - 1,
        "only the `use` entry is not a run",
      );
    });

    await t.step("-F injects a host directory with its layout", async () => {
      const dir = await Deno.makeTempDir();
      try {
        await Deno.mkdir(`${dir}/sub`);
        await Deno.writeTextFile(`${dir}/a.txt`, "alpha\n");
        await Deno.writeTextFile(`${dir}/sub/b.txt`, "beta\n");
        await Deno.writeTextFile(`${dir}/.secret`, "hidden\n");
        const result = await cli([
          "run",
          "-D",
          "-F",
          `${dir}:/data`,
          "-s",
          "--",
          "cat /data/a.txt /data/sub/b.txt; ls -a /data",
        ]);
        assertEquals(result.code, 0, result.stderr);
        assertEquals(result.stdout, "alpha\nbeta\n.\n..\na.txt\nsub\n");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });

    await t.step("piped stdin reaches the sandbox", async () => {
      const result = await cli(["run", "-D", "cat"], "piped through\n");
      assertEquals(result.stdout, "piped through\n");
    });

    await t.step("stdin that has not ended at the spawn streams to the process", async () => {
      // The first bytes go with the spawn; the rest is written once the operation exists.
      const child = spawnCli(["run", "-D", "-s", "--", "wc -c"], { env, stdin: "" });
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("first "));
      const deadline = Date.now() + 30_000; // a client that waits for EOF never spawns
      while ((await server.client.listOperations({ status: "EXECUTING" })).length === 0) {
        if (Date.now() > deadline) throw new Error("no operation while stdin is open");
        await new Promise((resolve) => setTimeout(resolve, 20)); // until the run is there
      }
      await writer.write(new TextEncoder().encode("and the rest\n"));
      await writer.close();
      const output = await child.output();
      assertEquals(new TextDecoder().decode(output.stdout).trim(), "19");
      assertEquals(output.code, 0);
    });

    await t.step("an endless stdin ends when the process stops reading", async () => {
      // `yes | contree run -- head -2`: head exits, the stream stops, contree exits.
      const child = spawnCli(["run", "-D", "head", "-2"], { env, stdin: "" });
      const writer = child.stdin.getWriter();
      const line = new TextEncoder().encode("y\n".repeat(4096));
      const feeding = (async () => {
        try {
          for (;;) await writer.write(line);
        } catch {
          // the CLI exited and closed its stdin
        }
      })();
      const output = await child.output();
      await feeding;
      assertEquals([output.code, new TextDecoder().decode(output.stdout)], [0, "y\ny\n"]);
    });

    await t.step(
      "the first Ctrl-C reaches the sandbox's process, which ends its own way",
      async () => {
        const child = spawnCli([
          "run",
          "-D",
          "-s",
          "--",
          'trap "echo got-int; exit 3" INT; echo started; sleep 60 & wait',
        ], { env });
        const reader = child.stdout.getReader();
        let seen = await readUntil(reader, "started\n");
        child.kill("SIGINT");
        seen += await readUntil(reader);
        const { code } = await child.status;
        await child.stderr.cancel();
        assertEquals([code, seen], [3, "started\ngot-int\n"]);
      },
    );

    await t.step("the first Ctrl-C stops a command that has no handler for it", async () => {
      // `sleep` was the container's PID 1, which the kernel shields: it slept on to its end.
      const child = spawnCli(["run", "-D", "--", "sh", "-c", "echo started; exec sleep 60"], {
        env,
      });
      const reader = child.stdout.getReader();
      await readUntil(reader, "started\n");
      const sent = Date.now();
      child.kill("SIGINT");
      await readUntil(reader);
      const { code } = await child.status;
      await child.stderr.cancel();
      assertEquals(code, 130);
      assert(Date.now() - sent < 30_000, "interrupted, not slept to its end");
    });

    await t.step("cp of a link to a directory copies the directory, under DEST", async () => {
      const made = await cli([
        "run",
        "-s",
        "--",
        "mkdir -p /d/sub && echo x > /d/sub/f && chmod 755 /d/sub && ln -s sub /d/dirlink" +
        " && ln -s /d/sub/f /d/sub/abs && ln -s /d/dirlink/f /d/sub/vialink && ln -s loop /d/loop" +
        " && mkdir '/d/symbolic link notes'",
      ]);
      assertEquals(made.code, 0, made.stderr);
      // A link loop is said as one (was: "not a regular file", pointing to ls and cp).
      const loop = await cli(["cat", "/d/loop"]);
      assertEquals(
        [loop.code, loop.stderr],
        [1, "[ERROR] cat: too many levels of symbolic links: /d/loop\n"],
      );
      // A directory whose name holds the words is a directory still.
      const named = await cli(["cat", "/d/symbolic link notes"]);
      assertStringIncludes(named.stderr, "not a regular file (list directories with `contree ls`");
      for (const source of ["/d/dirlink", "/d/dirlink/"]) {
        const target = `${home}/via-link-${source.length}`;
        const copied = await cli(["cp", source, target]);
        assertEquals(copied.code, 0, copied.stderr);
        // Was target/sub/f under a 0700 top directory.
        assertEquals(await Deno.readTextFile(`${target}/f`), "x\n", source);
        assertEquals((await Deno.stat(target)).mode! & 0o777, 0o755, source);
        // An absolute link inside the directory stays, made relative (was: skipped as leading
        // outside the copy, which was measured from the link's path).
        assertEquals(await Deno.readLink(`${target}/abs`), "f", source);
        // One that names the directory through the link is kept as well (was: skipped, once the
        // copy's root had become the link's target).
        assertEquals(await Deno.readLink(`${target}/vialink`), "f", source);
        assert(!copied.stderr.includes("Skipped"), copied.stderr);
      }
      const root = `${home}/whole-root`;
      assertEquals((await cli(["cp", "/", root])).code, 0);
      assertEquals((await Deno.stat(root)).mode! & 0o777, 0o755, "the image root's mode");
      assertEquals(await Deno.readTextFile(`${root}/d/sub/f`), "x\n");
    });

    await t.step("session env and cwd apply to runs", async () => {
      assertEquals((await cli(["env", "GREETING=hello world"])).code, 0);
      assertEquals((await cli(["run", "-s", "--", "mkdir -p /work/dir"])).code, 0);
      const cd = await cli(["cd", "/work/dir"]);
      assertEquals(cd.code, 0, cd.stderr);
      const result = await cli(["run", "-D", "-s", "--", 'echo "$GREETING from $(pwd)"']);
      assertEquals(result.stdout, "hello world from /work/dir\n");
    });

    await t.step("references: show @-1, op wait HEAD~2, ps", async () => {
      const tip = await cli(["show", "@"]);
      assertEquals(tip.code, 1, "the tip is the `cd` entry, which has no operation");
      assertStringIncludes(tip.stderr, "has no operation UUID");
      const shown = lines((await cli(["-f", "json", "show", "@-1"])).stdout)[0];
      assertEquals([shown.status, shown.exit_code], ["SUCCESS", 0]);
      const waited = await cli(["-f", "json", "op", "wait", "HEAD~2"]);
      assertEquals(waited.code, 0, waited.stderr);
      assertEquals(lines(waited.stdout)[0].timed_out, false);
      const ps = await cli(["ps", "-a", "-q"]);
      assertStringIncludes(ps.stdout, shown.uuid);
    });
  } finally {
    await cleanup();
    await server.cleanup();
  }
});

podmanTest("CLI against the local server: a Dockerfile build whose files cat shows", async () => {
  const server = await startTestServer({ busybox: true });
  const { home, cleanup } = await tempHome();
  const context = await Deno.makeTempDir({ prefix: "contree-build-context-" });
  const env = { CONTREE_HOME: home, CONTREE_URL: server.url, CONTREE_TOKEN: server.token };
  try {
    await Deno.writeTextFile(`${context}/hello.txt`, "hello from the context\n");
    await Deno.writeTextFile(`${context}/ignored.log`, "never copied\n");
    await Deno.writeTextFile(`${context}/.dockerignore`, "*.log\n");
    await Deno.writeTextFile(
      `${context}/Dockerfile`,
      [
        "FROM busybox:test AS base",
        "RUN echo built > /built.txt",
        "FROM base",
        "WORKDIR /app",
        "COPY . /app/",
        'RUN ["sh", "-c", "echo step two; ls /app > /app/listing.txt"]',
      ].join("\n") + "\n",
    );
    const build = await runCli(["-f", "json", "build", "-t", "built:test", context], { env });
    assertEquals(build.code, 0, build.stderr);
    assertStringIncludes(build.stderr, "step two");
    const row = JSON.parse(build.stdout);
    assertEquals(row.tag, "built:test");
    const cat = (path: string) => runCli(["cat", "--image", "tag:built:test", path], { env });
    assertEquals((await cat("/built.txt")).stdout, "built\n");
    assertEquals((await cat("/app/hello.txt")).stdout, "hello from the context\n");
    assertEquals(
      (await cat("/app/listing.txt")).stdout,
      "Dockerfile\nhello.txt\nlisting.txt\n",
      "ignored.log left out",
    );

    const again = await runCli(["-f", "json", "build", "-t", "built:test", context], { env });
    assertEquals(again.code, 0, again.stderr);
    assertStringIncludes(again.stderr, "CACHED");
    assertEquals(JSON.parse(again.stdout).image, row.image, "the same tag: the same image");

    // Every step cached, another tag: the image carries built:test, and tagging it would take
    // that tag away (an image has one tag). Both names must keep working, as with docker build.
    const other = await runCli(["-f", "json", "build", "-t", "built:other", context], { env });
    assertEquals(other.code, 0, other.stderr);
    assertStringIncludes(
      other.stderr,
      "The image is tagged built:test (every step was cached): making a new one for the tag",
    );
    assert(JSON.parse(other.stdout).image !== row.image, other.stdout);
    assertEquals((await cat("/built.txt")).stdout, "built\n", "built:test still names an image");
    const otherCat = await runCli(["cat", "--image", "tag:built:other", "/app/listing.txt"], {
      env,
    });
    assertEquals(otherCat.stdout, "Dockerfile\nhello.txt\nlisting.txt\n", otherCat.stderr);
  } finally {
    await Deno.remove(context, { recursive: true });
    await cleanup();
    await server.cleanup();
  }
});

/** A local server with the busybox image, a home, and an empty build context for `fn`. */
async function withBuildContext(
  fn: (h: { context: string; env: Record<string, string> }) => Promise<void>,
): Promise<void> {
  const server = await startTestServer({ busybox: true });
  const { home, cleanup } = await tempHome();
  const context = await Deno.makeTempDir({ prefix: "contree-build-context-" });
  try {
    await fn({
      context,
      env: { CONTREE_HOME: home, CONTREE_URL: server.url, CONTREE_TOKEN: server.token },
    });
  } finally {
    await Deno.remove(context, { recursive: true });
    await cleanup();
    await server.cleanup();
  }
}

podmanTest(
  "CLI against the local server: a build keeps the modes and owners of the directories it copies",
  () =>
    withBuildContext(async ({ context, env }) => {
      await Deno.mkdir(`${context}/ctx/d700/sub750`, { recursive: true });
      await Deno.writeTextFile(`${context}/ctx/d700/sub750/f`, "f\n");
      await Deno.chmod(`${context}/ctx/d700`, 0o700);
      await Deno.chmod(`${context}/ctx/d700/sub750`, 0o750);
      // A tar whose directory belongs to 1234:4321, mode 0700.
      const tar = await Deno.makeTempDir({ prefix: "contree-build-tar-" });
      await Deno.mkdir(`${tar}/inner`, { mode: 0o700 });
      await Deno.writeTextFile(`${tar}/inner/x`, "x\n");
      const packed = await new Deno.Command("tar", {
        args: ["--owner=1234", "--group=4321", "-cf", `${context}/owned.tar`, "-C", tar, "inner"],
      }).output();
      await Deno.remove(tar, { recursive: true });
      assertEquals(packed.code, 0);
      await Deno.writeTextFile(
        `${context}/Dockerfile`,
        [
          "FROM busybox:test AS builder",
          "RUN mkdir -p /out/private /out/shared && echo t > /out/shared/t && echo s > /out/private/s" +
          " && chown -R 1000:1001 /out/shared && chmod 700 /out/private",
          "FROM busybox:test",
          "COPY ctx/ /fromctx/",
          "COPY --from=builder /out /fromstage",
          "ADD owned.tar /o/",
          "RUN stat -c '%n %u:%g %a' /fromctx/d700 /fromctx/d700/sub750 /fromstage/private " +
          "/fromstage/shared /o/inner",
        ].join("\n") + "\n",
      );
      const build = await runCli(["build", context], { env });
      assertEquals(build.code, 0, build.stderr);
      // Were all root's, 0755: podman makes the directories of the files it injects.
      assertEquals(build.stdout.split("\n").filter((line) => line.startsWith("/")), [
        "/fromctx/d700 0:0 700",
        "/fromctx/d700/sub750 0:0 750",
        "/fromstage/private 0:0 700",
        "/fromstage/shared 1000:1001 755",
        "/o/inner 1234:4321 700",
      ]);
    }),
);

podmanTest(
  "CLI against the local server: COPY --chown and WORKDIR under a USER give the directories they create to their owner",
  () =>
    withBuildContext(async ({ context, env }) => {
      await Deno.mkdir(`${context}/src/sub`, { recursive: true });
      await Deno.writeTextFile(`${context}/src/a`, "a\n");
      await Deno.writeTextFile(`${context}/src/sub/b`, "b\n");
      await Deno.writeTextFile(
        `${context}/Dockerfile`,
        [
          "FROM busybox:test",
          "RUN echo app:x:1234:1234::/app:/bin/sh >> /etc/passwd && echo app:x:1234: >> /etc/group" +
          " && mkdir /srv && chown 7:7 /srv",
          "COPY --chown=app:app src/ /app/",
          "COPY --chown=app src/a /srv/deep/a",
          "COPY src/sub/b /srv/deep/plain/b",
          "USER app",
          // Made as the USER in effect, as BuildKit's WORKDIR does (was root's once the
          // landing step made it).
          "WORKDIR /srv/work/here",
          "COPY src/a ./",
          // The usual pattern: the app user writes into what it was given.
          "RUN touch /app/new /app/sub/new . && stat -c '%n %u:%g' /app /app/sub /app/a /srv " +
          "/srv/deep /srv/deep/plain /srv/work /srv/work/here",
        ].join("\n") + "\n",
      );
      const build = await runCli(["build", context], { env });
      assertEquals(build.code, 0, build.stderr);
      assertEquals(
        build.stdout.split("\n").filter((line) => line.startsWith("/")),
        [
          "/app 1234:1234",
          "/app/sub 1234:1234",
          "/app/a 1234:1234",
          "/srv 7:7", // existed: keeps its owner
          "/srv/deep 1234:1234",
          "/srv/deep/plain 0:0", // made by a COPY without --chown
          "/srv/work 1234:1234",
          "/srv/work/here 1234:1234",
        ],
      );
    }),
);

podmanTest(
  "CLI against the local server: WORKDIRs as Docker makes them, and a tag never taken from the base",
  () =>
    withBuildContext(async ({ context, env }) => {
      await Deno.writeTextFile(`${context}/f`, "f\n");
      await Deno.mkdir(`${context}/x`);
      await Deno.writeTextFile(`${context}/x/y`, "y\n");
      await Deno.mkdir(`${context}/a`);
      await Deno.writeTextFile(`${context}/a/keep`, "k\n");
      const build = async (name: string, lines: string[], ...more: string[]) => {
        await Deno.writeTextFile(`${context}/${name}`, lines.join("\n") + "\n");
        return await runCli(["build", "-f", `${context}/${name}`, ...more, context], { env });
      };
      const paths = (stdout: string) => stdout.split("\n").filter((line) => line.startsWith("/"));
      // A file to a WORKDIR no step has made yet goes in it. Was: podman cp "file exists".
      const into = await build("D1", [
        "FROM busybox:test",
        "WORKDIR /app",
        "COPY f /app",
        "RUN find /app",
      ]);
      assertEquals([into.code, paths(into.stdout)], [0, ["/app", "/app/f"]], into.stderr);
      // The same where only the stage's last landing makes it. Was: "D2:0: RUN failed".
      const landed = await build("D2", ["FROM busybox:test", "WORKDIR /w", "COPY f /w"]);
      assertEquals(landed.code, 0, landed.stderr);
      // A WORKDIR made as root stays root's when a USER follows. Were all 65534's.
      const owned = await build("D3", [
        "FROM busybox:test",
        "WORKDIR /data",
        "USER nobody",
        "RUN stat -c '%n %u' /data; touch /data/x 2>/dev/null || echo /refused",
        "USER root",
        "WORKDIR /app",
        "COPY f .",
        "USER nobody",
        "WORKDIR /app/n",
        "RUN stat -c '%n %u' /app /app/f /app/n",
      ]);
      assertEquals(owned.code, 0, owned.stderr);
      assertEquals(paths(owned.stdout), [
        "/data 0",
        "/refused",
        "/app 0",
        "/app/f 0",
        "/app/n 65534",
      ]);
      // An excluded directory that no exception brings back is not there. Was: 0 files copied.
      await Deno.writeTextFile(`${context}/.dockerignore`, "x\n!a/keep\n");
      const ignored = await build("D4", ["FROM busybox:test", "COPY x /c/", "RUN find /c"]);
      assertEquals(ignored.code, 1, ignored.stderr);
      assertStringIncludes(ignored.stderr, "D4:2: 'x' not found in the build context");
      // An exception that brings back only an empty directory: it is there, and not copied.
      await Deno.mkdir(`${context}/d5/keepdir`, { recursive: true });
      await Deno.writeTextFile(`${context}/.dockerignore`, "d5\n!d5/keepdir\n");
      const kept = await build("D4b", ["FROM busybox:test", "COPY d5 /d5/", "RUN true"]);
      assertEquals(kept.code, 0, kept.stderr);
      assertStringIncludes(kept.stderr, "d5/keepdir/ (empty directory)");
      await Deno.remove(`${context}/.dockerignore`);
      // No step makes an image: the tag goes to a new one, the base keeps its own.
      const config = await build("D5", ["FROM busybox:test", 'CMD ["sh"]'], "-t", "cfg");
      assertEquals(config.code, 0, config.stderr);
      const images = await runCli(["-f", "json", "images"], { env });
      const tags = images.stdout.trim().split("\n").map((line) => JSON.parse(line).tag);
      assert(tags.includes("busybox:test") && tags.includes("cfg:latest"), images.stdout);
      // An unknown image UUID is the FROM line's error (was the first RUN's, or none).
      const unknown = await build("D6", [
        "FROM 00000000-0000-4000-8000-000000000000",
        "RUN true",
      ]);
      assertEquals(unknown.code, 1);
      assertStringIncludes(
        unknown.stderr,
        "D6:1: image not found: 00000000-0000-4000-8000-000000000000",
      );
    }),
);

podmanTest(
  "CLI: a file uploaded to a server that is gone is uploaded again to the next one",
  async () => {
    const { home, cleanup } = await tempHome();
    const file = `${home}/payload.txt`;
    await Deno.writeTextFile(file, "payload\n");
    const other = `${home}/other.txt`;
    await Deno.writeTextFile(other, "other\n");
    const first = await startTestServer({ busybox: true });
    let second: Awaited<ReturnType<typeof startTestServer>> | undefined;
    try {
      const runFile = async (server: typeof first, ...more: string[]) => {
        const env = apiEnv(server, home, "again");
        assertEquals((await runCli(["use", server.busybox], { env })).code, 0);
        const args = [
          "run",
          "-D",
          "-F",
          `${file}:/root/p.txt`,
          ...more,
          "--",
          "cat",
          "/root/p.txt",
        ];
        return await runCli(args, { env });
      };
      const once = await runFile(first, "-F", `${other}:/root/o.txt`);
      assertEquals([once.code, once.stdout], [0, "payload\n"], once.stderr);
      await first.cleanup();
      // A new server under the same profile (a reset local server): the cached upload is unknown.
      second = await startTestServer({ busybox: true });
      const again = await runFile(second);
      // Was: exit 1, `API 400 Bad Request: file not found: <uuid>` until the file was touched.
      assertEquals([again.code, again.stdout], [0, "payload\n"], again.stderr);
      // Staged with `file cp`: the server is asked (it recorded the cached, unknown UUID).
      const env = apiEnv(second, home, "again");
      const staged = await runCli(["file", "cp", other, "/root/staged.txt"], { env });
      assertEquals(staged.code, 0, staged.stderr);
      const catStaged = await runCli(["run", "-D", "--", "cat", "/root/staged.txt"], { env });
      assertEquals([catStaged.code, catStaged.stdout], [0, "other\n"], catStaged.stderr);
    } finally {
      await first.cleanup().catch(() => {});
      await second?.cleanup();
      await cleanup();
    }
  },
);
