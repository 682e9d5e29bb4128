// In-process checks: cat on a terminal, progress lines, image references through the redirect,
// secret masking.

import { ContreeClient } from "../../src/api/client.ts";
import { ApiError, NetworkError } from "../../src/api/errors.ts";
import { resolveImageRef } from "../../src/api/image_ref.ts";
import { maskSecret } from "../../src/images/import_cmd.ts";
import { BINARY_MESSAGE, catCommand } from "../../src/inspect/cat.ts";
import type { ImageCache } from "../../src/cache.ts";
import type { InspectDeps } from "../../src/inspect/deps.ts";
import { lsCommand } from "../../src/inspect/ls.ts";
import { createFormatter } from "../../src/output/mod.ts";
import { formatEta, formatSize, TransferProgress } from "../../src/inspect/progress.ts";
import { MemorySink } from "../../src/io.ts";
import { Logger } from "../../src/log.ts";
import { ContreeError } from "../../src/errors.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { FakeClock, testContext } from "../support/context.ts";
import { FakeApi } from "../support/fake_api.ts";
import { IMAGE, OTHER } from "../support/images.ts";

function memoryCache(): ImageCache & { entries: Map<string, unknown> } {
  const entries = new Map<string, unknown>();
  return {
    entries,
    get: <T>(image: string, kind: string) =>
      Promise.resolve(entries.get(`${image} ${kind}`) as T | undefined),
    set: (image, kind, value) => {
      entries.set(`${image} ${kind}`, value);
      return Promise.resolve();
    },
  };
}

/**
 * A body that sends `first`, then holds `rest` back until `printed` settles (or `ms` pass); its
 * `order()` then says whether the client printed before the end or held everything back.
 */
function heldBackBody(first: Uint8Array[], rest: Uint8Array, printed: Promise<void>, ms: number) {
  let order = "";
  const response = new Response(
    new ReadableStream<Uint8Array>({
      async start(controller) {
        for (const chunk of first) controller.enqueue(chunk);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const held = new Promise<string>((resolve) =>
          timer = setTimeout(() => resolve("held back"), ms)
        );
        order = await Promise.race([printed.then(() => "printed first"), held]);
        clearTimeout(timer);
        controller.enqueue(rest);
        controller.close();
      },
    }),
  );
  return { response, order: () => order };
}

/** Settles at the first write to stdout after which `done()` holds. */
function printedWhen(stdout: MemorySink, done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const write = stdout.write.bind(stdout);
    stdout.write = async (data) => {
      await write(data);
      if (done()) resolve();
    };
  });
}

async function withInspect(
  stdoutTty: boolean,
  fn: (h: { fake: FakeApi; deps: InspectDeps; ctx: ReturnType<typeof testContext> }) => Promise<
    void
  >,
): Promise<void> {
  const fake = FakeApi.start();
  const ctx = testContext({ stdoutTty });
  const client = new ContreeClient({ url: fake.url, token: fake.token, type: "jwt" }, {
    fetch,
    clock: new FakeClock(),
    log: ctx.log,
    userAgent: "test",
  });
  const cache = memoryCache();
  const deps: InspectDeps = {
    ctx,
    client,
    format: "default",
    output: () => {
      throw new Error("no rows expected");
    },
    cache: () => Promise.resolve(cache),
    locate: (path) => Promise.resolve({ image: IMAGE, path: path ?? "/" }),
  };
  try {
    await fn({ fake, deps, ctx });
  } finally {
    await fake.close();
  }
}

Deno.test("cat on a terminal: text is written; binary is refused before anything is written", () =>
  withInspect(true, async ({ fake, deps, ctx }) => {
    const files: Record<string, Uint8Array> = {
      "/text": new TextEncoder().encode("héllo wörld\n".repeat(2000)),
      "/binary": new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0xff, 0x00, 0x01]),
      "/late": new Uint8Array([...new TextEncoder().encode("a".repeat(20_000)), 0xff]),
    };
    fake.on("GET", `/v1/inspect/${IMAGE}/download`, (request) => ({
      bytes: files[request.query.get("path")!],
    }));
    await catCommand(deps, { path: "/text" });
    assertEquals(ctx.stdout.bytes(), files["/text"]);

    ctx.stdout.chunks.length = 0;
    await assertRejects(() => catCommand(deps, { path: "/binary" }), ContreeError, BINARY_MESSAGE);
    assertEquals(ctx.stdout.bytes().length, 0, "nothing reached the terminal");

    // Invalid bytes after the first 8 KiB: at most the text before them is shown, then the error.
    ctx.stdout.chunks.length = 0;
    await assertRejects(() => catCommand(deps, { path: "/late" }), ContreeError, BINARY_MESSAGE);
    // Its line ended, so that the error starts on a line of its own (it was glued to the text).
    assert(/^a+\n$/.test(ctx.stdout.text()), "the invalid byte never reaches the terminal");

    // The cached copy is checked the same way.
    ctx.stdout.chunks.length = 0;
    await assertRejects(() => catCommand(deps, { path: "/binary" }), ContreeError, BINARY_MESSAGE);
    assertEquals(ctx.stdout.bytes().length, 0);
  }));

Deno.test("ls on a terminal: control characters in names print as ?; a pipe gets them as they are", async () => {
  const listing = "-rw-r--r-- 1 root root 0 Dec  1 00:00 \x1b]0;owned\x07\x1b[2Jx\tné\u009b\n";
  for (const tty of [true, false]) {
    await withInspect(tty, async ({ fake, deps, ctx }) => {
      fake.on("GET", `/v1/inspect/${IMAGE}/list`, () => ({ text: listing }));
      await lsCommand(deps, { path: "/" });
      assertEquals(
        ctx.stdout.text(),
        tty ? "-rw-r--r-- 1 root root 0 Dec  1 00:00 ?]0;owned??[2Jx\tné?\n" : listing,
      );
    });
  }
});

Deno.test("ls prints the listing as it arrives: its first lines before the rest is sent", () =>
  withInspect(false, async ({ fake, deps, ctx }) => {
    const encoder = new TextEncoder();
    const first = "-rw-r--r-- 1 root root 0 Dec  1 00:00 a\n".repeat(2000);
    const rest = "-rw-r--r-- 1 root root 0 Dec  1 00:00 b\n".repeat(2000) + "last";
    const body = heldBackBody(
      [encoder.encode(first)],
      encoder.encode(rest),
      printedWhen(ctx.stdout, () => ctx.stdout.text().endsWith(first)),
      10_000,
    );
    fake.on("GET", `/v1/inspect/${IMAGE}/list`, () => body.response);
    await lsCommand(deps, { path: "/" });
    assertEquals(body.order(), "printed first");
    assertEquals(ctx.stdout.text(), `${first}${rest}\n`, "the last line is ended");
  }));

Deno.test("ls: a listing cut short is an error that says so, after the lines that came", () =>
  withInspect(false, async ({ fake, deps, ctx }) => {
    const listing = "-rw-r--r-- 1 root root 0 Dec  1 00:00 a\n".repeat(4000);
    fake.on("GET", `/v1/inspect/${IMAGE}/list`, () => ({ text: listing, dropBody: true }));
    await assertRejects(() => lsCommand(deps, { path: "/" }), NetworkError, "the listing broke");
    assert(listing.startsWith(ctx.stdout.text()), "what was printed is the listing's start");
  }));

Deno.test("ls -f json: a small listing is cached; a large one is printed as it arrives, not kept", () =>
  withInspect(false, async ({ fake, deps, ctx }) => {
    const encoder = new TextEncoder();
    const entry = (i: number) => ({ path: `file-${i}.txt`, size: i, mode: 33188, is_dir: false });
    const listingJson = (count: number) =>
      JSON.stringify({ path: "/d", files: Array.from({ length: count }, (_, i) => entry(i)) });
    const json = createFormatter("json", {
      stdout: ctx.stdout,
      log: ctx.log,
      tty: false,
      color: false,
      columns: () => undefined,
    });
    const rows = () =>
      ctx.stdout.text().split("\n").filter(Boolean).map((line) => JSON.parse(line));
    deps = {
      ...deps,
      format: "json",
      output: (order) => {
        json.columns(order ?? {});
        return json;
      },
    };
    const cached = async (path: string) =>
      ((await deps.cache()) as ReturnType<typeof memoryCache>).entries.has(`${IMAGE} list:${path}`);

    fake.on("GET", `/v1/inspect/${IMAGE}/list`, () => ({ text: listingJson(3) }));
    await lsCommand(deps, { path: "/small" });
    assertEquals(rows().map((row) => row.path), ["file-0.txt", "file-1.txt", "file-2.txt"]);
    assert(await cached("/small"), "a small listing is cached");

    // 21 MB of JSON (over 16 MiB): its first rows are out before the server sends the rest.
    ctx.stdout.chunks.length = 0;
    const whole = encoder.encode(listingJson(300_000));
    const cut = whole.length - 1000;
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < cut; at += 1 << 20) {
      chunks.push(whole.slice(at, Math.min(at + (1 << 20), cut)));
    }
    const body = heldBackBody(
      chunks,
      whole.slice(cut),
      printedWhen(ctx.stdout, () => true),
      30_000,
    );
    fake.on("GET", `/v1/inspect/${IMAGE}/list`, () => body.response);
    await lsCommand(deps, { path: "/large" });
    assertEquals(body.order(), "printed first");
    const large = rows();
    assertEquals(large.length, 300_000);
    assertEquals([large[299_999].path, large[299_999].size], ["file-299999.txt", 299_999]);
    assert(!await cached("/large"), "a large listing is not kept");
  }));

Deno.test("cat to a pipe: binary bytes pass unchanged", () =>
  withInspect(false, async ({ fake, deps, ctx }) => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    fake.on("GET", `/v1/inspect/${IMAGE}/download`, () => ({ bytes }));
    await catCommand(deps, { path: "/bin" });
    assertEquals(ctx.stdout.bytes(), bytes);
  }));

Deno.test("progress: sizes, ETAs, periodic lines off a terminal, the live line on one", () => {
  assertEquals(formatSize(512), "512.0 B");
  assertEquals(formatSize(1536), "1.5 KiB");
  assertEquals(formatSize(200 * 1024 * 1024), "200.0 MiB");
  assertEquals(formatEta(42), "42s");
  assertEquals(formatEta(61), "1m01s");
  assertEquals(formatEta(3725), "1h02m05s");

  const clock = new FakeClock();
  const stderr = new MemorySink();
  const log = new Logger(stderr);
  const plain = new TransferProgress({ stderr, log, clock, tty: false }, 10 * 1024 * 1024);
  clock.advance(1000);
  plain.add(1024 * 1024);
  assertEquals(stderr.text(), "", "nothing before 5 s");
  clock.advance(4000);
  plain.add(1024 * 1024);
  assertEquals(
    stderr.text(),
    "[INFO] 2.0 MiB downloaded | 20% | ETA 20s | 409.6 KiB/s\n",
  );
  plain.finish("out.bin");
  assertEquals(
    stderr.text().split("\n")[1],
    "[INFO] Written 2.0 MiB to out.bin (409.6 KiB/s)",
  );

  const unknown = new TransferProgress({ stderr: new MemorySink(), log, clock, tty: false });
  unknown.update(5 * 1024 * 1024);
  clock.advance(5000);
  assertEquals(unknown.logLine(), "5.0 MiB downloaded | 1.0 MiB/s");

  const ttySink = new MemorySink(true);
  const live = new TransferProgress(
    { stderr: ttySink, log: new Logger(ttySink), clock, tty: true },
    4096,
  );
  clock.advance(1000);
  live.add(1024);
  assertEquals(
    ttySink.text(),
    "\r\x1b[2K1.0 KiB / 4.0 KiB [######------------------]  25%  1.0 KiB/s  ETA 3s",
  );
  live.finish("x");
  assertEquals(ttySink.text().endsWith("\r\x1b[2K[INFO] Written 1.0 KiB to x (1.0 KiB/s)\n"), true);

  // A narrow terminal: the line is cut to fit (a wrapped one left a row behind per redraw), and a
  // log line while it shows clears it first (it was glued to the line).
  const narrow = new MemorySink(true, 40);
  const narrowLog = new Logger(narrow);
  const cut = new TransferProgress({ stderr: narrow, log: narrowLog, clock, tty: true }, 4096);
  clock.advance(1000);
  cut.add(1024);
  assertEquals(narrow.text(), "\r\x1b[2K1.0 KiB / 4.0 KiB [######--------------");
  narrowLog.warning("Lost contact");
  assert(
    narrow.text().endsWith("\r\x1b[2K[WARNING] Lost contact\n"),
    JSON.stringify(narrow.text()),
  );
});

Deno.test("image references: listing first, then the inspect redirect; misses are 404", async () => {
  const fake = FakeApi.start();
  try {
    const client = new ContreeClient({ url: fake.url, token: fake.token, type: "jwt" }, {
      fetch,
      clock: new FakeClock(),
      log: new Logger(new MemorySink()),
      userAgent: "test",
    });
    fake.on("GET", "/v1/images", () => ({ json: { images: [{ uuid: IMAGE, tag: "mine:1" }] } }));
    fake.on(
      "GET",
      "/v1/inspect/",
      (request) =>
        request.query.get("tag") === "pub/x:1"
          ? { status: 302, headers: { location: `${OTHER.toUpperCase()}/` } }
          : { status: 404, json: { error: "not found", status: 404 } },
    );
    assertEquals(await resolveImageRef(client, IMAGE.toUpperCase()), IMAGE);
    assertEquals(fake.requests.length, 0, "a UUID needs no request");
    assertEquals(await resolveImageRef(client, "tag:mine:1"), IMAGE);
    assertEquals(await resolveImageRef(client, "pub/x:1"), OTHER);
    const error = await assertRejects(() => resolveImageRef(client, "gone"), ApiError);
    assertEquals(error.message, "API 404 Not Found: No image with tag 'gone'");

    // A failing redirect route (not a miss) is reported as it is.
    fake.on("GET", "/v1/inspect/", () => ({ status: 403, json: { error: "no", status: 403 } }));
    await assertRejects(() => resolveImageRef(client, "other"), ApiError, "API 403");
  } finally {
    await fake.close();
  }
});

Deno.test("registry passwords are masked; short ones entirely", () => {
  assertEquals(maskSecret("s3cret-pass"), "s3c***");
  assertEquals(maskSecret("abcdef"), "***");
  assertEquals(maskSecret(""), "***");
});

Deno.test("cat: chunks that arrive while a write is in flight go out together, same bytes", async () => {
  const ctx = testContext();
  const chunks = Array.from({ length: 200 }, (_, i) => `chunk ${i} `.repeat(50));
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  let next = 0;
  // The reader asks for one more chunk only once it has handed the previous one on.
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(new TextEncoder().encode(chunks[next++]));
      else {
        controller.close();
        release(); // every chunk has reached the writer
      }
    },
  }, { highWaterMark: 0 });
  const serve = () => Promise.resolve(new Response(body));
  const client = new ContreeClient({ url: "http://127.0.0.1:9", token: "t", type: "jwt" }, {
    fetch: serve,
    streamFetch: serve,
    clock: new FakeClock(),
    log: ctx.log,
    userAgent: "test",
  });
  const written: string[] = [];
  const stdout = new MemorySink();
  // The first write waits until the whole body was read: everything after it is gathered.
  stdout.write = async (data) => {
    if (written.length === 0) await released;
    written.push(typeof data === "string" ? data : new TextDecoder().decode(data));
  };
  const deps: InspectDeps = {
    ctx: { ...ctx, stdout },
    client,
    format: "default",
    output: () => {
      throw new Error("no rows expected");
    },
    cache: () => Promise.resolve(memoryCache()),
    locate: (path) => Promise.resolve({ image: IMAGE, path: path ?? "/" }),
  };
  assertEquals(await catCommand(deps, { path: "/f" }), 0);
  assertEquals(written.join(""), chunks.join(""));
  assertEquals(written.length, 2, "the first chunk at once, the other 199 in one write");
});
