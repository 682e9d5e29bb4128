import { ContreeClient } from "../../src/api/client.ts";
import { ApiError, DeadlineError } from "../../src/api/errors.ts";
import { nodeStreamFetch } from "../../src/api/transport.ts";
import type { OperationEvent } from "../../src/api/models.ts";
import { decodeStreamRepr } from "../../src/api/stream_repr.ts";
import { type Clock, systemClock } from "../../src/context.ts";
import { MemorySink, type Sink } from "../../src/io.ts";
import { Logger } from "../../src/log.ts";
import { LostContact } from "../../src/sse/contact.ts";
import { followOperation, pollOperation } from "../../src/sse/follow.ts";
import { readSseItems } from "../../src/sse/frames.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { FaultProxy } from "../support/fault_proxy.ts";
import { FakeClock } from "../support/context.ts";
import { FakeApi } from "../support/fake_api.ts";
import { installEventLog, type Interruption, runEvents } from "../support/fake_events.ts";

const OP = "87654321-9abc-baba-deda-0123456789ab";

/** The transports that can carry an event stream: fetch (behind a proxy) and the default. */
const TRANSPORTS = { "node:http": nodeStreamFetch, fetch: undefined } as const;

function clientFor(
  server: { url: string; token?: string },
  clock: Clock = new FakeClock(),
  log: Sink = new MemorySink(),
  streamFetch: typeof fetch | undefined = nodeStreamFetch,
): ContreeClient {
  return new ContreeClient({ url: server.url, token: server.token ?? "t", type: "jwt" }, {
    fetch,
    streamFetch,
    clock,
    log: new Logger(log, "info"),
    userAgent: "test",
  });
}

/** Follows and collects the bytes of stdout/stderr and the ids of every delivered event. */
async function collect(client: ContreeClient, options: { timeoutMs?: number } = {}) {
  const ids: number[] = [];
  const stdout: number[] = [];
  const stderr: number[] = [];
  const result = await followOperation(client, OP, {
    ...options,
    onEvent(event: OperationEvent) {
      ids.push(event.id);
      if (event.type === "stdout") stdout.push(...decodeStreamRepr(event.data));
      if (event.type === "stderr") stderr.push(...decodeStreamRepr(event.data));
    },
  });
  return { result, ids, stdout: new Uint8Array(stdout), stderr: new Uint8Array(stderr) };
}

// Output with multi-byte characters split across chunks, and bytes that force base64.
const euro = new TextEncoder().encode("€uro ünïcödé ✓\n");
const CHUNKS = [
  { stream: "stdout" as const, bytes: "plain ascii line\n" },
  { stream: "stdout" as const, bytes: euro.slice(0, 1) },
  { stream: "stdout" as const, bytes: euro.slice(1, 7) },
  { stream: "stderr" as const, bytes: "warning\n" },
  { stream: "stdout" as const, bytes: euro.slice(7) },
  { stream: "stdout" as const, bytes: new Uint8Array([0, 1, 2, 255, 10]) },
];
const EXPECTED_STDOUT = new Uint8Array([
  ...new TextEncoder().encode("plain ascii line\n"),
  ...euro,
  0,
  1,
  2,
  255,
  10,
]);

async function withFake(fn: (fake: FakeApi) => Promise<void>) {
  const fake = FakeApi.start();
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

Deno.test("follow: one connection, events in order, completion ends it without a GET", () =>
  withFake(async (fake) => {
    const events = runEvents(CHUNKS, { code: 3 });
    const log = installEventLog(fake, OP, events);
    const { result, ids, stdout, stderr } = await collect(clientFor(fake));
    assertEquals(ids, events.map((e) => e.id));
    assertEquals(stdout, EXPECTED_STDOUT);
    assertEquals(new TextDecoder().decode(stderr), "warning\n");
    assertEquals(result.completion.data.status, "SUCCESS");
    assertEquals(result.exit?.data.code, 3);
    assertEquals(result.streamed, true);
    assertEquals(log.connections, [{ lastEventId: null, follow: "1" }]);
    assertEquals(fake.calls("GET", `/v1/operations/${OP}`).length, 0);
    const request = fake.calls("GET", `/v1/operations/${OP}/events`)[0];
    assertEquals(request.headers.get("accept"), "text/event-stream");
    assertEquals(request.headers.get("accept-encoding"), "gzip");
  }));

for (
  const [how, transport] of (["drop", "truncateGzip", "sseError", "close"] as Interruption[])
    .flatMap((how) => Object.keys(TRANSPORTS).map((t) => [how, t] as const))
) {
  Deno.test(`follow (${transport}): resumes after ${how} with Last-Event-Id; output byte-identical`, () =>
    withFake(async (fake) => {
      const events = runEvents(CHUNKS);
      const log = installEventLog(fake, OP, events, {
        interruptions: [{ after: 3, how }, { after: 2, how }, { after: 0, how }],
      });
      const clock = new FakeClock();
      const client = clientFor(
        fake,
        clock,
        undefined,
        TRANSPORTS[transport as keyof typeof TRANSPORTS],
      );
      const { result, ids, stdout } = await collect(client);
      assertEquals(ids, events.map((e) => e.id), "no duplicate, no gap");
      assertEquals(stdout, EXPECTED_STDOUT);
      assertEquals(result.completion.data.status, "SUCCESS");
      assertEquals(log.connections.map((c) => c.lastEventId), [null, "2", "4", "4"]);
      // Progress reconnects at once; the cycle that delivered nothing waits the 0.5 s floor.
      assertEquals(clock.sleeps, [500]);
      assertEquals(
        fake.calls("GET", `/v1/operations/${OP}`).length,
        3,
        "a status probe after every broken cycle",
      );
    }));
}

Deno.test("follow: 425 then 410 with Retry-After, then the stream", () =>
  withFake(async (fake) => {
    const events = runEvents([{ stream: "stdout", bytes: "hi\n" }]);
    installEventLog(fake, OP, events);
    fake.script(
      "GET",
      `/v1/operations/${OP}/events`,
      { status: 425, json: { error: "too early", status: 425 } },
      { status: 410, headers: { "retry-after": "2" }, json: { error: "gone", status: 410 } },
    );
    const clock = new FakeClock();
    const { result, stdout } = await collect(clientFor(fake, clock));
    assertEquals(new TextDecoder().decode(stdout), "hi\n");
    assertEquals(result.completion.data.status, "SUCCESS");
    assertEquals(clock.sleeps, [500, 2000]);
  }));

Deno.test("follow: a long Retry-After is waited probing the operation: no lost contact, no wait past its end", () =>
  withFake(async (fake) => {
    const events = runEvents([{ stream: "stdout", bytes: "hi\n" }]);
    let probes = 0;
    installEventLog(fake, OP, events);
    fake.on("GET", `/v1/operations/${OP}`, () => ({
      json: { uuid: OP, kind: "instance", status: ++probes < 3 ? "EXECUTING" : "SUCCESS" },
    }));
    fake.script("GET", `/v1/operations/${OP}/events`, {
      status: 503,
      headers: { "retry-after": "40" },
      json: { error: "busy", status: 503 },
    });
    const clock = new FakeClock();
    const log = new MemorySink();
    const { result } = await collect(clientFor(fake, clock, log));
    assertEquals(result.operation?.status, "SUCCESS");
    // Was: one 40 s sleep (the run's output held back, and its end unnoticed), warning of lost
    // contact with a server that answered every probe.
    const slept = clock.sleeps.reduce((sum, ms) => sum + ms, 0);
    assert(slept < 40_000, `slept ${clock.sleeps}`);
    assertEquals(log.text().includes("Lost contact"), false, log.text());
  }));

Deno.test("follow: events route 404 → polls the operation and synthesises the completion", () =>
  withFake(async (fake) => {
    let polls = 0;
    fake.on(
      "GET",
      `/v1/operations/${OP}/events`,
      () => ({ status: 404, json: { error: "no route", status: 404 } }),
    );
    fake.on("GET", `/v1/operations/${OP}`, () => ({
      json: polls++ < 3 ? { uuid: OP, status: "EXECUTING" } : {
        uuid: OP,
        status: "FAILED",
        error: "boom",
        duration: 2.25,
        result_image_uuid: null,
        image_size: 9,
      },
    }));
    const clock = new FakeClock();
    const { result, ids } = await collect(clientFor(fake, clock));
    assertEquals(result.streamed, false);
    assertEquals(result.completion.data, {
      status: "FAILED",
      result_image_uuid: null,
      error: "boom",
      duration_ms: 2250,
      image_size_bytes: 9,
    });
    assertEquals(result.completion.id, 0);
    assertEquals(ids, [], "a synthesised completion from polling is not an event of the log");
    assertEquals(result.operation?.error, "boom");
    assertEquals(
      fake.calls("GET", `/v1/operations/${OP}/events`).length,
      1,
      "the events route is not touched again",
    );
    assertEquals(clock.sleeps, [100, 200, 500]);
  }));

Deno.test("follow: 403 fails at once with a single request", () =>
  withFake(async (fake) => {
    fake.on(
      "GET",
      `/v1/operations/${OP}/events`,
      () => ({ status: 403, json: { error: "forbidden", status: 403 } }),
    );
    await assertRejects(() => collect(clientFor(fake)), ApiError, "API 403 Forbidden: forbidden");
    assertEquals(fake.requests.length, 1);
  }));

Deno.test("follow: a keepalive-only stream ends at the deadline", () =>
  withFake(async (fake) => {
    installEventLog(fake, OP, runEvents([]), {
      interruptions: Array(50).fill({ after: 0, how: "keepalivesOnly" }),
    });
    const error = await assertRejects(
      () => collect(clientFor(fake, systemClock), { timeoutMs: 300 }),
      DeadlineError,
      `operation ${OP} events did not complete within 0.3s`,
    );
    assert(error);
  }));

Deno.test("follow: id-only frames advance the resume cursor", () =>
  withFake(async (fake) => {
    const events = runEvents([{ stream: "stdout", bytes: "a" }]);
    const completion = events[events.length - 1];
    let connection = 0;
    const lastIds: (string | null)[] = [];
    fake.on("GET", `/v1/operations/${OP}/events`, (request) => {
      lastIds.push(request.headers.get("last-event-id"));
      return connection++ === 0
        ? { events: [{ frame: events[0] }, { idOnly: 1 }, { idOnly: 2 }, { drop: true }] }
        : {
          events: events.filter((e) => e.id > Number(request.headers.get("last-event-id"))).map((
            frame,
          ) => ({ frame })),
        };
    });
    fake.on("GET", `/v1/operations/${OP}`, () => ({ json: { uuid: OP, status: "EXECUTING" } }));
    const { ids, result } = await collect(clientFor(fake));
    assertEquals(lastIds, [null, "2"]);
    assertEquals(ids, [0, ...events.filter((e) => e.id > 2).map((e) => e.id)]);
    assertEquals(result.completion.id, completion.id);
  }));

Deno.test("follow: terminal probe after a clean close drains the retained log once, without follow", () =>
  withFake(async (fake) => {
    const events = runEvents(CHUNKS);
    const log = installEventLog(fake, OP, events, {
      interruptions: [{ after: 4, how: "close" }],
      terminalAfterConnections: 1,
    });
    const { ids, stdout, result } = await collect(clientFor(fake));
    assertEquals(ids, events.map((e) => e.id));
    assertEquals(stdout, EXPECTED_STDOUT);
    assertEquals(log.connections, [{ lastEventId: null, follow: "1" }, {
      lastEventId: "3",
      follow: null,
    }]);
    assertEquals(result.operation?.status, "SUCCESS");
    assertEquals(result.streamed, true);
  }));

Deno.test("frames: comments skipped, multi-line data joined, JSON id wins, EOF frame dispatched", async () => {
  const body = [
    ": keepalive\n\n",
    'id: 9\r\nevent: stdout\r\ndata: {"id": 4, "type": "stdout",\r\ndata:  "data": {"value": "x"}}\r\n\r\n',
    "event: sse_error\ndata: upstream closed\n\n",
    'id: 5\nevent: exit\ndata: {"type": "exit", "data": {"code": 1}}',
  ].join("");
  const stream = new Blob([body]).stream();
  const items = [];
  for await (const item of readSseItems(stream)) items.push(item);
  assertEquals(items.map((i) => i.kind), ["event", "error", "event"]);
  assert(items[0].kind === "event" && items[0].event.id === 4 && items[0].event.type === "stdout");
  assertEquals(items[1], { kind: "error", message: "upstream closed" });
  assert(items[2].kind === "event" && items[2].event.id === 5 && items[2].event.data.code === 1);
});

Deno.test("frames: invalid JSON ends the stream as invalid (the follower reconnects)", async () => {
  const stream = new Blob(["id: 1\ndata: {not json\n\nid: 2\ndata: {}\n\n"]).stream();
  const items = [];
  for await (const item of readSseItems(stream)) items.push(item);
  assertEquals(items.map((i) => i.kind), ["invalid"]);
});

Deno.test("follow: a drain that breaks too keeps draining while it makes progress", () =>
  withFake(async (fake) => {
    const events = runEvents(CHUNKS);
    const log = installEventLog(fake, OP, events, {
      interruptions: [{ after: 2, how: "close" }, { after: 2, how: "drop" }, {
        after: 1,
        how: "truncateGzip",
      }],
      terminalAfterConnections: 1,
    });
    const { ids, stdout, result } = await collect(clientFor(fake));
    assertEquals(ids, events.map((e) => e.id), "nothing lost, nothing twice");
    assertEquals(stdout, EXPECTED_STDOUT);
    assertEquals(result.completion.data.status, "SUCCESS");
    assertEquals(log.connections.map((c) => [c.lastEventId, c.follow]), [
      [null, "1"],
      ["1", null],
      ["3", null],
      ["4", null],
    ]);
  }));

Deno.test("follow: a drain that keeps failing ends with the terminal record, not a bare completion", () =>
  withFake(async (fake) => {
    const events = runEvents(CHUNKS, { code: 7 });
    const log = installEventLog(fake, OP, events, {
      interruptions: [{ after: 4, how: "close" }],
      terminalAfterConnections: 1,
      operation: {
        metadata: {
          result: { state: { exit_code: 7 }, stdout: { value: "x", encoding: "ascii" } },
        },
      },
    });
    // Every connection after the first (the drain) answers 503.
    fake.on("GET", `/v1/operations/${OP}/events`, (request) => {
      log.connections.push({ lastEventId: request.headers.get("last-event-id"), follow: null });
      return log.connections.length === 1
        ? { events: events.slice(0, 4).map((frame) => ({ frame })) }
        : { status: 503, json: { error: "busy", status: 503 } };
    });
    const clock = new FakeClock();
    const { result, ids } = await collect(clientFor(fake, clock));
    assertEquals(ids, [0, 1, 2, 3], "the synthesised completion is not an event of the log");
    assertEquals(result.completionFrom, "record");
    assertEquals(result.operation?.metadata?.result?.state?.exit_code, 7);
    assertEquals(result.completion.data.status, "SUCCESS");
    assertEquals(clock.sleeps, [100, 200, 500], "three drain passes, then the record");
  }));

for (
  const [why, events] of [
    ["no exit event", runEvents(CHUNKS).filter((e) => e.type !== "exit")],
    ["no output event", runEvents([])],
    ["an id skipped", runEvents(CHUNKS).filter((e) => e.id !== 3)],
  ] as const
) {
  Deno.test(`follow: a completed log with ${why} fetches the record too`, () =>
    withFake(async (fake) => {
      installEventLog(fake, OP, [...events]);
      const { result } = await collect(clientFor(fake));
      assertEquals(result.completionFrom, "log");
      // Read again while it lags behind the log (the fake turns terminal just after the frame).
      assertEquals(result.operation?.status, "SUCCESS");
      assert(fake.calls("GET", `/v1/operations/${OP}`).length >= 1);
    }));
}

Deno.test("follow: the server gone → a warning at 10 s, again each minute, LostContact at the limit", () =>
  withFake(async (fake) => {
    const url = fake.url;
    await fake.close();
    const clock = new FakeClock();
    const sink = new MemorySink();
    const client = clientFor({ url }, clock, sink);
    const error = await assertRejects(
      () =>
        followOperation(client, OP, {
          contact: { lostAfterMs: 10_000, warnEveryMs: 60_000, giveUpAfterMs: 150_000 },
        }),
      LostContact,
    );
    assertEquals(
      (error as Error).message,
      `No contact with ${url} for 150s; operation ${OP} was left running on the server. ` +
        `Pick it up later with: contree op wait ${OP}`,
    );
    const warning = `[WARNING] Lost contact with ${url}; retrying (operation ${OP} keeps ` +
      "running; Ctrl-C cancels it)\n";
    assertEquals(sink.text(), warning.repeat(3), "at 10 s, 70 s and 130 s");
    assertEquals(clock.monotonic(), 150_000, "sleeps are cut to the limit");
  }));

Deno.test("follow: contact back after the warning is one [INFO] line; the follow goes on", () =>
  withFake(async (fake) => {
    const events = runEvents(CHUNKS, { code: 2 });
    installEventLog(fake, OP, events);
    const proxy = new FaultProxy({ hostname: "127.0.0.1", port: fake.port });
    proxy.down();
    const clock = new FakeClock();
    const lines: string[] = [];
    // The server comes back as soon as the warning is out.
    const sink = new class extends MemorySink {
      override write(data: Uint8Array | string) {
        const text = typeof data === "string" ? data : new TextDecoder().decode(data);
        lines.push(text);
        if (text.startsWith("[WARNING]")) void proxy.up();
        return Promise.resolve();
      }
    }();
    const client = clientFor({ url: proxy.url, token: fake.token }, clock, sink);
    try {
      const result = await followOperation(client, OP);
      assertEquals(result.exit?.data.code, 2);
      assertEquals(lines.length, 2);
      assertStringIncludes(lines[0], `[WARNING] Lost contact with ${proxy.url}`);
      assertEquals(lines[1], `[INFO] Contact with ${proxy.url} is back\n`);
    } finally {
      await proxy.close();
    }
  }));

const SHORT = { lostAfterMs: 150, warnEveryMs: 60_000, giveUpAfterMs: 900 };

Deno.test("follow: a server that takes requests and never answers → warning, then LostContact (real time)", () =>
  withFake(async (fake) => {
    const proxy = new FaultProxy(
      { hostname: "127.0.0.1", port: fake.port },
      () => ({ hang: true }),
    );
    const sink = new MemorySink();
    const client = clientFor({ url: proxy.url, token: fake.token }, systemClock, sink);
    try {
      await assertRejects(() => followOperation(client, OP, { contact: SHORT }), LostContact);
      assertStringIncludes(sink.text(), "[WARNING] Lost contact with");
      assertEquals(sink.text().split("\n").filter(Boolean).length, 1);
    } finally {
      await proxy.close();
    }
  }));

Deno.test("follow: a quiet live stream gets heartbeats; a terminal one ends it and the log is drained", () =>
  withFake(async (fake) => {
    const events = runEvents([{ stream: "stdout", bytes: "late\n" }], { code: 4 });
    let probes = 0;
    let connection = 0;
    fake.on("GET", `/v1/operations/${OP}/events`, (request) => {
      const after = Number(request.headers.get("last-event-id") ?? -1);
      // The live stream sends the start of the log, then nothing (no keepalives either).
      return connection++ === 0
        ? { events: [{ frame: events[0] }, { waitFor: new Promise(() => {}) }] }
        : { events: events.filter((e) => e.id > after).map((frame) => ({ frame })) };
    });
    fake.on("GET", `/v1/operations/${OP}`, () => ({
      json: { uuid: OP, status: probes++ < 2 ? "EXECUTING" : "SUCCESS" },
    }));
    const sink = new MemorySink();
    const client = clientFor(fake, systemClock, sink);
    const stdout: number[] = [];
    const result = await followOperation(client, OP, {
      contact: { ...SHORT, giveUpAfterMs: 0 },
      onEvent: (event) => {
        if (event.type === "stdout") stdout.push(...decodeStreamRepr(event.data));
      },
    });
    assertEquals(new TextDecoder().decode(new Uint8Array(stdout)), "late\n");
    assertEquals(result.exit?.data.code, 4);
    assertEquals(probes >= 3, true, `${probes} heartbeats`);
    assertEquals(sink.text(), "", "the server answered every heartbeat: no warning");
  }));

Deno.test("follow: while the consumer holds an event (a stdout nobody reads), no heartbeat fetches the record", () =>
  withFake(async (fake) => {
    const events = runEvents(CHUNKS, { code: 0 });
    fake.on("GET", `/v1/operations/${OP}/events`, () => ({
      events: events.map((frame) => ({ frame })),
    }));
    let records = 0;
    fake.on("GET", `/v1/operations/${OP}`, () => {
      records++;
      return { json: { uuid: OP, status: "SUCCESS" } };
    });
    const sink = new MemorySink();
    const client = clientFor(fake, systemClock, sink);
    let held = false;
    const result = await followOperation(client, OP, {
      contact: SHORT,
      onEvent: async (event) => {
        if (event.type !== "stdout" || held) return;
        held = true;
        // A reader that takes its time: four times the contact threshold.
        await new Promise((resolve) => setTimeout(resolve, 4 * SHORT.lostAfterMs));
      },
    });
    assertEquals([held, result.exit?.data.code], [true, 0]);
    // Was one GET of the whole record (all of its output) every half threshold.
    assertEquals(records, 0, "no heartbeat while this side was busy");
    assertEquals(sink.text(), "", "and no lost-contact warning");
  }));

Deno.test("follow: a drain whose connection goes silent is dropped and drained anew (real time)", () =>
  withFake(async (fake) => {
    const events = runEvents(CHUNKS, { code: 7 });
    let connection = 0;
    fake.on("GET", `/v1/operations/${OP}/events`, (request) => {
      const after = Number(request.headers.get("last-event-id") ?? -1);
      const rest = events.filter((e) => e.id > after).map((frame) => ({ frame }));
      // The live stream closes early; the first drain sends two events and then nothing, ever.
      connection++;
      if (connection === 1) return { events: rest.slice(0, 2) };
      if (connection === 2) {
        return { events: [...rest.slice(0, 2), { waitFor: new Promise(() => {}) }] };
      }
      return { events: rest };
    });
    fake.on("GET", `/v1/operations/${OP}`, () => ({ json: { uuid: OP, status: "SUCCESS" } }));
    const sink = new MemorySink();
    const client = clientFor(fake, systemClock, sink);
    const ids: number[] = [];
    const result = await followOperation(client, OP, {
      // Was: the silent drain held until the give-up, then LostContact ("left running").
      contact: { lostAfterMs: 150, warnEveryMs: 60_000, giveUpAfterMs: 5_000 },
      onEvent: (event) => void ids.push(event.id),
    });
    assertEquals(ids, events.map((e) => e.id), "every event once");
    assertEquals([result.completionFrom, result.exit?.data.code, connection], ["log", 7, 3]);
  }));

Deno.test("poll: an operation the server does not know fails at once (no endless polling)", () =>
  withFake(async (fake) => {
    fake.on("GET", `/v1/operations/${OP}`, () => ({ status: 404, json: { error: "not found" } }));
    await assertRejects(() => pollOperation(clientFor(fake), OP), ApiError, "API 404");
  }));

Deno.test("poll (session wait): the server gone → the warning, then LostContact at the limit", () =>
  withFake(async (fake) => {
    const url = fake.url;
    await fake.close();
    const sink = new MemorySink();
    await assertRejects(
      () =>
        pollOperation(clientFor({ url }, new FakeClock(), sink), OP, {
          contact: { lostAfterMs: 10_000, warnEveryMs: 60_000, giveUpAfterMs: 30_000 },
        }),
      LostContact,
      `No contact with ${url} for 30s`,
    );
    assertStringIncludes(sink.text(), `[WARNING] Lost contact with ${url}`);
  }));

Deno.test("follow: a frame over the 4 MiB cap ends with the record and a warning naming it", () =>
  withFake(async (fake) => {
    const events = runEvents([
      { stream: "stdout", bytes: "before\n" },
      { stream: "stdout", bytes: "x".repeat(5 * 1024 * 1024) },
    ]);
    installEventLog(fake, OP, events);
    const sink = new MemorySink();
    const { result, stdout } = await collect(clientFor(fake, new FakeClock(), sink));
    assertEquals(new TextDecoder().decode(stdout), "before\n");
    assertEquals(result.completionFrom, "record");
    const warnings = sink.text().split("\n").filter((line) => line.startsWith("[WARNING]"));
    assertEquals(warnings, [
      `[WARNING] The event log of ${OP} cannot be read past event 2 (event frame larger than ` +
      `4194304 bytes): the rest comes from the operation's record`,
    ]);
  }));
