// The server against bad input, as an attacker would send it (issue 16): bodies over the limit,
// NUL bytes, absurd time filters, file modes of an existing home, env values at rest, and what
// an error may show. No container runs here (images are database rows), so no podman is needed.

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { addImageRow, startTestServer, type TestServer, waitOperation } from "../support/server.ts";
import { MAX_ARGUMENT_BYTES } from "../../src/server/spawn.ts";

async function withServer(
  options: Parameters<typeof startTestServer>[0],
  fn: (s: TestServer) => Promise<void>,
): Promise<void> {
  const s = await startTestServer(options);
  try {
    await fn(s);
  } finally {
    await s.cleanup();
  }
}

/**
 * Sends `POST path` over a raw connection: the headers, then 1 MiB chunks of `{"x":"…` until
 * `total` bytes are sent or the server has answered. Returns the status line and how many body
 * bytes were sent by then.
 */
async function postHuge(
  url: string,
  token: string,
  path: string,
  total: number,
  framing: "length" | "chunked",
): Promise<{ status: string; sent: number }> {
  const { hostname, port } = new URL(url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  const encoder = new TextEncoder();
  const head = [
    `POST ${path} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    `Authorization: Bearer ${token}`,
    "Content-Type: application/json",
    framing === "length" ? `Content-Length: ${total}` : "Transfer-Encoding: chunked",
    "",
    "",
  ].join("\r\n");
  let answered = false;
  const answer = (async () => {
    const buffer = new Uint8Array(4096);
    const n = await connection.read(buffer);
    answered = true;
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0)).split("\r\n")[0];
  })();
  let sent = 0;
  try {
    await connection.write(encoder.encode(head));
    const chunk = new Uint8Array(1 << 20).fill(0x61);
    chunk.set(encoder.encode('{"x":"'));
    while (sent < total && !answered) {
      const size = Math.min(chunk.length, total - sent);
      const frame = framing === "chunked"
        ? [
          encoder.encode(`${size.toString(16)}\r\n`),
          chunk.subarray(0, size),
          encoder.encode("\r\n"),
        ]
        : [chunk.subarray(0, size)];
      for (const piece of frame) {
        for (let at = 0; at < piece.length;) at += await connection.write(piece.subarray(at));
      }
      sent += size;
    }
    if (framing === "chunked" && !answered) await connection.write(encoder.encode("0\r\n\r\n"));
  } catch {
    // the server closed the connection after answering
  }
  const status = await answer;
  connection.close();
  return { status, sent };
}

Deno.test("hardening: a JSON body over the limit gets 413 before it is read; uploads stream", async () => {
  await withServer({ maxRequestBody: 1 << 20 }, async (s) => {
    const total = 200_000_000;
    for (const framing of ["length", "chunked"] as const) {
      const { status, sent } = await postHuge(s.url, s.token, "/v1/instances", total, framing);
      assertMatch(status, / 413 /, `${framing}: ${status}`);
      assert(sent < total / 10, `${framing}: the server read ${sent} bytes before answering`);
    }
    // Uploads are not JSON bodies: they stream to the blob store, whatever their size.
    const upload = new Uint8Array(4 << 20).fill(7);
    const file = await s.client.uploadFile(upload);
    assertEquals(file.size, upload.length);
    assertEquals((await s.client.whoami()).limits?.request_max_body, 1 << 20);
  });
});

Deno.test("hardening: a command line longer than the kernel execs is a 400 at the request", async () => {
  await withServer({}, async (s) => {
    const image = addImageRow(s);
    const long = "y".repeat(MAX_ARGUMENT_BYTES + 1);
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ command: `printf %s ${long}`, shell: true }, /^command is 131082 bytes: one argument/],
      // A shell's args are quoted into its one `sh -c` argument.
      [{ command: "printf %s", args: [long.slice(5)], shell: true }, /^command is 131077 bytes/],
      [{ command: "printf", args: ["%s", long] }, /^args\[1\] is 131072 bytes: one argument/],
      [{ command: "env", env: { BIG: long } }, /^env BIG is 131076 bytes: one variable/],
      [
        { command: "true", args: Array.from({ length: 9 }, () => long.slice(1)) },
        /^command, args and env take 1179733 bytes: at most 1048576/,
      ],
    ];
    // Each string costs its NUL and pointer too: 300,000 one-byte args take 3 MB of argv.
    refused.push([
      { command: "true", args: Array.from({ length: 300_000 }, () => "a") },
      /^command, args and env take 3000013 bytes/,
    ]);
    // Control characters grow sixfold in the spawn event's JSON (past the 4 MiB frame).
    const controls = "\x01".repeat(130_000);
    refused.push([
      { command: "true", env: Object.fromEntries([..."ABCDEFG"].map((n) => [n, controls])) },
      /^command, args and env take \d+ bytes as JSON: at most 3145728 \(the spawn event/,
    ]);
    for (const [body, message] of refused) {
      const response = await s.fetch("/instances", {
        method: "POST",
        body: JSON.stringify({ image, ...body }),
      });
      const answer = await response.json();
      assertEquals(response.status, 400, JSON.stringify(answer));
      assertMatch(answer.error, message);
    }
    // At the limit it is accepted.
    const response = await s.fetch("/instances", {
      method: "POST",
      body: JSON.stringify({ image, command: "printf", args: [long.slice(1)] }),
    });
    assertEquals(response.status, 201);
    await response.body?.cancel();
  });
});

Deno.test("hardening: NUL bytes in command, args, env, cwd and paths are refused with 400", async () => {
  await withServer({}, async (s) => {
    const image = addImageRow(s);
    const bodies: Record<string, unknown>[] = [
      { command: "echo\0hi" },
      { command: "echo", args: ["a\0b"] },
      { command: "env", env: { NAME: "va\0lue" } },
      { command: "env", env: { "NA\0ME": "value" } },
      { command: "pwd", cwd: "/root\0/x" },
      { command: "cat", files: { "/etc/x\0y": { uuid: crypto.randomUUID() } } },
    ];
    for (const body of bodies) {
      const response = await s.fetch("/instances", {
        method: "POST",
        body: JSON.stringify({ image, ...body }),
      });
      const answer = await response.json();
      assertEquals(response.status, 400, JSON.stringify(body));
      assertMatch(answer.error, /NUL byte/);
    }
    const imported = await s.fetch("/images/import", {
      method: "POST",
      body: JSON.stringify({ registry: { url: "file:///tmp/x\0.tar" } }),
    });
    assertEquals(imported.status, 400);
    await imported.body?.cancel();
    // Inspect paths: refused before the image is mounted; nothing of the host in the answer.
    for (const route of ["list", "download", "archive"]) {
      const response = await s.fetch(`/inspect/${image}/${route}?path=/etc%00/passwd`);
      const text = await response.text();
      assertEquals(response.status, 400, `${route}: ${text}`);
      assert(!text.includes(s.dataDir) && !text.includes("/var/lib/containers"), text);
    }
    // grep's pattern and glob become rg's arguments: a NUL is refused by name (was a 500
    // saying rg was missing).
    for (const [query, name] of [["pattern=a%00b", "pattern"], ["pattern=a&glob=%00", "glob"]]) {
      const response = await s.fetch(`/inspect/${image}/grep?${query}`);
      const answer = await response.json();
      assertEquals([response.status, answer.error], [400, `${name} must not contain a NUL byte`]);
    }
    assertEquals(s.server.store.operationCounts(), {});
  });
});

Deno.test("hardening: bodies nested thousands deep, stdin that is not base64, a non-boolean networking are a 400", async () => {
  await withServer({}, async (s) => {
    const image = addImageRow(s);
    const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
    const requests: [string, string][] = [
      ["/instances", `{"command": "true", "image": "${image}", "args": ${deep(50_000)}}`],
      ["/instances", `{"command": "true", "image": "${image}", "env": {"A": ${deep(20_000)}}}`],
      ["/images/import", `{"registry": {"url": "docker://x/y", "credentials": ${deep(20_000)}}}`],
      [
        "/images/import",
        `{"registry": {"url": "docker://x/y", "credentials": {"username": ${deep(20_000)}}}}`,
      ],
      // Was taken for false.
      ["/instances", `{"command": "true", "image": "${image}", "networking": {"enabled": "yes"}}`],
      // Was accepted (201) and dropped: the process read an empty stdin.
      [
        "/instances",
        `{"command": "cat", "image": "${image}", "stdin": {"value": "!!!", "encoding": "base64"}}`,
      ],
    ];
    for (const [path, body] of requests) {
      const response = await s.fetch(path, { method: "POST", body });
      const answer = await response.json();
      // Was a 500: the NUL check's recursion overflowed the stack.
      assertEquals(response.status, 400, `${path}: ${answer.error}`);
    }
    assertEquals(s.server.store.operationCounts(), {});
    // A message quoting a huge bad value is cut (it echoed the whole value).
    const tagged = await s.fetch(`/images/${image}/tag`, {
      method: "PATCH",
      body: JSON.stringify({ tag: "x".repeat(100_000) }),
    });
    const answer = await tagged.json();
    assertEquals(tagged.status, 400);
    assert(answer.error.length <= 1001, `${answer.error.length} characters`);
  });
});

Deno.test("hardening: a name no Linux path can have is a 400, before podman or a mount sees it", async () => {
  await withServer({}, async (s) => {
    const image = addImageRow(s);
    const longName = `/${"a".repeat(256)}`;
    const longPath = `/${"abc/".repeat(1024)}`;
    for (const path of [longName, longPath]) {
      // Was a 500 from lstat's ENAMETOOLONG (naming the host's overlay path in the log), which
      // clients retry for ~14 s.
      for (const route of ["list", "download", "archive"]) {
        const response = await s.fetch(`/inspect/${image}/${route}?path=${path}`);
        const answer = await response.json();
        assertEquals(response.status, 400, `${route}: ${JSON.stringify(answer)}`);
        assertMatch(answer.error, /^(file name|path) longer than (255|4095) bytes: \/a/);
      }
    }
    for (const body of [{ cwd: longName }, { files: { [longName]: { uuid: "x" } } }]) {
      const response = await s.fetch("/instances", {
        method: "POST",
        body: JSON.stringify({ image, command: "true", ...body }),
      });
      const answer = await response.json();
      assertEquals(response.status, 400, JSON.stringify(answer));
      assertMatch(answer.error, /file name longer than 255 bytes/);
    }
  });
});

Deno.test("hardening: huge relative times are a 400, not a 500", async () => {
  await withServer({}, async (s) => {
    for (const path of ["/operations", "/images", "/files"]) {
      for (const value of ["99999999999999s", "99999999999w", "1e400"]) {
        const response = await s.fetch(`${path}?since=${value}`);
        const answer = await response.json();
        assertEquals(response.status, 400, `${path}?since=${value}: ${JSON.stringify(answer)}`);
        assertMatch(answer.error, /invalid since/);
      }
    }
  });
});

Deno.test("hardening: an existing home becomes 0700, the database and its WAL/SHM 0600", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "contree-server-home-" });
  await Deno.chmod(dataDir, 0o755);
  // An empty database left with the default mode (SQLite takes an empty file as a new one).
  await Deno.writeFile(`${dataDir}/contree.db`, new Uint8Array(), { mode: 0o644 });
  await Deno.chmod(`${dataDir}/contree.db`, 0o644);
  const fresh = await Deno.makeTempDir({ prefix: "contree-server-home-" });
  await Deno.chmod(fresh, 0o755);
  for (const home of [dataDir, fresh]) {
    await withServer({ dataDir: home }, async (s) => {
      await s.client.uploadFile(new TextEncoder().encode("written"));
      const mode = async (path: string) => ((await Deno.stat(path)).mode ?? 0) & 0o777;
      assertEquals(await mode(home), 0o700);
      for (const name of ["contree.db", "contree.db-wal", "contree.db-shm"]) {
        assertEquals((await mode(`${home}/${name}`)).toString(8), "600", name);
      }
      for (const dir of ["blobs", "outputs"]) assertEquals(await mode(`${home}/${dir}`), 0o700);
    });
  }
});

Deno.test("hardening: env values are masked alike in the spawn answer, the record and the database", async () => {
  await withServer({}, async (s) => {
    const image = addImageRow(s);
    const secret = `s3cret-${crypto.randomUUID()}`;
    const response = await s.fetch("/instances", {
      method: "POST",
      body: JSON.stringify({
        image,
        command: "env",
        env: { API_TOKEN: secret, DB_PASSWORD: secret, GREETING: "hello" },
      }),
    });
    const spawned = await response.json();
    assertEquals(response.status, 201);
    const masked = { API_TOKEN: "<MASKED>", DB_PASSWORD: "<MASKED>", GREETING: "hello" };
    assertEquals(spawned.env, masked);
    const op = await s.client.getOperation(spawned.uuid);
    assertEquals(op.metadata?.env, masked);
    // The run fails (the image is only a row), which ends the operation; the value was never
    // written to the database, its WAL or any other file of the home.
    await s.stop();
    for await (const path of walk(s.dataDir)) {
      const bytes = await Deno.readFile(path);
      assert(!new TextDecoder("latin1").decode(bytes).includes(secret), `${path} holds the value`);
    }
  });
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.isFile) yield path;
  }
}

Deno.test("hardening: a file:// import takes tarballs only; a bad escape or a NUL is a 400", async () => {
  await withServer({}, async (s) => {
    const post = (url: string) =>
      s.fetch("/images/import", { method: "POST", body: JSON.stringify({ registry: { url } }) });
    // Was a 500 (an unguarded URIError) for a file named 50%off.tar.
    for (
      const [url, said] of [["file:///tmp/50%off.tar", /a % must start an escape/], [
        "file:///etc/passwd%00",
        /NUL byte/,
      ]] as const
    ) {
      const response = await post(url);
      assertEquals(response.status, 400, url);
      assertMatch((await response.json()).error, said);
    }
    // A device kept podman reading for the whole timeout; any other file failed with podman's
    // words, which quote the file's sha256 (of /etc/shadow, say).
    const text = `${s.dataDir}/notes.txt`;
    await Deno.writeTextFile(text, "not a tarball\n".repeat(100));
    for (
      const [url, said] of [
        ["file:///dev/zero", "not a regular file (a file:// import takes a tarball)"],
        [`file://${text}`, "not a tar archive (a file:// import takes a root filesystem tarball)"],
      ]
    ) {
      const response = await post(url);
      assertEquals(response.status, 201, url);
      const op = await waitOperation(s.client, (await response.json()).uuid);
      assertEquals([op.status, op.error], ["FAILED", said], url);
    }
  });
});

Deno.test("hardening: an operation's error never shows the server's home", async () => {
  await withServer({}, async (s) => {
    // A directory, not a tarball: podman's error quotes its path, which lies in the server home.
    const { uuid } = await s.client.importImage({ registry: { url: `file://${s.dataDir}/blobs` } });
    const op = await waitOperation(s.client, uuid);
    assertEquals(op.status, "FAILED");
    assert(op.error && !op.error.includes(s.dataDir), op.error ?? "");
    const log = await (await s.fetch(`/operations/${uuid}/events`)).text();
    assert(!log.includes(s.dataDir), log);
  });
});

/** POSTs `body` with a Content-Length of `declared`, then ends its side: the answer's status. */
async function postShort(
  s: TestServer,
  path: string,
  declared: number,
  body: string,
): Promise<{ status: string; text: string }> {
  const { hostname, port } = new URL(s.url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  try {
    await connection.write(
      new TextEncoder().encode(
        [
          `POST ${path} HTTP/1.1`,
          `Host: ${hostname}:${port}`,
          `Authorization: Bearer ${s.token}`,
          "Content-Type: application/octet-stream",
          `Content-Length: ${declared}`,
          "",
          body,
        ].join("\r\n"),
      ),
    );
    await connection.closeWrite();
    const text = new TextDecoder().decode(await new Response(connection.readable).arrayBuffer());
    return { status: text.split("\r\n")[0], text };
  } finally {
    try {
      connection.close();
    } catch {
      // closed with its readable
    }
  }
}

Deno.test("hardening: a body that ends before its Content-Length is a 400, not a 500", () =>
  withServer({}, async (s) => {
    for (
      const [path, body] of [["/v1/files", "partial"], ["/v1/instances", '{"command":"true",']]
    ) {
      const answer = await postShort(s, path, 100_000, body);
      // Was `500 internal error`, and a stack trace in the server log.
      assertMatch(answer.status, /^HTTP\/1\.1 400/, `${path}: ${answer.text}`);
      assertMatch(answer.text, /the request body ended before it was complete/);
    }
    assertEquals((await s.client.listFiles({})).length, 0, "nothing stored");
  }));
