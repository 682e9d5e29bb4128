import { ContreeClient, normaliseBaseUrl, redactHeaders } from "../../src/api/client.ts";
import { ApiError, DeadlineError, NetworkError, ResponseShapeError } from "../../src/api/errors.ts";
import { encodeQuery } from "../../src/api/query.ts";
import { ladderDelayMs, parseRetryAfter } from "../../src/api/retry.ts";
import { MemorySink } from "../../src/io.ts";
import { ContreeError } from "../../src/errors.ts";
import { Logger } from "../../src/log.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../support/assert.ts";
import { FakeClock } from "../support/context.ts";
import { FakeApi } from "../support/fake_api.ts";

interface Harness {
  fake: FakeApi;
  client: ContreeClient;
  clock: FakeClock;
  logs: MemorySink;
}

function harness(
  options: { token?: string; logLevel?: "debug" | "info"; project?: string } = {},
): Harness {
  const fake = FakeApi.start();
  const clock = new FakeClock();
  const logs = new MemorySink();
  const client = new ContreeClient(
    {
      url: fake.url,
      token: options.token ?? fake.token,
      type: options.project ? "iam" : "jwt",
      project: options.project,
    },
    {
      fetch: globalThis.fetch.bind(globalThis),
      clock,
      log: new Logger(logs, options.logLevel ?? "info"),
      userAgent: "contree/test Deno/x linux-x86_64",
    },
  );
  return { fake, client, clock, logs };
}

async function withHarness(
  fn: (h: Harness) => Promise<void>,
  options?: Parameters<typeof harness>[0],
): Promise<void> {
  const h = harness(options);
  try {
    await fn(h);
  } finally {
    await h.fake.close();
  }
}

Deno.test("requests carry auth, user agent, gzip and the /v1 prefix", () =>
  withHarness(async ({ fake, client }) => {
    const whoami = await client.whoami();
    assertEquals(whoami.permissions.list, true);
    const [request] = fake.requests;
    assertEquals(request.path, "/v1/whoami");
    assertEquals(request.headers.get("authorization"), `Bearer ${fake.token}`);
    assertEquals(request.headers.get("user-agent"), "contree/test Deno/x linux-x86_64");
    assertEquals(request.headers.get("accept-encoding"), "gzip");
    assertEquals(request.headers.get("project"), null);
  }));

Deno.test("iam profiles send the Project header; without a project nothing is sent", async () => {
  await withHarness(async ({ fake, client }) => {
    await client.whoami();
    assertEquals(fake.requests[0].headers.get("project"), "proj-1");
  }, { project: "proj-1" });
  const fake = FakeApi.start();
  try {
    const client = new ContreeClient({ url: fake.url, token: "t", type: "iam" }, {
      fetch,
      clock: new FakeClock(),
      log: new Logger(new MemorySink()),
      userAgent: "ua",
    });
    await assertRejects(() => client.whoami(), ApiError, "No project configured");
    const missingToken = new ContreeClient({ url: fake.url, type: "jwt" }, {
      fetch,
      clock: new FakeClock(),
      log: new Logger(new MemorySink()),
      userAgent: "ua",
    });
    const error = await assertRejects(() => missingToken.whoami(), ApiError, "No token configured");
    assertEquals((error as ApiError).exitCode, 4);
    assertEquals(fake.requests.length, 0);
  } finally {
    await fake.close();
  }
});

Deno.test("base URL: path prefix kept, bare host means https, other schemes refused", () => {
  assertEquals(
    normaliseBaseUrl("https://api.example.com/sandboxes/").href,
    "https://api.example.com/sandboxes",
  );
  assertEquals(normaliseBaseUrl("api.example.com").href, "https://api.example.com/");
  assertEquals(normaliseBaseUrl("http://127.0.0.1:8080").origin, "http://127.0.0.1:8080");
  assertThrows(() => normaliseBaseUrl("ftp://x"), Error, "only http:// and https://");
  // A scheme alone (a profile strips trailing slashes: `http://` became `http:`, then the host
  // `http` of https://http/).
  for (const bare of ["http://", "http:", "https:/"]) {
    assertThrows(() => normaliseBaseUrl(bare), Error, "expected http(s)://host");
  }
  const client = new ContreeClient(
    { url: "https://h.example/sandboxes/", token: "t", type: "jwt" },
    {
      fetch,
      clock: new FakeClock(),
      log: new Logger(new MemorySink()),
      userAgent: "ua",
    },
  );
  assertEquals(
    client.url("/images", { tag: "a/b:c", tagged: true, x: false }),
    "https://h.example/sandboxes/v1/images?tag=a/b%3Ac&tagged=1",
  );
});

Deno.test("query encoding: slash kept, flags as =1 or omitted, arrays repeated", () => {
  assertEquals(
    encodeQuery({
      path: "/etc/my file",
      tagged: true,
      follow: false,
      pattern: ["a", "b&c"],
      n: 5,
      none: undefined,
    }),
    "path=/etc/my%20file&tagged=1&pattern=a&pattern=b%26c&n=5",
  );
});

Deno.test("GET retries 5xx with the ladder, one sleep per failure", () =>
  withHarness(async ({ fake, client, clock, logs }) => {
    fake.script("GET", "/v1/operations", { status: 503 }, { status: 502 }, { status: 500 }, {
      json: [{ uuid: "u1" }],
    });
    const ops = await client.listOperations({});
    assertEquals(ops.map((o) => o.uuid), ["u1"]);
    assertEquals(clock.sleeps, [100, 200, 500]);
    assertEquals(fake.calls("GET", "/v1/operations").length, 4);
    assertStringIncludes(logs.text(), "[WARNING] Server answered 503, retrying in 0.1s");
  }));

Deno.test("retries are bounded: 8 attempts, then the last error", () =>
  withHarness(async ({ fake, client, clock }) => {
    fake.on("GET", "/v1/operations", () => ({ status: 500, json: { error: "boom", status: 500 } }));
    const error = await assertRejects(
      () => client.listOperations({}),
      ApiError,
      "API 500 Internal Server Error: boom",
    );
    assertEquals((error as ApiError).status, 500);
    assertEquals(fake.calls("GET", "/v1/operations").length, 8);
    assertEquals(clock.sleeps, [100, 200, 500, 1000, 2000, 5000, 5000]);
  }));

Deno.test("POST is not retried on 5xx, but is on 425 and 429", () =>
  withHarness(async ({ fake, client, clock }) => {
    fake.script("POST", "/v1/instances", { status: 500, json: { error: "x", status: 500 } });
    await assertRejects(() => client.spawn({ command: "true", image: "i" }), ApiError, "API 500");
    assertEquals(fake.calls("POST", "/v1/instances").length, 1);
    assertEquals(clock.sleeps, []);

    fake.script("POST", "/v1/instances", { status: 425 }, { status: 429 }, {
      status: 201,
      json: { uuid: "op" },
    });
    const op = await client.spawn({ command: "true", image: "i" });
    assertEquals(op.uuid, "op");
    assertEquals(fake.calls("POST", "/v1/instances").length, 4);
    assertEquals(clock.sleeps, [100, 200]);
  }));

Deno.test("410 with Retry-After sleeps exactly the server's delay; HTTP-date too", () =>
  withHarness(async ({ fake, client, clock }) => {
    fake.script(
      "GET",
      "/v1/operations/op1",
      { status: 410, headers: { "retry-after": "3" } },
      {
        status: 410,
        headers: { "retry-after": new Date(clock.now() + 3000 + 7000).toUTCString() },
      },
      { json: { uuid: "op1", status: "SUCCESS" } },
    );
    const op = await client.getOperation("op1");
    assertEquals(op.status, "SUCCESS");
    // The second Retry-After is an absolute date 7 s after the first sleep ended.
    assertEquals(clock.sleeps, [3000, 7000]);
  }));

Deno.test("a URL too long to send fails at once, without quoting it and without retries", () =>
  withHarness(async ({ fake, client, clock, logs }) => {
    const long = "y".repeat(100_000);
    const error = await assertRejects(() => client.lookupTag(long), ContreeError);
    assertStringIncludes(error.message, "the request is too long to send");
    assert(error.message.length < 200, error.message);
    assertEquals([clock.sleeps, fake.requests.length, logs.text()], [[], 0, ""]);
    // A long path that fits is sent as usual.
    fake.script("GET", "/v1/images", { json: { images: [] } });
    await client.lookupTag("y".repeat(4000)).catch(() => {});
    assertEquals(fake.requests.length, 1);
  }));

Deno.test("refusedMeans: a refused connection is said at once with its meaning, not retried", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${listener.addr.port}`;
  listener.close(); // nothing listens there now
  const clock = new FakeClock();
  const logs = new MemorySink();
  const client = new ContreeClient({ url, token: "t", type: "jwt" }, {
    fetch: globalThis.fetch.bind(globalThis),
    clock,
    log: new Logger(logs),
    userAgent: "test",
    refusedMeans: "the local server is not running",
  });
  const error = await assertRejects(() => client.whoami(), NetworkError);
  assertEquals(
    error.message,
    `Network error: ${url} refused the connection: the local server is not running`,
  );
  assertEquals([clock.sleeps, logs.text()], [[], ""]);
});

Deno.test("other 4xx fail at once with the server's error text", () =>
  withHarness(async ({ fake, client, clock }) => {
    fake.script("GET", "/v1/operations/nope", {
      status: 404,
      json: { error: "operation not found", status: 404 },
    });
    const error = await assertRejects(
      () => client.getOperation("nope"),
      ApiError,
      "API 404 Not Found: operation not found",
    );
    assertEquals((error as ApiError).exitCode, 1);
    assertEquals(clock.sleeps, []);
    assertEquals(fake.requests.length, 1);
  }));

Deno.test("401 maps to exit code 4", () =>
  withHarness(async ({ client }) => {
    const error = await assertRejects(
      () => client.whoami(),
      ApiError,
      "API 401 Unauthorized: invalid token",
    );
    assertEquals((error as ApiError).exitCode, 4);
  }, { token: "wrong" }));

Deno.test("a body broken mid-read is a network error, retried for GET", () =>
  withHarness(async ({ fake, client, clock }) => {
    fake.script("GET", "/v1/operations", { json: [{ uuid: "lost" }], dropBody: true }, {
      json: [{ uuid: "u2" }],
    });
    const ops = await client.listOperations({});
    assertEquals(ops.map((o) => o.uuid), ["u2"]);
    assertEquals(clock.sleeps, [100]);
  }));

Deno.test("gzip: bodies are inflated once by fetch; a truncated gzip body is an error, not short data", () =>
  withHarness(async ({ fake, client }) => {
    const big = { uuid: "op", padding: "x".repeat(50_000) };
    fake.script("GET", "/v1/operations/op", { json: big });
    assertEquals((await client.getOperation("op")).padding, big.padding);

    fake.on("GET", "/v1/operations/trunc", () => ({ json: big, truncateGzip: true }));
    const error = await assertRejects(() => client.getOperation("trunc"), NetworkError);
    assertStringIncludes(error.message, "Network error");
  }));

Deno.test("gzip: a streamed body delivers each flushed frame before the next is sent", () =>
  withHarness(async ({ fake, client }) => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let secondSent = false;
    fake.on("GET", "/v1/operations/live/events", () => ({
      events: [
        { frame: { id: 0, type: "init" } },
        { waitFor: released },
        { signal: () => (secondSent = true) },
        { frame: { id: 1, type: "completion", data: { status: "SUCCESS" } } },
      ],
    }));
    const response = await client.openEvents("live");
    assertEquals(response.headers.get("content-encoding"), "gzip");
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assertStringIncludes(first, '"id":0');
    assert(!secondSent, "the first frame must arrive while the server still holds the second");
    release();
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    assertStringIncludes(rest, '"type":"completion"');
  }));

Deno.test("DecompressionStream inflates a raw .tar.gz payload that fetch leaves alone", () =>
  withHarness(async ({ fake, client }) => {
    const payload = new TextEncoder().encode("raw archive bytes ".repeat(100));
    const gz = new Uint8Array(
      await new Response(new Blob([payload]).stream().pipeThrough(new CompressionStream("gzip")))
        .arrayBuffer(),
    );
    fake.on(
      "GET",
      "/v1/inspect/img/archive",
      () => ({ bytes: gz, identity: true, headers: { "content-type": "application/gzip" } }),
    );
    const response = await client.archive("img", "/");
    assertEquals(response.headers.get("content-encoding"), null);
    const inflated = new Uint8Array(
      await new Response(response.body!.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
    );
    assertEquals(inflated, payload);
  }));

Deno.test("a network error on POST is not retried; on GET it is", async () => {
  const clock = new FakeClock();
  // A port nothing listens on (port 9 is one fetch refuses outright: that is never retried).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const client = new ContreeClient({ url: `http://127.0.0.1:${port}`, token: "t", type: "jwt" }, {
    fetch,
    clock,
    log: new Logger(new MemorySink()),
    userAgent: "ua",
    maxRetries: 2,
  });
  await assertRejects(() => client.spawn({ command: "x", image: "y" }), NetworkError);
  assertEquals(clock.sleeps, []);
  await assertRejects(() => client.whoami(), NetworkError);
  assertEquals(clock.sleeps, [100, 200]);
});

Deno.test("network errors no retry mends fail at once: a name that does not resolve, TLS to plain http", async () => {
  const fake = FakeApi.start();
  try {
    const failures: unknown[] = [
      new TypeError("fetch failed", {
        cause: new Error(
          "client error (Connect): dns error: failed to lookup address information: Name or service not known",
        ),
      }),
      new TypeError("error sending request: received corrupt message of type InvalidContentType"),
      Object.assign(new Error("getaddrinfo ENOTFOUND nosuch.invalid"), { code: "ENOTFOUND" }),
      new TypeError("invalid peer certificate: UnknownIssuer"),
    ];
    for (const failure of failures) {
      const clock = new FakeClock();
      const client = new ContreeClient({ url: fake.url, token: "t", type: "jwt" }, {
        fetch: () => Promise.reject(failure),
        clock,
        log: new Logger(new MemorySink()),
        userAgent: "ua",
      });
      await assertRejects(() => client.whoami(), NetworkError);
      assertEquals(clock.sleeps, [], String(failure));
    }
    // The real thing: https to a plain-http server is refused by the TLS handshake, once.
    const clock = new FakeClock();
    const logs = new MemorySink();
    const client = new ContreeClient(
      { url: fake.url.replace("http:", "https:"), token: "t", type: "jwt" },
      { fetch, clock, log: new Logger(logs), userAgent: "ua" },
    );
    await assertRejects(() => client.whoami(), NetworkError);
    assertEquals([clock.sleeps, logs.text()], [[], ""]);
    // The real thing again: fetch never connects to a "bad port" (was retried for 14 s).
    const blocked = new ContreeClient(
      { url: "http://127.0.0.1:1", token: "t", type: "jwt" },
      { fetch, clock, log: new Logger(logs), userAgent: "ua" },
    );
    await assertRejects(() => blocked.whoami(), NetworkError, "are blocked");
    assertEquals([clock.sleeps, logs.text()], [[], ""]);
    // A temporary DNS failure is retried.
    const retried = new FakeClock();
    const temporary = new ContreeClient({ url: fake.url, token: "t", type: "jwt" }, {
      fetch: () => Promise.reject(new TypeError("dns error: Temporary failure in name resolution")),
      clock: retried,
      log: new Logger(new MemorySink()),
      userAgent: "ua",
      maxRetries: 2,
    });
    await assertRejects(() => temporary.whoami(), NetworkError);
    assertEquals(retried.sleeps, [100, 200]);
  } finally {
    await fake.close();
  }
});

Deno.test("a per-request timeout is a deadline error and is not retried", () =>
  withHarness(async ({ fake, client, clock }) => {
    fake.on("GET", "/v1/whoami", () => ({ json: {}, delayMs: 300 }));
    await assertRejects(
      () => client.whoami({ timeoutMs: 20 }),
      DeadlineError,
      "Request timed out: GET /whoami",
    );
    assertEquals(clock.sleeps, []);
  }));

Deno.test("debug logs show requests and responses with credentials redacted", () =>
  withHarness(async ({ client, fake, logs }) => {
    await client.whoami();
    const text = logs.text();
    assertStringIncludes(text, "[DEBUG] → GET http://127.0.0.1:");
    assertStringIncludes(text, "Authorization: <redacted>");
    assertStringIncludes(text, "[DEBUG] ← 200 ");
    assert(!text.includes(fake.token), "the token must never appear in logs");
  }, { logLevel: "debug" }));

Deno.test("redactHeaders hides every credential header", () => {
  const text = redactHeaders({
    Authorization: "Bearer s",
    Cookie: "c",
    "X-Api-Key": "k",
    Accept: "x",
  });
  assertEquals(
    text,
    "Authorization: <redacted>, Cookie: <redacted>, X-Api-Key: <redacted>, Accept: x",
  );
});

Deno.test("Retry-After parsing: seconds, dates, negative, garbage", () => {
  const now = Date.parse("2026-06-08T20:00:00Z");
  assertEquals(parseRetryAfter("2", now), 2);
  assertEquals(parseRetryAfter("1.5", now), 1.5);
  assertEquals(parseRetryAfter("-4", now), 0);
  assertEquals(parseRetryAfter("Mon, 08 Jun 2026 20:00:10 GMT", now), 10);
  assertEquals(parseRetryAfter("soon", now), undefined);
  assertEquals(parseRetryAfter("", now), undefined);
  assertEquals(parseRetryAfter(null, now), undefined);
  assertEquals(parseRetryAfter("99999", now), 300);
  assertEquals([0, 1, 2, 3, 4, 5, 6, 9].map(ladderDelayMs), [
    100,
    200,
    500,
    1000,
    2000,
    5000,
    5000,
    5000,
  ]);
});

Deno.test("tag lookup reads the relative Location of the inspect redirect", () =>
  withHarness(async ({ fake, client }) => {
    fake.on("GET", "/v1/inspect/", (request) => ({
      status: 302,
      headers: {
        location: request.query.get("tag") === "busybox:latest"
          ? "12345678-9abc-baba-deda-0123456789ab/"
          : "",
      },
    }));
    assertEquals(await client.lookupTag("busybox:latest"), "12345678-9abc-baba-deda-0123456789ab");
    assertEquals(fake.requests[0].query.get("tag"), "busybox:latest");
  }));

Deno.test("a 2xx answer of the wrong shape is one clear error, never an empty success", () =>
  withHarness(async ({ fake, client }) => {
    fake.on("GET", "/v1/images", () => ({ json: { images: { a: 1 } } }));
    fake.on("GET", "/v1/files", () => ({ json: { nope: [] } }));
    fake.on("GET", "/v1/operations", () => ({ json: "ok" }));
    fake.on("GET", "/v1/operations/x", () => ({ json: [1, 2] }));
    fake.on("POST", "/v1/instances", () => ({ status: 201, json: { status: "PENDING" } }));
    fake.on("POST", "/v1/images/import", () => ({ status: 201 }));
    fake.on("GET", "/v1/inspect/i/grep", () => ({ json: { path: "/", matches: "none" } }));
    await assertRejects(
      () => client.grep("i", { pattern: ["x"] }),
      ResponseShapeError,
      'GET /inspect/{uuid}/grep: "matches" is a string, not a list',
    );
    await assertRejects(
      () => client.listImages({}),
      ResponseShapeError,
      'Unexpected response from GET /images: "images" is an object, not a list',
    );
    await assertRejects(
      () => client.listFiles({}),
      ResponseShapeError,
      'GET /files: expected a list or {"files": [...]}, got an object',
    );
    await assertRejects(() => client.listOperations({}), ResponseShapeError, "got a string");
    await assertRejects(() => client.getOperation("x"), ResponseShapeError, "expected an object");
    await assertRejects(
      () => client.spawn({ command: "x", image: "i" }),
      ResponseShapeError,
      'POST /instances: no "uuid" in the answer',
    );
    await assertRejects(
      () => client.importImage({ registry: { url: "docker://x" } }),
      ResponseShapeError,
      "got an empty body",
    );
    const error = await assertRejects(() => client.listImages({}), ResponseShapeError);
    assertEquals((error as ResponseShapeError).exitCode, 1);
    // The shapes the API does send still work.
    fake.on("GET", "/v1/images", () => ({ json: { images: [{ uuid: "a" }] } }));
    fake.on("GET", "/v1/operations", () => ({ json: [{ uuid: "o" }] }));
    assertEquals((await client.listImages({})).length, 1);
    assertEquals((await client.listOperations({})).length, 1);
    // grep's repeatable keys go as repeated parameters (spec §1.6).
    fake.on("GET", "/v1/inspect/i/grep", () => ({
      json: { path: "/", patterns: ["a", "b"], matches: [], truncated: false },
    }));
    assertEquals(
      (await client.grep("i", { pattern: ["a", "b"], glob: ["*.py"], case: "smart" })).matches,
      [],
    );
    const query = fake.requests.at(-1)!.query;
    assertEquals([query.getAll("pattern"), query.getAll("glob"), query.get("case")], [
      ["a", "b"],
      ["*.py"],
      "smart",
    ]);
  }));

Deno.test("isDirectory: a link to a directory is one; a link to a file or nowhere is not", () =>
  withHarness(async ({ fake, client }) => {
    const entry = (path: string, kind: "dir" | "link" | "file") => ({
      path,
      size: 0,
      owner: "root",
      group: "root",
      mode: 0o755,
      mtime: 0,
      is_dir: kind === "dir",
      is_regular: kind === "file",
      is_symlink: kind === "link",
      is_socket: false,
      is_fifo: false,
      symlink_to: kind === "link" ? "elsewhere" : "",
    });
    // The server resolves links inside the image: listing a link to a directory lists it.
    const listings: Record<string, unknown> = {
      "/t": {
        path: "/t",
        files: [entry("dir", "dir"), entry("ln_dir", "link"), entry("ln_file", "link")],
      },
      "/t/ln_dir": { path: "/t/ln_dir", files: [] },
    };
    fake.on("GET", "/v1/inspect/img/list", (request) => {
      const listing = listings[request.query.get("path")!];
      return listing
        ? { json: listing }
        : { status: 422, json: { error: "not a directory", status: 422 } };
    });
    // Was false for the link (`COPY x /bin` on a merged-/usr image: "the image has a directory").
    assertEquals(await client.isDirectory("img", "/t/ln_dir"), true);
    assertEquals(await client.isDirectory("img", "/t/dir"), true);
    assertEquals(await client.isDirectory("img", "/t/ln_file"), false);
    assertEquals(await client.isDirectory("img", "/t/missing"), false);
  }));
