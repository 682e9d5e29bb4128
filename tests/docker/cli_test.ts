// `contree build` as a subprocess against a stateful fake API: the exact uploads and spawns of a
// multi-stage build, live output, the step cache, ignore files, errors and exit codes.

import type { InstanceSpawnRequest } from "../../src/api/models.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { readUntil, runCli } from "../support/cli.ts";
import { runEvents } from "../support/fake_events.ts";
import {
  BASE,
  fileUuid,
  makeContext,
  opUuid,
  resultUuid,
  sha256,
  tarOf,
  withFake,
} from "../support/fake_contree.ts";

const MULTI_STAGE = `# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM \${BASE} AS build
ENV GREETING="hello world" \\
    OUT=/out
WORKDIR /src
COPY app.sh lib/ ./
RUN sh app.sh > $OUT/result.txt
RUN ["make", "-j2"]

FROM busybox
COPY --from=build /out/result.txt /srv/
COPY conf/ /etc/app/
ENV PORT=8080
USER 1000:1000
RUN cat /srv/result.txt
CMD ["sh"]
`;

async function multiStageContext(): Promise<string> {
  const dir = await makeContext({
    "Dockerfile": MULTI_STAGE,
    "app.sh": "echo app\n",
    "lib/util.sh": "util() { :; }\n",
    "conf/app.conf": "port=8080\n",
    "README.md": "not copied\n",
  });
  await Deno.chmod(`${dir}/app.sh`, 0o755);
  return dir;
}

function withoutVolatile(spawn: InstanceSpawnRequest): Record<string, unknown> {
  const { hostname: _h, truncate_output_at: _t, disposable: _d, ...rest } = spawn;
  return rest;
}

Deno.test("build: a multi-stage Dockerfile makes exactly these uploads and spawns", () =>
  withFake(async ({ fake, build }) => {
    const dir = await multiStageContext();
    fake.archives.set("*:/out/result.txt", tarOf([{ name: "result.txt", content: "built\n" }]));
    try {
      const result = await build(["-f", "Dockerfile", "-t", "demo", "--timeout", "300", "."], dir);
      assertEquals(result.code, 0, result.stderr);
      assertEquals(fake.sequence(), [
        "upload echo app\n",
        "upload util() { :; }\n",
        `spawn ${BASE} sh app.sh > $OUT/result.txt`,
        `spawn ${resultUuid(0)} make`,
        "upload built\n",
        "upload port=8080\n",
        `spawn ${BASE} cat /srv/result.txt`,
      ]);
      const file = (text: string, mode = "0644", uid = 0, gid = 0) => ({
        uuid: fileUuid(sha256(text)),
        uid,
        gid,
        mode,
      });
      assertEquals(fake.spawns.map(withoutVolatile), [
        {
          command: "sh app.sh > $OUT/result.txt",
          shell: true,
          image: BASE,
          timeout: 300,
          cwd: "/src",
          env: { GREETING: "hello world", OUT: "/out" },
          files: {
            "/src/app.sh": file("echo app\n", "0755"),
            "/src/util.sh": file("util() { :; }\n"),
          },
          networking: { enabled: true },
        },
        {
          command: "make",
          args: ["-j2"],
          shell: false,
          image: resultUuid(0),
          timeout: 300,
          cwd: "/src",
          env: { GREETING: "hello world", OUT: "/out" },
          networking: { enabled: true },
        },
        {
          command: "cat /srv/result.txt",
          shell: true,
          image: BASE,
          timeout: 300,
          cwd: "/",
          env: { PORT: "8080" },
          uid: 1000,
          gid: 1000,
          files: {
            "/srv/result.txt": file("built\n"),
            "/etc/app/app.conf": file("port=8080\n"),
          },
          networking: { enabled: true },
        },
      ]);
      // RUN output on stdout, in order; then the result row.
      assertEquals(
        result.stdout.split("\n").filter((l) => l.startsWith("ran: ")),
        ["ran: sh app.sh > $OUT/result.txt", "ran: make", "ran: cat /srv/result.txt"],
      );
      assertStringIncludes(result.stdout, resultUuid(2));
      assertStringIncludes(result.stdout, "demo:latest");
      assertStringIncludes(result.stderr, "[INFO] Step 1/13: FROM ${BASE} AS build");
      assertStringIncludes(result.stderr, "[INFO] Step 5/13: RUN sh app.sh > $OUT/result.txt");
      assertStringIncludes(result.stderr, "Dockerfile:17: CMD is not applied");
      assertStringIncludes(
        result.stderr,
        "[INFO] ENV, USER applied to this build's RUN steps only: ConTree images carry no image " +
          "configuration",
      );
      assertEquals(fake.tagged, [{ image: resultUuid(2), tag: "demo:latest" }]);
      assertEquals(fake.api.calls("GET", `/v1/inspect/${resultUuid(1)}/archive`).length, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: a second build hits the step cache (no uploads, no spawns); --no-cache runs again", () =>
  withFake(async ({ fake, env, build }) => {
    const dir = await multiStageContext();
    fake.archives.set("*:/out/result.txt", tarOf([{ name: "result.txt", content: "built\n" }]));
    try {
      const first = await build(["-f", "Dockerfile", "."], dir);
      assertEquals(first.code, 0, first.stderr);
      const requests = fake.sequence().length;

      const second = await runCli(["-f", "json", "build", "."], { env, cwd: dir });
      assertEquals(second.code, 0, second.stderr);
      assertEquals(fake.sequence().length, requests, "no uploads and no spawns");
      assertEquals(fake.api.calls("GET", `/v1/inspect/${resultUuid(1)}/archive`).length, 1);
      assertStringIncludes(
        second.stderr,
        `[INFO] CACHED: RUN sh app.sh > $OUT/result.txt -> ${resultUuid(0)}`,
      );
      assertStringIncludes(
        second.stderr,
        `[INFO] CACHED: RUN cat /srv/result.txt -> ${resultUuid(2)}`,
      );
      const row = JSON.parse(second.stdout);
      assertEquals(row.image, resultUuid(2));
      assert(/^build:[0-9a-f]{16}$/.test(row.session), row.session);

      // The build session's history: FROM, then the three executed RUN steps.
      const history = await runCli(["-S", row.session, "-f", "json", "session", "show"], {
        env,
      });
      const entries = history.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assertEquals(
        entries.map((e) => [e.kind, e.title]),
        [
          ["use", "FROM ${BASE} AS build"],
          ["run", "RUN sh app.sh > $OUT/result.txt"],
          ["run", 'RUN ["make", "-j2"]'],
          ["run", "RUN cat /srv/result.txt"],
        ],
      );

      const again = await build(["--no-cache", "."], dir);
      assertEquals(again.code, 0, again.stderr);
      assertEquals(fake.spawns.length, 6, "every RUN ran again");
      assert(!again.stderr.includes("CACHED: RUN"), again.stderr);
      // Local files were already uploaded: the upload cache still applies.
      assertEquals(fake.uploads.length, 4);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: a changed context file misses the cache from the step that uses it", () =>
  withFake(async ({ fake, build }) => {
    const dir = await makeContext({
      "Dockerfile": "FROM busybox\nRUN echo one\nCOPY a.txt /a.txt\nRUN cat /a.txt\n",
      "a.txt": "v1\n",
    });
    try {
      assertEquals((await build(["."], dir)).code, 0);
      assertEquals(fake.spawns.length, 2);
      await Deno.writeTextFile(`${dir}/a.txt`, "v2 with another size\n");
      const second = await build(["."], dir);
      assertEquals(second.code, 0, second.stderr);
      assertStringIncludes(second.stderr, `CACHED: RUN echo one -> ${resultUuid(0)}`);
      assert(!second.stderr.includes("build's RUN steps only"), "no ENV, WORKDIR or USER: no note");
      assertEquals(fake.spawns.length, 3);
      assertEquals(fake.spawns[2].image, resultUuid(0));
      assertEquals(
        fake.spawns[2].files?.["/a.txt"].uuid,
        fileUuid(sha256("v2 with another size\n")),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: files staged at the end land in a step titled by what it lands", () =>
  withFake(async ({ build }) => {
    const dir = await makeContext({
      "Dockerfile": "FROM busybox\nCOPY a.txt b.txt /srv/\n",
      "a.txt": "a\n",
      "b.txt": "b\n",
    });
    try {
      assertEquals((await build(["."], dir)).code, 0);
      const again = await build(["."], dir);
      assertEquals(again.code, 0, again.stderr);
      // Was: "CACHED: : (staged files) -> …", the no-op's `:` in the history too.
      assertStringIncludes(again.stderr, `CACHED: land 2 staged file(s) -> ${resultUuid(0)}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: RUN output reaches stdout while the server still holds the next frame", () =>
  withFake(async ({ fake, spawnBuild }) => {
    const dir = await makeContext({
      "Dockerfile": "FROM busybox\nRUN echo first; sleep 1; echo second\n",
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let secondSent = false;
    fake.onSpawn = () => ({
      steps: (_op, image) => {
        const events = runEvents(
          [{ stream: "stdout", bytes: "first\n" }, { stream: "stdout", bytes: "second\n" }],
        ).map((e) =>
          e.type === "completion" ? { ...e, data: { ...e.data, result_image_uuid: image } } : e
        );
        return [
          ...events.slice(0, 3).map((frame) => ({ frame })),
          { waitFor: released },
          { signal: () => (secondSent = true) },
          ...events.slice(3).map((frame) => ({ frame })),
        ];
      },
    });
    try {
      const child = spawnBuild(["."], dir);
      const reader = child.stdout.getReader();
      let seen = await readUntil(reader, "first\n");
      assertEquals(seen, "first\n");
      assert(!secondSent, "the first line was printed before the server sent the second");
      release();
      seen += await readUntil(reader, "second\n");
      assertEquals(seen, "first\nsecond\n");
      reader.releaseLock();
      const status = await child.status;
      await child.stdout.cancel();
      await child.stderr.cancel();
      assertEquals(status.code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: a failing RUN stops the build with its exit code and names the line", () =>
  withFake(async ({ fake, build }) => {
    const dir = await makeContext({
      "Dockerfile":
        "FROM busybox\nRUN echo ok\n\nRUN sh -c 'echo boom >&2; exit 7'\nRUN echo never\n",
    });
    fake.onSpawn = (request, index) =>
      index === 1 ? { chunks: [{ stream: "stderr", bytes: "boom\n" }], exit: 7 } : {
        chunks: [{ stream: "stdout", bytes: `ran: ${request.command}\n` }],
      };
    try {
      const result = await build(["."], dir);
      assertEquals(result.code, 7);
      assertStringIncludes(result.stderr, "boom\n");
      assertStringIncludes(result.stderr, "[ERROR] Dockerfile:4: RUN failed with exit code 7");
      assertEquals(fake.spawns.length, 2);
      assertEquals(fake.tagged, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: malformed Dockerfiles are refused with their line, before any request", async () => {
  const cases: [string, string][] = [
    ["FROM busybox\nFORM x\n", "Dockerfile:2: unknown instruction 'FORM'"],
    [
      "RUN echo hi\nFROM busybox\n",
      "Dockerfile:1: RUN before the first FROM (only ARG may precede FROM)",
    ],
    ["# just a comment\n", "Dockerfile must contain a FROM directive"],
    ["FROM busybox\nRUN\n", "Dockerfile:2: RUN requires at least one argument"],
    ["FROM busybox as\n", "Dockerfile:1: FROM requires either one or three arguments"],
    ["FROM busybox\n\nRUN <<EOF\necho hi\n", "Dockerfile:3: unterminated heredoc <<EOF"],
    ["FROM busybox\nCOPY --bogus=1 a /b\n", "Dockerfile:2: COPY does not support the flag --bogus"],
    ["FROM busybox AS a\nFROM busybox AS A\n", "Dockerfile:2: duplicate stage name 'a'"],
    [
      "FROM busybox\nSHELL /bin/bash -c\n",
      "Dockerfile:2: SHELL requires the arguments in JSON form",
    ],
    ["# escape=x\nFROM busybox\n", "Dockerfile:1: invalid escape character 'x'"],
  ];
  await withFake(async ({ fake, build }) => {
    for (const [text, message] of cases) {
      const dir = await makeContext({ "Dockerfile": text });
      try {
        const result = await build(["."], dir);
        assertEquals(result.code, 1, text);
        assertStringIncludes(result.stderr, `[ERROR] ${message}`, text);
        assertEquals(result.stdout, "");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
    assertEquals(fake.api.requests.length, 0);
  });
});

Deno.test("build: -t is checked before any request: one tag, a valid one (exit 2)", () =>
  withFake(async ({ fake, build }) => {
    const dir = await makeContext({ "Dockerfile": "FROM busybox\nRUN true\n" });
    try {
      const cases: [string[], string][] = [
        [["-t", "first", "-t", "second:v2"], "an image has one tag in ConTree"],
        [["-t", "Bad Tag!"], '-t "Bad Tag!:latest": not a tag'],
        [["-t", "x:"], '-t "x:": not a tag'],
        [["-t", ""], '-t ":latest": not a tag'],
      ];
      for (const [args, message] of cases) {
        const result = await build([...args, "."], dir);
        assertEquals([result.code, result.stdout], [2, ""], args.join(" "));
        assertStringIncludes(result.stderr, `[ERROR] ${message}`, args.join(" "));
      }
      assertEquals(fake.api.requests.length, 0, "nothing was built");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: substitution errors, missing sources and a missing context name the problem", () =>
  withFake(async ({ fake, build }) => {
    const dir = await makeContext({
      "Dockerfile": 'FROM busybox\nENV A="${B:?must be set}"\n',
      "other.Dockerfile": "FROM busybox\nCOPY missing.txt /x\n",
    });
    try {
      const unset = await build(["."], dir);
      assertEquals(unset.code, 1);
      assertStringIncludes(unset.stderr, "[ERROR] Dockerfile:2: B: must be set");
      const missing = await build(["-f", "other.Dockerfile", "."], dir);
      assertEquals(missing.code, 1);
      assertStringIncludes(
        missing.stderr,
        "[ERROR] other.Dockerfile:2: 'missing.txt' not found in the build context",
      );
      const noContext = await build(["nowhere"], dir);
      assertEquals(noContext.code, 1);
      assertStringIncludes(noContext.stderr, "[ERROR] context nowhere is not a directory");
      const badArg = await build(["--build-arg", "=x", "."], dir);
      assertEquals(badArg.code, 1);
      assertStringIncludes(badArg.stderr, "--build-arg expected KEY=VALUE, got '=x'");
      assertEquals(fake.spawns.length, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: .dockerignore rules decide what COPY . sends", () =>
  withFake(async ({ fake, build }) => {
    const dir = await makeContext({
      "Dockerfile": "FROM busybox\nCOPY . /app/\nRUN ls -R /app\n",
      ".dockerignore": "# comment\n*.md\ndocs\n!docs/keep.md\n/secret/\n**/*.log\nDockerfile\n",
      "a.txt": "a\n",
      "b.md": "b\n",
      "sub/c.md": "nested md stays (patterns are anchored)\n",
      "docs/x.md": "x\n",
      "docs/keep.md": "keep\n",
      "secret/key": "k\n",
      "deep/er/trace.log": "log\n",
      "deep/er/data.bin": "d\n",
    });
    try {
      const result = await build(["."], dir);
      assertEquals(result.code, 0, result.stderr);
      assertEquals(Object.keys(fake.spawns[0].files ?? {}).sort(), [
        "/app/.dockerignore",
        "/app/a.txt",
        "/app/deep/er/data.bin",
        "/app/docs/keep.md",
        "/app/sub/c.md",
      ]);
      // An excluded file does not exist for COPY.
      await Deno.writeTextFile(`${dir}/Dockerfile`, "FROM busybox\nCOPY b.md /b.md\n");
      const excluded = await build(["."], dir);
      assertEquals(excluded.code, 1);
      assertStringIncludes(
        excluded.stderr,
        "Dockerfile:2: 'b.md' not found in the build context (or excluded by the ignore file)",
      );
      // A wildcard matches an excluded directory that an exception brings files back to, as
      // the same path written out does (it matched nothing: the excluded name was not listed).
      await Deno.writeTextFile(`${dir}/Dockerfile`, "FROM busybox\nCOPY do* /w/\nRUN true\n");
      const wildcard = await build(["."], dir);
      assertEquals(wildcard.code, 0, wildcard.stderr);
      assertEquals(Object.keys(fake.spawns.at(-1)?.files ?? {}), ["/w/keep.md"]);
      // .containerignore wins over .dockerignore.
      await Deno.writeTextFile(`${dir}/.containerignore`, "a.txt\n");
      await Deno.writeTextFile(
        `${dir}/Dockerfile`,
        "FROM busybox\nCOPY b.md *.txt /x/\nRUN true\n",
      );
      const container = await build(["."], dir);
      assertEquals(container.code, 0, container.stderr);
      // *.txt matches nothing left (a pattern may match nothing, as in BuildKit).
      assertEquals(Object.keys(fake.spawns.at(-1)?.files ?? {}), ["/x/b.md"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: ADD <url> uploads exactly the served bytes; a short body uploads nothing", async () => {
  const body = new Uint8Array(200_000);
  for (let at = 0; at < body.length; at += 50_000) {
    crypto.getRandomValues(body.subarray(at, at + 50_000));
  }
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/short/blob.bin") {
      // Content-Length promises more than is sent, then the connection ends.
      return new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(body.slice(0, 50_000));
            controller.close();
          },
        }),
        { headers: { "content-length": String(body.length) } },
      );
    }
    if (path !== "/files/blob.bin") return new Response("no", { status: 404 });
    return new Response(request.method === "HEAD" ? null : body, {
      headers: { "content-length": String(body.length), etag: '"v1"' },
    });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    await withFake(async ({ fake, build }) => {
      const dir = await makeContext({
        "Dockerfile":
          `FROM busybox\nADD ${base}/files/blob.bin /data/\nRUN sha256sum /data/blob.bin\n`,
      });
      try {
        const result = await build(["."], dir);
        assertEquals(result.code, 0, result.stderr);
        assertEquals(fake.uploads.length, 1);
        assertEquals(fake.uploads[0].sha256, sha256(body));
        assertEquals(fake.uploads[0].size, body.length);
        assertEquals(fake.spawns[0].files, {
          "/data/blob.bin": { uuid: fileUuid(sha256(body)), uid: 0, gid: 0, mode: "0600" },
        });
        // Again: HEAD validators match, nothing is downloaded or uploaded, the step is cached.
        const again = await build(["."], dir);
        assertEquals(again.code, 0, again.stderr);
        assertStringIncludes(again.stderr, "(HEAD validators match)");
        assertEquals(fake.uploads.length, 1);
        assertEquals(fake.spawns.length, 1);

        await Deno.writeTextFile(
          `${dir}/Dockerfile`,
          `FROM busybox\nADD ${base}/short/blob.bin /data/\nRUN true\n`,
        );
        const short = await build(["."], dir);
        assertEquals(short.code, 1);
        assertStringIncludes(
          short.stderr,
          "[ERROR] Dockerfile:2: ADD " + base + "/short/blob.bin: ",
        );
        assertStringIncludes(short.stderr, "nothing was uploaded");
        assertEquals(fake.uploads.length, 1, "the short body was not uploaded");
        assertEquals(fake.spawns.length, 1);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("build: --target builds only the stages it needs; FROM imports a missing image", () =>
  withFake(async ({ fake, build }) => {
    const dir = await makeContext({
      "Dockerfile": [
        "FROM alpine:3.19 AS base",
        "RUN echo base",
        "FROM busybox AS unused",
        "RUN echo unused",
        "FROM base AS final",
        "ARG VERSION=1",
        "RUN echo final $VERSION",
        "FROM busybox AS after",
        "RUN echo after",
        "",
      ].join("\n"),
    });
    try {
      const result = await build(["--target", "final", "--build-arg", "VERSION=2", "."], dir);
      assertEquals(result.code, 0, result.stderr);
      assertEquals(fake.imports, [{
        registry: { url: "docker://docker.io/library/alpine:3.19" },
        tag: "alpine:3.19",
        timeout: 600,
      }]);
      const imported = "1b1b1b1b-0000-4000-8000-000000000001";
      assertEquals(fake.spawns.map((s) => [s.image, s.command, s.env]), [
        [imported, "echo base", undefined],
        [resultUuid(0), "echo final $VERSION", { VERSION: "2" }],
      ]);
      assertStringIncludes(result.stderr, "Skipping stage unused: not needed for the target");
      // Stages after the target get the note too (they were passed over in silence).
      assertStringIncludes(result.stderr, "Skipping stage after: after the target");
      assertStringIncludes(result.stdout, resultUuid(1));
      assertEquals(fake.api.calls("DELETE", `/v1/operations/${opUuid(0)}`).length, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: USER names come from the image's passwd; RUN heredocs run as scripts", () =>
  withFake(async ({ fake, build }) => {
    fake.downloads.set(
      "*:/etc/passwd",
      "root:x:0:0::/root:/bin/sh\napp:x:1001:1002::/home/app:/bin/sh\n",
    );
    fake.downloads.set("*:/etc/group", "root:x:0:\nstaff:x:50:\n");
    const dir = await makeContext({
      "Dockerfile": [
        "FROM busybox",
        "USER app",
        "COPY --chown=app:staff --chmod=600 f.txt /home/app/",
        "RUN <<EOF",
        "echo one",
        "echo two",
        "EOF",
        "RUN <<EOF",
        "#!/usr/bin/env python3",
        "print('hi')",
        "EOF",
        "",
      ].join("\n"),
      "f.txt": "f\n",
    });
    try {
      const result = await build(["."], dir);
      assertEquals(result.code, 0, result.stderr);
      const [owning, first, second] = fake.spawns;
      // The directories the COPY creates are the --chown owner's (as BuildKit), set as root
      // in the step that lands the file.
      assertEquals([owning.command, owning.uid, owning.cwd, owning.env], [
        "mkdir -p -- /home /home/app && chown 1001:50 -- /home /home/app",
        undefined,
        "/",
        undefined,
      ]);
      assertEquals(owning.files?.["/home/app/f.txt"], {
        uuid: fileUuid(sha256("f\n")),
        uid: 1001,
        gid: 50,
        mode: "0600",
      });
      assertEquals([first.command, first.shell, first.uid, first.gid, first.files], [
        "echo one\necho two\n",
        true,
        1001,
        1002,
        undefined,
      ]);
      assertEquals([second.command, second.args, second.shell], [
        "/usr/bin/env",
        ["python3"],
        false,
      ]);
      assertEquals(
        new TextDecoder().decode(
          Uint8Array.from(atob(second.stdin!.value), (c) => c.charCodeAt(0)),
        ),
        "#!/usr/bin/env python3\nprint('hi')\n",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: a COPY source that is not there fails the build before any step runs", () =>
  withFake(async ({ fake, build }) => {
    const dir = await makeContext({
      "Dockerfile": "FROM busybox\nRUN echo slow\nCOPY a.txt mising.txt /x/\nCOPY $NAME /y\n",
      "a.txt": "a\n",
    });
    try {
      const result = await build(["."], dir);
      assertEquals(result.code, 1);
      assertStringIncludes(
        result.stderr,
        "Dockerfile:3: 'mising.txt' not found in the build context",
      );
      // Was: after the RUN before it (a slow one costs its time for nothing).
      assertEquals(fake.spawns.length, 0);
      assertEquals(result.stderr.includes("Step 1/"), false, result.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: a WORKDIR no RUN used is made all the same, as Docker makes it", () =>
  withFake(async ({ fake, build }) => {
    const dir = await makeContext({
      "Dockerfile": "FROM busybox\nWORKDIR /r0\nWORKDIR /r0/in\nWORKDIR /r1\nRUN true\n",
    });
    try {
      const result = await build(["."], dir);
      assertEquals(result.code, 0, result.stderr);
      // Was: only /r1 (the RUN's cwd) existed. /r0 is made by making /r0/in.
      assertEquals(fake.spawns.map((s) => [s.command, s.cwd]), [
        ["mkdir -p -- /r0 /r0/in", "/"],
        ["true", "/r1"],
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: output without a final newline is ended before the next line", () =>
  withFake(async ({ fake, build }) => {
    const dir = await makeContext({
      "Dockerfile": "FROM busybox\nRUN printf a\nRUN printf b >&2\n",
    });
    fake.onSpawn = (request) => ({
      chunks: [{
        stream: request.command.includes(">&2") ? "stderr" : "stdout",
        bytes: request.command.includes(">&2") ? "b" : "a",
      }],
    });
    try {
      const result = await build(["."], dir);
      assertEquals(result.code, 0, result.stderr);
      // Was "aIMAGE  TAG …" and "b[INFO] …": the table and the log joined the output's line.
      assertEquals(result.stdout.split("\n")[0], "a");
      assert(/^IMAGE +TAG/.test(result.stdout.split("\n")[1]), result.stdout);
      assertEquals(result.stderr.split("\n").includes("b"), true, result.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: files staged after the last RUN are landed by a final spawn", () =>
  withFake(async ({ fake, build }) => {
    const dir = await makeContext({
      "Dockerfile": "FROM busybox\nRUN echo hi\nWORKDIR /app\nCOPY a.txt .\n",
      "a.txt": "a\n",
    });
    try {
      const result = await build(["."], dir);
      assertEquals(result.code, 0, result.stderr);
      assertEquals(fake.spawns.length, 2);
      const last = fake.spawns[1];
      assertEquals([last.image, last.command, last.shell, last.cwd], [
        resultUuid(0),
        "mkdir -p /app",
        true,
        "/",
      ]);
      assertEquals(Object.keys(last.files ?? {}), ["/app/a.txt"]);
      assertStringIncludes(result.stdout, resultUuid(1));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: COPY of one file to an existing directory puts it inside, as Docker", () =>
  withFake(async ({ fake, build }) => {
    // The base image has /usr/local/bin; /opt/new does not exist; /staged gets files first.
    fake.api.on(
      "GET",
      "/v1/inspect/:uuid/list",
      (request) =>
        request.query.get("path") === "/usr/local"
          ? { json: { path: "/usr/local", files: [{ path: "bin", is_dir: true }] } }
          : { status: 404, json: { error: "no such directory" } },
    );
    const dir = await makeContext({
      "Dockerfile": [
        "FROM busybox",
        "COPY app.sh /usr/local/bin",
        "COPY app.sh /opt/new",
        "COPY a.txt /staged/",
        "COPY app.sh /staged",
        "RUN true",
        "",
      ].join("\n"),
      "app.sh": "echo app\n",
      "a.txt": "a\n",
    });
    try {
      const result = await build(["."], dir);
      assertEquals(result.code, 0, result.stderr);
      assertEquals(Object.keys(fake.spawns[0].files ?? {}).sort(), [
        "/opt/new",
        "/staged/a.txt",
        "/staged/app.sh",
        "/usr/local/bin/app.sh",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: $PATH in ENV extends the sandbox's PATH; the automatic platform ARGs are set", () =>
  withFake(async ({ fake, build }) => {
    const dir = await makeContext({
      "Dockerfile": [
        "ARG TARGETARCH",
        "FROM busybox",
        'ENV PATH="/opt/venv/bin:$PATH"',
        "ARG TARGETARCH",
        "ARG TARGETPLATFORM",
        "RUN echo tool-${TARGETARCH}.tgz $TARGETPLATFORM",
        "",
      ].join("\n"),
    });
    try {
      const result = await build(["."], dir);
      assertEquals(result.code, 0, result.stderr);
      const arch = { x86_64: "amd64", aarch64: "arm64" }[Deno.build.arch as string] ??
        Deno.build.arch;
      // Was PATH=/opt/venv/bin: (every later RUN lost /usr/bin), and empty platform ARGs.
      assertEquals(
        fake.spawns[0].env?.PATH,
        "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      );
      // The RUN's shell expands them from its environment, as in Docker.
      assertEquals(
        [fake.spawns[0].env?.TARGETARCH, fake.spawns[0].env?.TARGETPLATFORM],
        [arch, `linux/${arch}`],
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: -f - reads the Dockerfile from stdin, as docker build", () =>
  withFake(async ({ fake, env }) => {
    const dir = await makeContext({ "app.sh": "echo app\n" });
    try {
      // Was "Dockerfile - not found".
      const result = await runCli(["build", "-f", "-", "."], {
        env,
        cwd: dir,
        stdin: "FROM busybox\nCOPY app.sh /app.sh\nRUN sh /app.sh\n",
      });
      assertEquals(result.code, 0, result.stderr);
      assertEquals(Object.keys(fake.spawns[0].files ?? {}), ["/app.sh"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("build: ADD extracts a local tar.gz; COPY --from an image; --network none", () =>
  withFake(async ({ fake, build }) => {
    const tar = tarOf([
      { name: "pkg", mode: 0o755 },
      { name: "pkg/bin/tool", content: "#!/bin/sh\n", mode: 0o755 },
      { name: "pkg/README", content: "readme\n" },
    ]);
    const gz = new Uint8Array(
      await new Response(
        new Blob([tar as BlobPart]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    fake.tags.set("tools:1", "700105aa-0000-4000-8000-000000000001");
    fake.archives.set(
      "700105aa-0000-4000-8000-000000000001:/usr/local/bin",
      tarOf([
        { name: "bin", mode: 0o755 },
        { name: "bin/jq", content: "jq\n", mode: 0o755, uid: 3, gid: 4 },
        { name: "bin/yq", link: "jq" },
      ]),
    );
    const dir = await makeContext({
      "Dockerfile": [
        "FROM busybox",
        "ADD pkg.tar.gz /opt/",
        "COPY --from=tools:1 /usr/local/bin /usr/local/bin",
        "RUN --network=none true",
        "RUN tool",
        "",
      ].join("\n"),
    });
    await Deno.writeFile(`${dir}/pkg.tar.gz`, gz);
    try {
      const result = await build(["--network", "default", "."], dir);
      assertEquals(result.code, 0, result.stderr);
      const files = fake.spawns[0].files ?? {};
      assertEquals(Object.keys(files).sort(), [
        "/opt/pkg/README",
        "/opt/pkg/bin/tool",
        "/usr/local/bin/jq",
      ]);
      assertEquals(files["/opt/pkg/bin/tool"].mode, "0755");
      assertEquals([files["/usr/local/bin/jq"].uid, files["/usr/local/bin/jq"].gid], [3, 4]);
      assertStringIncludes(result.stderr, "bin/yq (symlink)");
      assertEquals(fake.spawns.map((s) => s.networking), [{ enabled: false }, { enabled: true }]);

      const none = await build(["--network", "none", "--no-cache", "."], dir);
      assertEquals(none.code, 0, none.stderr);
      assertEquals(fake.spawns.slice(2).map((s) => s.networking), [
        { enabled: false },
        { enabled: false },
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));
