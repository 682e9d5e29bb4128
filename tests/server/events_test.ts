// The event log without podman: ids, replay, resume, filters, live following, keepalives,
// shutdown, and identical bytes for many followers.

import { EventLog, KEEPALIVE_FRAME, sseFrame } from "../../src/server/events.ts";
import { Store } from "../../src/server/store.ts";
import { assert, assertEquals } from "../support/assert.ts";

const decoder = new TextDecoder();

function setup() {
  const store = Store.open(":memory:");
  const log = new EventLog(store);
  return { store, log };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return decoder.decode(new Uint8Array(await new Response(stream).arrayBuffer()));
}

/** The JSON payloads of the frames in an SSE text. */
function payloads(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((line) => line.startsWith("data: ")).map((line) =>
    JSON.parse(line.slice(6))
  );
}

Deno.test("events: ids count from 0 and frames repeat the JSON id and type", async () => {
  const { store, log } = setup();
  const op = crypto.randomUUID();
  log.append(op, 0, "init", { started_at: "x" });
  log.append(op, 1, "stdout", { value: "hi\n", encoding: "ascii" });
  log.append(op, 0, "completion", { status: "SUCCESS" });
  const text = await readAll(log.stream(op, { after: -1, follow: false, keepaliveMs: 1000 }));
  const frames = text.split("\n\n").filter(Boolean);
  assertEquals(frames.length, 3);
  for (const [index, frame] of frames.entries()) {
    const [id, event, data] = frame.split("\n");
    const json = JSON.parse(data.slice("data: ".length));
    assertEquals(id, `id: ${index}`);
    assertEquals(event, `event: ${json.type}`);
    assertEquals(json.id, index);
  }
  assertEquals(payloads(text).map((p) => p.type), ["init", "stdout", "completion"]);
  store.close();
});

Deno.test("events: Last-Event-Id replays only greater ids; spid filters but keeps completion", async () => {
  const { store, log } = setup();
  const op = crypto.randomUUID();
  log.append(op, 0, "init", {});
  log.append(op, 1, "spawn", {});
  log.append(op, 1, "stdout", { value: "a", encoding: "ascii" });
  log.append(op, 0, "shutdown", {});
  log.append(op, 0, "completion", { status: "SUCCESS" });
  const resumed = payloads(
    await readAll(log.stream(op, { after: 2, follow: true, keepaliveMs: 1000 })),
  );
  assertEquals(resumed.map((p) => p.id), [3, 4]);
  const filtered = payloads(
    await readAll(log.stream(op, { after: -1, spid: 1, follow: false, keepaliveMs: 1000 })),
  );
  assertEquals(filtered.map((p) => p.type), ["spawn", "stdout", "completion"]);
  store.close();
});

Deno.test("events: without follow an unfinished log is replayed and closed", async () => {
  const { store, log } = setup();
  const op = crypto.randomUUID();
  assert(!log.exists(op));
  log.append(op, 0, "init", {});
  assert(log.exists(op));
  const text = await readAll(log.stream(op, { after: -1, follow: false, keepaliveMs: 1000 }));
  assertEquals(payloads(text).map((p) => p.type), ["init"]);
  store.close();
});

Deno.test("events: a follower receives live events and ends after completion", async () => {
  const { store, log } = setup();
  const op = crypto.randomUUID();
  log.append(op, 0, "init", {});
  const reader = log.stream(op, { after: -1, follow: true, keepaliveMs: 60_000 }).getReader();
  assertEquals(payloads(decoder.decode((await reader.read()).value)).map((p) => p.id), [0]);
  const next = reader.read(); // waiting for an event that does not exist yet
  log.append(op, 1, "stdout", { value: "x", encoding: "ascii" });
  assertEquals(payloads(decoder.decode((await next).value)).map((p) => p.type), ["stdout"]);
  log.append(op, 0, "completion", { status: "SUCCESS" });
  assertEquals(payloads(decoder.decode((await reader.read()).value)).map((p) => p.type), [
    "completion",
  ]);
  assert((await reader.read()).done, "the stream closes after completion");
  store.close();
});

Deno.test("events: a follower resuming at or past the completion gets a closed stream", async () => {
  const { store, log } = setup();
  const op = crypto.randomUUID();
  log.append(op, 0, "init", {});
  log.append(op, 0, "completion", { status: "SUCCESS" });
  for (const after of [1, 99_999]) {
    // A stream left open sends a keepalive within 10 ms, and never ends.
    const reader = log.stream(op, { after, follow: true, keepaliveMs: 10 }).getReader();
    const first = await reader.read();
    assert(first.done, `Last-Event-Id ${after}: ${decoder.decode(first.value)}`);
  }
  store.close();
});

Deno.test("events: an idle follower gets keepalive comments", async () => {
  const { store, log } = setup();
  const op = crypto.randomUUID();
  log.append(op, 0, "init", {});
  const reader = log.stream(op, { after: 0, follow: true, keepaliveMs: 10 }).getReader();
  assertEquals(decoder.decode((await reader.read()).value), KEEPALIVE_FRAME);
  assertEquals(decoder.decode((await reader.read()).value), KEEPALIVE_FRAME);
  await reader.cancel();
  store.close();
});

Deno.test("events: close() ends followers without a completion frame", async () => {
  const { store, log } = setup();
  const op = crypto.randomUUID();
  log.append(op, 0, "init", {});
  const text = readAll(log.stream(op, { after: 0, follow: true, keepaliveMs: 60_000 }));
  log.close();
  assertEquals(await text, "");
  store.close();
});

Deno.test("events: fifty followers receive identical bytes", async () => {
  const { store, log } = setup();
  const op = crypto.randomUUID();
  log.append(op, 0, "init", {});
  const followers = Array.from(
    { length: 50 },
    () => readAll(log.stream(op, { after: -1, follow: true, keepaliveMs: 60_000 })),
  );
  for (let i = 0; i < 300; i++) {
    log.append(op, 1, i % 2 ? "stdout" : "stderr", { value: `line ${i}\n`, encoding: "ascii" });
    if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  log.append(op, 0, "completion", { status: "SUCCESS" });
  const texts = await Promise.all(followers);
  const expected = store.events(op, -1, 1000).map(sseFrame).join("");
  for (const text of texts) assertEquals(text, expected);
  assertEquals(payloads(expected).length, 302);
  store.close();
});
