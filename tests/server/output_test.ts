// Output on the server without podman: output events stored once in the output files, their
// frames identical to inline events, the operation's log bound, gzip built from independent
// pieces (one compressed copy shared by readers at one position), and bodies that would not
// shrink sent as they are.

import { gunzipSync } from "node:zlib";
import { decodeStreamRepr, encodeStreamRepr } from "../../src/api/stream_repr.ts";
import { EventLog } from "../../src/server/events.ts";
import { deflatePiece, gzipBytes, GzipWriter } from "../../src/server/gzip.ts";
import { toResponse } from "../../src/server/http.ts";
import { OutputFiles } from "../../src/server/outputs.ts";
import { Store } from "../../src/server/store.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { prng } from "../support/prng.ts";
import { startTestServer } from "../support/server.ts";

const decoder = new TextDecoder();

async function setup(options: { maxOutputBytes?: number } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "contree-output-test-" });
  const store = Store.open(":memory:");
  const outputs = new OutputFiles(`${dir}/outputs`);
  await outputs.init();
  const log = new EventLog(store, { outputs, ...options });
  return {
    store,
    outputs,
    log,
    dir,
    close: async () => {
      outputs.closeAll();
      store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function randomBytes(size: number, seed = 7): Uint8Array {
  const random = prng(seed);
  return new Uint8Array(size).map(() => Math.floor(random() * 256));
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("output: events keep their bytes in the output file; frames equal inline events", async () => {
  const { store, outputs, log, close } = await setup();
  const inline = new EventLog(Store.open(":memory:"), { now: () => 0 });
  try {
    const op = crypto.randomUUID();
    const text = new TextEncoder().encode('line "one"\tand \\ two\n');
    const binary = randomBytes(1000);
    for (const target of [log, inline]) target.append(op, 0, "init", {});
    assertEquals(log.appendOutput(op, 1, "stdout", text), { kept: text.length, ascii: true });
    assertEquals(log.appendOutput(op, 1, "stderr", binary), { kept: 1000, ascii: false });
    inline.append(op, 1, "stdout", { ...encodeStreamRepr(text) });
    inline.append(op, 1, "stderr", { ...encodeStreamRepr(binary) });
    // The row holds a range, not the bytes; the file holds exactly the bytes.
    const rows = store.events(op, 0, 10);
    assertEquals(rows.map((row) => row.output), [
      { offset: 0, length: text.length, ascii: true },
      { offset: 0, length: 1000, ascii: false },
    ]);
    assert(rows.every((row) => row.json.length < 100), "no output in the database");
    assertEquals(outputs.read(op, 1, "stderr", 0, 2000), binary);
    const events = (body: Uint8Array) =>
      decoder.decode(body).split("\n").filter((line) => line.startsWith("data: "))
        .map((line) => JSON.parse(line.slice(6)));
    const stored = events(
      await bytesOf(log.stream(op, { after: -1, follow: false, keepaliveMs: 1000 })),
    );
    const expected = events(
      await bytesOf(inline.stream(op, { after: -1, follow: false, keepaliveMs: 1000 })),
    );
    assertEquals(stored.map(({ ts: _, ...event }) => event), expected.map(({ ts: _, ...e }) => e));
  } finally {
    await close();
  }
});

Deno.test("output: one operation's log keeps at most its bound of output", async () => {
  const { log, store, close } = await setup({ maxOutputBytes: 100 });
  try {
    const op = crypto.randomUUID();
    log.append(op, 0, "init", {});
    assertEquals(log.appendOutput(op, 1, "stdout", new Uint8Array(60).fill(0x61)).kept, 60);
    assertEquals(log.appendOutput(op, 1, "stderr", new Uint8Array(60).fill(0x62)).kept, 40);
    assertEquals(log.appendOutput(op, 2, "stdout", new Uint8Array(10).fill(0x63)).kept, 0);
    assertEquals(store.events(op, -1, 10).length, 3);
    // stdin is kept up to a quarter: a large input leaves the output its room (piping 70 MB
    // into a run used to leave its stdout nothing, "truncated").
    const fed = crypto.randomUUID();
    log.append(fed, 0, "init", {});
    assertEquals(log.appendOutput(fed, 1, "stdin", new Uint8Array(60).fill(0x61)).kept, 25);
    assertEquals(log.appendOutput(fed, 1, "stdin", new Uint8Array(10).fill(0x61)).kept, 0);
    assertEquals(log.appendOutput(fed, 1, "stdout", new Uint8Array(100).fill(0x62)).kept, 75);
  } finally {
    await close();
  }
});

Deno.test("output: gzip of independent pieces decodes whole; incompressible pieces are stored", () => {
  const text = new TextEncoder().encode(
    "the quick brown fox jumps over the lazy dog\n".repeat(5000),
  );
  const random = randomBytes(200_000);
  const writer = new GzipWriter();
  const parts = [writer.piece(text), writer.piece(random), writer.piece(text), writer.end()];
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) joined.set(part, (at += part.length) - part.length);
  const plain = new Uint8Array(gunzipSync(joined));
  assertEquals(plain.length, text.length * 2 + random.length);
  assertEquals(plain.subarray(text.length, text.length + random.length), random);
  assert(deflatePiece(text).length < text.length / 20, "text shrinks");
  // Stored blocks: a few bytes of header per block around the bytes as they are.
  const stored = deflatePiece(random);
  assert(stored.length < random.length * 1.01, `random bytes are stored: ${stored.length}`);
  assertEquals(stored.subarray(stored.length - 4), new Uint8Array([0, 0, 0xff, 0xff]));
  assertEquals(new Uint8Array(gunzipSync(gzipBytes(random))), random);
});

Deno.test("output: readers at one position share one compressed copy of the frames", async () => {
  const { log, close } = await setup();
  try {
    const op = crypto.randomUUID();
    log.append(op, 0, "init", {});
    for (let i = 0; i < 20; i++) {
      log.appendOutput(op, 1, "stdout", new TextEncoder().encode(`line ${i}\n`.repeat(2000)));
    }
    log.append(op, 0, "completion", { status: "SUCCESS" });
    const read = () =>
      bytesOf(log.stream(op, { after: -1, follow: true, keepaliveMs: 1000, gzip: true }));
    const bodies = await Promise.all(Array.from({ length: 10 }, read));
    for (const body of bodies) assertEquals(body, bodies[0]);
    const text = decoder.decode(gunzipSync(bodies[0]));
    assertEquals(text.split("\n\n").filter(Boolean).length, 22);
    // A reader resuming in the middle gets a valid gzip body of the rest.
    const resumed = await bytesOf(
      log.stream(op, { after: 10, follow: false, keepaliveMs: 1000, gzip: true }),
    );
    assertEquals(decoder.decode(gunzipSync(resumed)).split("\n\n").filter(Boolean).length, 11);
  } finally {
    await close();
  }
});

Deno.test("output: a download that would not shrink is sent as is; text is gzip'd", async () => {
  const random = randomBytes(1 << 20);
  const stream = (bytes: Uint8Array) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 65536) {
          controller.enqueue(bytes.subarray(at, at + 65536));
        }
        controller.close();
      },
    });
  const length = (bytes: Uint8Array) => ({ "content-length": String(bytes.length) });
  const raw = await toResponse({ body: stream(random), headers: length(random) }, true, "GET");
  assertEquals(raw.headers.get("content-encoding"), null);
  assertEquals(raw.headers.get("content-length"), String(random.length));
  assertEquals(new Uint8Array(await raw.arrayBuffer()), random);
  const text = new TextEncoder().encode("hello world\n".repeat(100_000));
  const packed = await toResponse({ body: stream(text), headers: length(text) }, true, "GET");
  assertEquals(packed.headers.get("content-encoding"), "gzip");
  assertEquals(packed.headers.get("content-length"), null, "it counted the plain bytes");
  assertEquals(new Uint8Array(gunzipSync(new Uint8Array(await packed.arrayBuffer()))), text);
  // An archive is gzip'd whatever it holds (clients may keep the .tar.gz).
  const archive = await toResponse({ body: stream(random), alwaysGzip: true }, true, "GET");
  assertEquals(archive.headers.get("content-encoding"), "gzip");
  assertEquals(new Uint8Array(gunzipSync(new Uint8Array(await archive.arrayBuffer()))), random);
  // JSON is gzip'd even when deflate does not shrink it (spec §1.4: every body), e.g. a short
  // record of random ids (it was sent as is).
  const ids = Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((i) => [`k${i}`, crypto.randomUUID()]));
  const json = await toResponse({ json: ids }, true, "GET");
  assertEquals(json.headers.get("content-encoding"), "gzip");
  assertEquals(
    JSON.parse(decoder.decode(gunzipSync(new Uint8Array(await json.arrayBuffer())))),
    ids,
  );
  // HEAD: an identity GET's headers, no body.
  const head = await toResponse({ json: ids }, true, "HEAD");
  assertEquals(head.headers.get("content-encoding"), null);
  assertEquals(head.headers.get("content-length"), String(JSON.stringify(ids).length));
  assertEquals((await head.arrayBuffer()).byteLength, 0);
});

Deno.test("output: the record reads its output from the files, streamed when it is large", async () => {
  const s = await startTestServer();
  try {
    const uuid = crypto.randomUUID();
    const text = new TextEncoder().encode('say "hi"\tto \\ the\r\nworld\n'.repeat(200_000));
    const binary = randomBytes(3 << 20);
    const dir = `${s.dataDir}/outputs/${uuid.slice(0, 2)}`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeFile(`${dir}/${uuid}.1.stdout`, text);
    await Deno.writeFile(`${dir}/${uuid}.1.stderr`, binary);
    s.server.store.insertOperation({
      uuid,
      kind: "instance",
      status: "SUCCESS",
      error: null,
      created_at: new Date().toISOString(),
      started_at: null,
      finished_at: null,
      duration: 1,
      image_uuid: null,
      result_image_uuid: null,
      result_tag: null,
      image_size: 0,
      metadata: { command: "x", result: { state: { exit_code: 0 } } },
      outputs: {
        stdout: { spid: 1, stream: "stdout", bytes: text.length, ascii: true, truncated: true },
        stderr: { spid: 1, stream: "stderr", bytes: binary.length, ascii: false, truncated: false },
      },
    });
    const response = await s.fetch(`/operations/${uuid}`);
    assertEquals(response.headers.get("content-length"), null, "streamed");
    const op = await response.json();
    assertEquals(op.metadata.result.state, { exit_code: 0 });
    assertEquals(op.metadata.result.stdout.encoding, "ascii");
    assertEquals(op.metadata.result.stdout.truncated, true);
    assertEquals(op.metadata.result.stdout.value, decoder.decode(text));
    assertEquals(op.metadata.result.stderr.encoding, "base64");
    assertEquals(decodeStreamRepr(op.metadata.result.stderr), binary);
    // HEAD says what the GET says: no length (it was `content-length: 0`, "empty").
    const head = await s.fetch(`/operations/${uuid}`, { method: "HEAD" });
    assertEquals([head.status, head.headers.get("content-length")], [200, null]);
    assertEquals(head.headers.get("content-type"), "application/json");
  } finally {
    await s.cleanup();
  }
});
