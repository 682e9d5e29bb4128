// The throughput pieces of a streamed run: byte-stream bodies read into one reused buffer, and
// live output handed to stdout/stderr in few large writes without losing order or errors.

import type { Operation, OperationEvent } from "../../src/api/models.ts";
import { decodeStreamRepr, encodeStreamRepr } from "../../src/api/stream_repr.ts";
import { CoalescingWriter, MemorySink, type Sink } from "../../src/io.ts";
import { OutputSink } from "../../src/operations/live_output.ts";
import { readSseItems } from "../../src/sse/frames.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { testContext } from "../support/context.ts";

const encoder = new TextEncoder();

function outputEvent(id: number, type: "stdout" | "stderr", text: string): OperationEvent {
  return {
    id,
    ts: "2026-06-08T20:00:00Z",
    spid: 1,
    type,
    data: encodeStreamRepr(encoder.encode(text)) as unknown as Record<string, unknown>,
  };
}

/** A byte stream (like a fetch body) that fills each read with at most `step` bytes. */
function byteStream(bytes: Uint8Array, step: number, seen: { byob: number }) {
  let at = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller: ReadableByteStreamController) {
      if (at >= bytes.length) {
        controller.close();
        controller.byobRequest?.respond(0);
        return;
      }
      const request = controller.byobRequest;
      if (request?.view) {
        seen.byob++;
        const view = new Uint8Array(
          request.view.buffer,
          request.view.byteOffset,
          request.view.byteLength,
        );
        const n = Math.min(step, view.length, bytes.length - at);
        view.set(bytes.subarray(at, at + n));
        at += n;
        request.respond(n);
      } else {
        const n = Math.min(step, bytes.length - at);
        controller.enqueue(bytes.slice(at, at + n));
        at += n;
      }
    },
  });
}

Deno.test("frames: a byte stream is read into a reused buffer, split anywhere", async () => {
  const texts = Array.from({ length: 40 }, (_, i) => `line ${i}: 10 € — ünïcödé ✓\n`);
  const frames = texts.map((text, i) => {
    const event = outputEvent(i, "stdout", text);
    return `id: ${i}\nevent: stdout\ndata: ${JSON.stringify(event)}\n\n`;
  });
  const seen = { byob: 0 };
  // 7-byte reads cut frames, lines and multi-byte characters in every possible place.
  const items = [];
  for await (const item of readSseItems(byteStream(encoder.encode(frames.join("")), 7, seen))) {
    items.push(item);
  }
  assert(seen.byob > 0, "the body was read with a BYOB reader");
  assertEquals(items.length, texts.length);
  assertEquals(
    items.map((item) =>
      item.kind === "event"
        ? new TextDecoder().decode(decodeStreamRepr(item.event.data))
        : item.kind
    ),
    texts,
  );
});

/** A sink whose writes take a macrotask each; records what it was given, in order. */
function slowSink(log: string[], name: string): Sink & { writes: number } {
  const decoder = new TextDecoder();
  const sink = {
    writes: 0,
    isTerminal: false,
    columns: () => undefined,
    drain: () => Promise.resolve(),
    async write(data: Uint8Array | string) {
      sink.writes++;
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.push(`${name}:${typeof data === "string" ? data : decoder.decode(data)}`);
    },
  };
  return sink;
}

Deno.test("coalescing writer: bytes gathered while a write is in flight, in order", async () => {
  const log: string[] = [];
  const sink = slowSink(log, "out");
  const writer = new CoalescingWriter(sink);
  for (let i = 0; i < 100; i++) await writer.write(encoder.encode(`${i},`));
  await writer.drain();
  assertEquals(
    log.map((entry) => entry.slice(4)).join(""),
    Array.from({ length: 100 }, (_, i) => `${i},`).join(""),
  );
  assert(sink.writes < 10, `100 chunks took ${sink.writes} writes`);
});

Deno.test("coalescing writer: text and bytes, small and past the buffer, keep order and bytes", async () => {
  const log: string[] = [];
  const sink = slowSink(log, "out");
  const writer = new CoalescingWriter(sink);
  const big = "€ünï ".repeat(300_000); // 3.3 MB of UTF-8, more than the writer gathers
  const parts: (string | Uint8Array)[] = [
    "a",
    encoder.encode("b€"),
    big,
    "ü",
    encoder.encode(big),
    "z",
  ];
  for (const part of parts) await writer.write(part);
  await writer.drain();
  const expected = parts.map((p) => typeof p === "string" ? p : new TextDecoder().decode(p));
  assertEquals(log.map((entry) => entry.slice(4)).join(""), expected.join(""));
  assert(sink.writes <= 6, `${sink.writes} writes`);
});

Deno.test("coalescing writer: a failed write is thrown by the next write and by drain", async () => {
  let calls = 0;
  const failing: Sink = {
    isTerminal: false,
    columns: () => undefined,
    drain: () => Promise.resolve(),
    write() {
      calls++;
      return Promise.reject(new Deno.errors.BrokenPipe("broken pipe"));
    },
  };
  const writer = new CoalescingWriter(failing);
  await writer.write(encoder.encode("first"));
  await assertRejects(() => writer.drain(), Deno.errors.BrokenPipe);
  await assertRejects(() => writer.write(encoder.encode("second")), Deno.errors.BrokenPipe);
  assertEquals(calls, 1, "nothing is written after a failure");
});

Deno.test("live output keeps its order across stdout and stderr", async () => {
  const log: string[] = [];
  const ctx = testContext();
  ctx.stdout.write = slowSink(log, "out").write;
  ctx.stderr.write = slowSink(log, "err").write;
  const output = new OutputSink(ctx, { stdout: ctx.stdout, stderr: ctx.stderr });
  const events = [
    outputEvent(0, "stdout", "a"),
    outputEvent(1, "stdout", "b"),
    outputEvent(2, "stderr", "c"),
    outputEvent(3, "stdout", "d"),
    outputEvent(4, "stderr", "e"),
    outputEvent(5, "stderr", "f"),
  ];
  for (const event of events) await output.onEvent(event);
  await output.drain();
  // Consecutive chunks of one stream may be merged; the interleaving is kept.
  assertEquals(
    log.map((entry) => entry.split(":")[0]).filter((s, i, all) => s !== all[i - 1]),
    ["out", "err", "out", "err"],
  );
  assertEquals(log.map((entry) => entry.split(":")[1]).join(""), "abcdef");
});

Deno.test("stream repr: base64 with line breaks and spaces decodes; bad base64 is empty", () => {
  const text = new TextDecoder();
  assertEquals(
    text.decode(decodeStreamRepr({ value: "aGVs\nbG8g d29y\r\n\tbGQ=", encoding: "base64" })),
    "hello world",
  );
  assertEquals(decodeStreamRepr({ value: "not*base64", encoding: "base64" }).length, 0);
});

function record(stdout: string, stderr: string, truncated = false): Operation {
  return {
    uuid: "u",
    status: "SUCCESS",
    metadata: {
      result: {
        stdout: { ...encodeStreamRepr(encoder.encode(stdout)), truncated },
        stderr: { ...encodeStreamRepr(encoder.encode(stderr)), truncated: false },
      },
    },
  };
}

Deno.test("recovery: what the record holds beyond the delivered bytes is written once, per stream", async () => {
  const ctx = testContext();
  const stdout = new MemorySink();
  const stderr = new MemorySink();
  const output = new OutputSink(ctx, { stdout, stderr });
  await output.onEvent(outputEvent(1, "stdout", "one\n"));
  await output.onEvent(outputEvent(2, "stderr", "e1\n"));
  // A subprocess's output (spid 2) is shown but is not part of the main process's record.
  await output.onEvent({ ...outputEvent(3, "stdout", "sub\n"), spid: 2 });
  await output.recover(record("one\ntwo\nthree\n", "e1\n"), false);
  await output.recover(record("one\ntwo\nthree\n", "e1\n"), false);
  assertEquals(new TextDecoder().decode(stdout.bytes()), "one\nsub\ntwo\nthree\n");
  assertEquals(new TextDecoder().decode(stderr.bytes()), "e1\n");
  assertEquals(ctx.stderr.text(), "", "nothing was lost: no warning");
});

Deno.test("recovery: delivered text is counted in UTF-8 bytes, as written", async () => {
  const ctx = testContext();
  const stdout = new MemorySink();
  const output = new OutputSink(ctx, { stdout, stderr: new MemorySink() });
  // Text a lenient server sends as is (not base64), then raw bytes: 4 + 4 bytes delivered.
  await output.onEvent({
    ...outputEvent(1, "stdout", ""),
    data: { value: "né\n", encoding: "ascii" },
  });
  await output.onEvent(outputEvent(2, "stdout", "€\n"));
  await output.recover(record("né\n€\nmore\n", ""), true);
  assertEquals(new TextDecoder().decode(stdout.bytes()), "né\n€\nmore\n");
});

Deno.test("recovery: a record shorter than the stream writes nothing; none at all changes nothing", async () => {
  const ctx = testContext();
  const stdout = new MemorySink();
  const output = new OutputSink(ctx, { stdout, stderr: new MemorySink() });
  await output.onEvent(outputEvent(1, "stdout", "streamed more\n"));
  await output.recover(record("streamed", ""), true);
  await output.recover(undefined, false);
  assertEquals(new TextDecoder().decode(stdout.bytes()), "streamed more\n");
});

Deno.test("recovery: a truncated record after a cut stream is one warning naming the stream and the bytes", async () => {
  const ctx = testContext();
  const output = new OutputSink(
    ctx,
    { stdout: new MemorySink(), stderr: new MemorySink() },
    "(raise -T)",
  );
  await output.onEvent(outputEvent(1, "stdout", "abc"));
  await output.recover(record("abcdefgh", "", true), false);
  assertEquals(
    ctx.stderr.text(),
    "[WARNING] stdout truncated: only the first 8 bytes were kept; the rest is lost (raise -T)\n",
  );

  // The log reported the truncation itself: no second warning.
  const reported = testContext();
  const again = new OutputSink(reported, { stdout: new MemorySink(), stderr: new MemorySink() });
  await again.onEvent({
    id: 2,
    ts: "",
    spid: 1,
    type: "truncated",
    data: { stream: "stdout", bytes_emitted: 8, bytes_dropped: 5 },
  });
  await again.recover(record("abcdefgh", "", true), false);
  assertEquals(reported.stderr.text(), "[WARNING] stdout truncated: 5 bytes dropped\n");
});
