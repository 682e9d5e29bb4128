import { pyJsonDump } from "../../src/output/pyjson.ts";
import { ContreeClient } from "../../src/api/client.ts";
import type { Operation } from "../../src/api/models.ts";
import { ContreeError, Exit } from "../../src/errors.ts";
import { createFormatter, type FormatName } from "../../src/output/mod.ts";
import {
  cancelOperations,
  composeExitStatus,
  listOperations,
  type NamespaceDeps,
  type OperationCache,
  printOperationEvents,
  showOperations,
  waitOperations,
} from "../../src/operations/namespace.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { FakeClock, type TestContext, testContext } from "../support/context.ts";
import { FakeApi, sseFrame } from "../support/fake_api.ts";
import { FakeOperations, finishedOperation } from "../support/fake_operations.ts";

const A = "aaaaaaaa-0000-0000-0000-000000000001";
const B = "bbbbbbbb-0000-0000-0000-000000000002";
const C = "cccccccc-0000-0000-0000-000000000003";

class MapCache implements OperationCache {
  readonly map = new Map<string, Operation>();
  get(uuid: string) {
    return Promise.resolve(this.map.get(uuid));
  }
  set(op: Operation) {
    this.map.set(op.uuid, op);
    return Promise.resolve();
  }
}

/** A clock whose sleeps end only when aborted (a wait can then end only through a push). */
class BlockingClock extends FakeClock {
  onSleep = () => {};

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    this.onSleep();
    return new Promise((_, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  }
}

interface Harness {
  fake: FakeApi;
  ops: FakeOperations;
  ctx: TestContext;
  cache: MapCache;
  clock: FakeClock;
  deps(format?: FormatName): NamespaceDeps;
  rows(): Record<string, unknown>[];
  code(fn: () => Promise<number>): Promise<number>;
}

async function withOps(
  operations: Operation[],
  fn: (h: Harness) => Promise<void>,
  clock = new FakeClock(),
) {
  const fake = FakeApi.start();
  const ops = new FakeOperations(fake, operations);
  const ctx = testContext({ clock });
  const cache = new MapCache();
  const client = new ContreeClient({ url: fake.url, token: fake.token, type: "jwt" }, {
    fetch,
    clock,
    log: ctx.log,
    userAgent: "test",
  });
  const formatters: { close(): Promise<void> }[] = [];
  const h: Harness = {
    fake,
    ops,
    ctx,
    cache,
    clock,
    deps(format = "json") {
      const formatter = createFormatter(format, {
        stdout: ctx.stdout,
        log: ctx.log,
        tty: false,
        color: false,
        columns: () => undefined,
      });
      formatters.push(formatter);
      return {
        ctx,
        client,
        format,
        output: (order) => {
          if (order) formatter.columns(order);
          return formatter;
        },
        cache: () => Promise.resolve(cache),
        resolveRefs: (tokens) => {
          const uuids = tokens.flatMap((t) => t.split(/\s+/)).filter(Boolean);
          const bad = uuids.filter((token) => token.startsWith("bad"));
          return bad.length > 0
            ? Promise.reject(new ContreeError(`Invalid operation reference: ${bad.join(" ")}`))
            : Promise.resolve(uuids);
        },
        concurrency: 4,
      };
    },
    rows: () => ctx.stdout.text().trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)),
    async code(fn) {
      try {
        return await fn();
      } catch (error) {
        if (error instanceof Exit) return error.exitCode;
        throw error;
      } finally {
        for (const f of formatters) await f.close();
      }
    },
  };
  try {
    await fn(h);
  } finally {
    await fake.close();
  }
}

const executing = (uuid: string): Operation => ({
  uuid,
  kind: "instance",
  status: "EXECUTING",
  error: null,
  cost: 3,
});

Deno.test("ps: EXECUTING by default, -a all, letters expand, dynamic columns with error last", () =>
  withOps(
    [executing(A), finishedOperation(B, "FAILED", 2), { ...executing(C), status: "PENDING" }],
    async (h) => {
      assertEquals(
        await h.code(() => listOperations(h.deps(), { quiet: false, all: false, showMax: 1000 })),
        0,
      );
      assertEquals(h.fake.requests[0].query.get("status"), "EXECUTING");
      const [row] = h.rows();
      assertEquals(Object.keys(row), ["uuid", "kind", "status", "cost", "error"]);

      h.ctx.stdout.chunks.length = 0;
      await h.code(() =>
        listOperations(h.deps(), { quiet: true, all: false, status: "F", showMax: 1000 })
      );
      assertEquals(h.ctx.stdout.text(), `${B}\n`);
      assertEquals(h.fake.requests.at(-1)!.query.get("status"), "FAILED");

      h.ctx.stdout.chunks.length = 0;
      await h.code(() => listOperations(h.deps(), { quiet: true, all: true, showMax: 2 }));
      assertEquals(h.fake.requests.at(-1)!.query.get("status"), null);
      assertEquals(h.fake.requests.at(-1)!.query.get("limit"), "3");
      assertEquals(h.ctx.stdout.text().trim().split("\n").length, 2);
      assertStringIncludes(
        h.ctx.stderr.text(),
        "[WARNING] Output truncated at --show-max=2 operations",
      );
    },
  ));

Deno.test("ps: a progress line after each full page, as the reference prints", () => {
  const many = Array.from(
    { length: 2100 },
    (_, i) => executing(`eeeeeeee-0000-0000-0000-${String(i).padStart(12, "0")}`),
  );
  return withOps(many, async (h) => {
    const code = await h.code(() =>
      listOperations(h.deps(), { quiet: true, all: false, showMax: 5000 })
    );
    assertEquals(code, 0);
    assertEquals(h.ctx.stdout.text().trim().split("\n").length, 2100);
    assertEquals(
      h.ctx.stderr.text(),
      "[INFO] Fetched 1000 operations, loading more...\n[INFO] Fetched 2000 operations, loading more...\n",
    );
  });
});

Deno.test("show: multi-UUID, one failure reported, exit 1 at the end; terminal results cached", () =>
  withOps([finishedOperation(A, "SUCCESS", 0, "out-a"), executing(B)], async (h) => {
    const missing = "dddddddd-0000-0000-0000-000000000004";
    const code = await h.code(() => showOperations(h.deps(), [`${A} ${missing}`, B], false));
    assertEquals(code, 1);
    const rows = h.rows();
    assertEquals(rows.map((r) => r.uuid), [A, B]);
    assertEquals([rows[0].exit_code, rows[0].stdout, rows[0].image], [0, "out-a", ""]);
    assertStringIncludes(
      h.ctx.stderr.text(),
      `[ERROR] Failed to fetch ${missing}: API 404 Not Found: operation not found`,
    );
    assertEquals([...h.cache.map.keys()], [A], "only terminal operations are cached");
  }));

Deno.test("show --raw prints the server JSON as JSONL", () =>
  withOps([finishedOperation(A, "SUCCESS", 0), finishedOperation(B, "FAILED", 1)], async (h) => {
    await h.code(() => showOperations(h.deps(), [A, B], true));
    const lines = h.ctx.stdout.text().trim().split("\n");
    assertEquals(lines.map((l) => JSON.parse(l).uuid), [A, B]);
    assertEquals(JSON.parse(lines[0]).metadata.result.state.exit_code, 0);
    // The reference json.dump's separators (scripts grep for them).
    assertStringIncludes(lines[0], `"uuid": "${A}", "kind": "instance", "status": "SUCCESS"`);
  }));

Deno.test("pyJsonDump writes what Python's json.dumps writes", () => {
  assertEquals(
    pyJsonDump({ a: [1, 2.5, "é😀"], b: {}, c: null, d: true, e: [], f: 1e-7, g: 2 ** 53 }),
    '{"a": [1, 2.5, "\\u00e9\\ud83d\\ude00"], "b": {}, "c": null, "d": true, "e": [], ' +
      '"f": 1e-07, "g": 9007199254740992}',
  );
});

Deno.test("show (default format) prints the row, then stdout and stderr", () =>
  withOps([finishedOperation(A, "SUCCESS", 0, "printed")], async (h) => {
    await h.code(() => showOperations(h.deps("default"), [A], false));
    assert(h.ctx.stdout.text().endsWith("printed\n"));
  }));

Deno.test("cancel: explicit, --all wins with a warning, failures exit 1", () =>
  withOps([
    executing(A),
    { ...executing(B), status: "PENDING" },
    finishedOperation(C, "SUCCESS", 0),
  ], async (h) => {
    assertEquals(await h.code(() => cancelOperations(h.deps(), [C], false)), 1);
    assertStringIncludes(
      h.ctx.stderr.text(),
      `[ERROR] Failed to cancel ${C}: API 409 Conflict: operation is not cancellable`,
    );
    // A bad reference beside --all refuses the command: nothing is cancelled.
    await assertRejects(
      () => cancelOperations(h.deps(), ["bad-ref"], true),
      ContreeError,
      "Invalid operation reference: bad-ref",
    );
    assertEquals(h.ops.byUuid.get(A)!.status, "EXECUTING");
    assertEquals(await h.code(() => cancelOperations(h.deps(), ["ignored-1"], true)), 0);
    assertStringIncludes(
      h.ctx.stderr.text(),
      "[WARNING] --all overrides explicit UUIDs; cancelling all active",
    );
    assertEquals([h.ops.byUuid.get(A)!.status, h.ops.byUuid.get(B)!.status], [
      "CANCELLED",
      "CANCELLED",
    ]);
    assertEquals(await h.code(() => cancelOperations(h.deps(), [], true)), 0);
    assertStringIncludes(h.ctx.stderr.text(), "[INFO] No active operations to cancel");
    let error = "";
    try {
      await cancelOperations(h.deps(), [], false);
    } catch (e) {
      error = (e as Error).message;
    }
    assertEquals(error, "Provide at least one UUID, or use --all");
  }));

Deno.test("wait: rows as operations finish, head columns, exit status composition", () =>
  withOps([executing(A), executing(B)], async (h) => {
    let polls = 0;
    h.fake.on("GET", `/v1/operations/${A}`, () => ({
      json: ++polls < 3 ? executing(A) : finishedOperation(A, "SUCCESS", 3),
    }));
    h.ops.set(B, finishedOperation(B, "SUCCESS", 0));
    const code = await h.code(() =>
      waitOperations(h.deps(), [A, B], false, { timeoutSeconds: 60 })
    );
    assertEquals(code, 3, "a SUCCESS op that exited 3 makes `wait A && next` stop");
    const rows = h.rows();
    assertEquals(rows.map((r) => r.uuid), [B, A]);
    assertEquals(Object.keys(rows[0]).slice(0, 5), [
      "uuid",
      "status",
      "exit_code",
      "timed_out",
      "duration",
    ]);
    assertEquals(rows.map((r) => r.timed_out), [false, false]);
    assertEquals(h.clock.sleeps, [500, 500]);
    assert(h.cache.map.has(A) && h.cache.map.has(B));
  }));

Deno.test("wait: polls every 0.5 s at first, then a tenth of the time waited, at most every 2 s", () =>
  withOps([executing(A)], async (h) => {
    let polls = 0;
    h.fake.on("GET", `/v1/operations/${A}`, () => ({
      json: ++polls < 40 ? executing(A) : finishedOperation(A, "SUCCESS", 0),
    }));
    assertEquals(
      await h.code(() => waitOperations(h.deps(), [A], false, { timeoutSeconds: 600 })),
      0,
    );
    const sleeps = h.clock.sleeps;
    assertEquals(sleeps.length, 39);
    assertEquals(sleeps.slice(0, 10), Array(10).fill(500), "0.5 s for the first 5 s");
    let waited = 0;
    for (const sleep of sleeps) {
      assertEquals(sleep, Math.min(2000, Math.max(500, Math.round(waited / 10))));
      waited += sleep;
    }
    assertEquals(sleeps.at(-1), 2000, "a long wait polls every 2 s");
  }));

Deno.test("wait: lost contact is one warning after 10 s and one line when it is back", () =>
  withOps([executing(A)], async (h) => {
    let polls = 0;
    // A gateway answering for a server it cannot reach (503) is no contact; 30 such polls.
    h.fake.on("GET", `/v1/operations/${A}`, () => {
      polls++;
      if (polls <= 30) return { status: 503, json: { error: "no upstream" } };
      return { json: polls < 33 ? executing(A) : finishedOperation(A, "SUCCESS", 0) };
    });
    const code = await h.code(() => waitOperations(h.deps(), [A], false, { timeoutSeconds: 600 }));
    assertEquals(code, 0);
    const silent = h.clock.sleeps.slice(0, 30).reduce((a, b) => a + b, 0);
    assert(silent > 10_000 && silent < 60_000, `${silent} ms without contact`);
    const url = h.fake.url.replace(/\/+$/, "");
    assertEquals(
      h.ctx.stderr.text(),
      [
        `[WARNING] Lost contact with ${url}; retrying (the operations keep running on the server)`,
        `[INFO] Contact with ${url} is back`,
        "",
      ].join("\n"),
    );
    assertEquals(h.rows().map((r) => r.status), ["SUCCESS"]);
  }));

Deno.test("wait --timeout: unfinished operations get a timed_out row, a warning and exit 1", () =>
  withOps([executing(A), finishedOperation(B, "SUCCESS", 0)], async (h) => {
    const code = await h.code(() => waitOperations(h.deps(), [A, B], false, { timeoutSeconds: 3 }));
    assertEquals(code, 1);
    const rows = h.rows();
    assertEquals(rows.map((r) => [r.uuid, r.status, r.timed_out]), [[B, "SUCCESS", false], [
      A,
      "EXECUTING",
      true,
    ]]);
    // The timed-out row has no exit code at all (the reference's row has no such key).
    assertEquals(["exit_code" in rows[0], "exit_code" in rows[1]], [true, false]);
    assertStringIncludes(
      h.ctx.stderr.text(),
      "[WARNING] Timeout: 1 operation(s) did not finish in 3s",
    );
    assertEquals(h.clock.sleeps.reduce((a, b) => a + b, 0), 3000);
  }));

Deno.test("wait --timeout with the server out of reach: the rows say what was seen, stderr why", () =>
  withOps([], async (h) => {
    h.fake.on(
      "GET",
      `/v1/operations/${A}`,
      () => ({ status: 503, json: { error: "no upstream" } }),
    );
    const code = await h.code(() => waitOperations(h.deps(), [A], false, { timeoutSeconds: 3 }));
    assertEquals(code, 1);
    assertEquals(h.rows().map((r) => [r.uuid, r.status, r.timed_out]), [[A, "UNKNOWN", true]]);
    const lines = h.ctx.stderr.text().trim().split("\n");
    assertEquals(lines.length, 2, h.ctx.stderr.text());
    assertStringIncludes(lines[0], "[ERROR] Could not check 1 operation(s): ");
    assertStringIncludes(lines[0], "503");
    assertEquals(lines[1], "[WARNING] Timeout: 1 operation(s) did not finish in 3s");
  }));

Deno.test("wait on many operations uses one active listing per round, not a GET each", () => {
  const many = Array.from(
    { length: 40 },
    (_, i) => executing(`eeeeeeee-0000-0000-0000-${String(i).padStart(12, "0")}`),
  );
  return withOps(many, async (h) => {
    let round = 0;
    h.fake.on("GET", "/v1/operations", (request) => {
      const status = request.query.get("status");
      // Round 1: all executing. Round 2: all done.
      if (status === "EXECUTING" && round++ === 0) {
        return { json: many.map((op) => ({ uuid: op.uuid, status: "EXECUTING" })) };
      }
      return { json: [] };
    });
    for (const op of many) {
      h.ops.set(op.uuid, { status: "SUCCESS", metadata: { result: { state: { exit_code: 0 } } } });
    }
    const code = await h.code(() =>
      waitOperations(h.deps(), many.map((o) => o.uuid), false, { timeoutSeconds: 60 })
    );
    assertEquals(code, 0);
    assertEquals(h.rows().length, 40);
    const gets = h.fake.requests.filter((r) =>
      r.method === "GET" && r.path.startsWith("/v1/operations/") && !r.path.endsWith("/events")
    );
    assertEquals(gets.length, 40, "each operation is fetched once, when it left the active list");
  });
});

Deno.test("wait -f table/csv: rows of operations checked at once are printed whole", () => {
  const many = Array.from(
    { length: 12 },
    (_, i) =>
      finishedOperation(`cccccccc-0000-0000-0000-${String(i).padStart(12, "0")}`, "SUCCESS", 0),
  );
  return withOps(many, async (h) => {
    for (const format of ["table", "csv"] as const) {
      h.ctx.stdout.chunks.length = 0;
      const code = await h.code(() =>
        waitOperations(h.deps(format), many.map((o) => o.uuid), false, { timeoutSeconds: 60 })
      );
      assertEquals(code, 0);
      // Was: four checks at a time, their flushes overlapping, cells of rows mixed together.
      const lines = h.ctx.stdout.text().trim().split("\n");
      assertEquals(lines.length, 13, h.ctx.stdout.text());
      const cells = (line: string) =>
        format === "csv" ? line.split(",").length : line.trim().split(/\s+/).length;
      assertEquals(new Set(lines.map(cells)).size, 1, h.ctx.stdout.text());
      assertEquals(lines.filter((line) => line.includes("cccccccc-")).length, 12);
    }
  });
});

Deno.test("wait: a pushed completion ends the wait at once, without another polling round", () => {
  const clock = new BlockingClock();
  return withOps([executing(A)], async (h) => {
    let finished = false;
    let finish!: () => void;
    // The operation finishes while the wait sleeps after its first round.
    const finishing = new Promise<void>((resolve) => finish = resolve);
    clock.onSleep = () => {
      finished = true;
      finish();
    };
    h.fake.on("GET", `/v1/operations/${A}`, () => ({
      json: finished ? finishedOperation(A, "SUCCESS", 0) : executing(A),
    }));
    h.fake.on("GET", `/v1/operations/${A}/events`, () => ({
      events: [
        { frame: { id: 0, type: "init", spid: 0 } },
        { waitFor: finishing },
        { frame: { id: 1, type: "completion", data: { status: "SUCCESS" } } },
      ],
    }));
    const code = await h.code(() => waitOperations(h.deps(), [A], false, { timeoutSeconds: 60 }));
    assertEquals(code, 0);
    assertEquals(h.rows().map((r) => [r.uuid, r.status]), [[A, "SUCCESS"]]);
    assertEquals(clock.sleeps, [500], "the one sleep ended with the push, not its timer");
    assertEquals(h.fake.calls("GET", `/v1/operations/${A}`).length, 2);
    const [stream] = h.fake.calls("GET", `/v1/operations/${A}/events`);
    assertEquals(
      [stream.query.get("follow"), stream.query.get("spid")],
      ["1", "0"],
      "only the init and completion events are asked for",
    );
  }, clock);
});

Deno.test("wait: a completion stream that drops is opened again; polling still rules", () => {
  const clock = new FakeClock();
  return withOps([executing(A)], async (h) => {
    let streams = 0;
    h.fake.on("GET", `/v1/operations/${A}/events`, () => {
      // First a drop before the completion, then a stream that ends with it.
      if (++streams === 1) return { events: [{ frame: { id: 0, type: "init" } }, { drop: true }] };
      h.ops.set(A, finishedOperation(A, "SUCCESS", 0));
      return { events: [{ frame: { id: 1, type: "completion", data: { status: "SUCCESS" } } }] };
    });
    const code = await h.code(() => waitOperations(h.deps(), [A], false, { timeoutSeconds: 600 }));
    assertEquals(code, 0);
    assertEquals(h.rows().map((r) => r.uuid), [A]);
  }, clock);
});

Deno.test("exit status composition", () => {
  assertEquals(composeExitStatus([finishedOperation(A, "SUCCESS", 0)]), 0);
  assertEquals(
    composeExitStatus([finishedOperation(A, "SUCCESS", 0), finishedOperation(B, "FAILED", 0)]),
    1,
  );
  assertEquals(
    composeExitStatus([finishedOperation(A, "SUCCESS", 5), finishedOperation(B, "FAILED", 0)]),
    5,
  );
  assertEquals(composeExitStatus([{ uuid: A, status: "SUCCESS", result: { exit_code: 2 } }]), 2);
  // A process without an exit code of its own (API: −1) never reads as success.
  const ended = (state: Record<string, unknown>): Operation => ({
    uuid: A,
    status: "SUCCESS",
    metadata: { result: { state } },
  });
  assertEquals(composeExitStatus([ended({ exit_code: -1, signal: 9 })]), 137);
  assertEquals(composeExitStatus([ended({ exit_code: -1, signal: 15, timed_out: true })]), 143);
  assertEquals(composeExitStatus([ended({ exit_code: -1, signal: -1, timed_out: true })]), 255);
  assertEquals(composeExitStatus([ended({ exit_code: -1 })]), 255);
  assertEquals(composeExitStatus([ended({ exit_code: 0, timed_out: true })]), 255);
  assertEquals(composeExitStatus([ended({ exit_code: 0, signal: -1 })]), 0);
});

Deno.test("op events: every event of each log, data kept whole, the log read once", () =>
  withOps([], async (h) => {
    h.fake.on("GET", `/v1/operations/${A}/events`, () => ({
      events: [
        { frame: { id: 0, type: "init", spid: 0, data: { init_pid: 1 } } },
        {
          frame: {
            id: 1,
            type: "stdout",
            ts: "2026-06-08T20:00:01.5Z",
            data: { value: "hi\n", encoding: "ascii" },
          },
        },
        { raw: `id: 2\nevent: exit\ndata: {"id": 2, "ts": "x", "type": "exit", "data": {}}\n\n` },
      ],
    }));
    h.fake.on("GET", `/v1/operations/${B}/events`, () => ({
      events: [{ frame: { id: 0, type: "completion", data: { status: "SUCCESS" } } }],
    }));
    const code = await h.code(() => printOperationEvents(h.deps(), [A, B]));
    assertEquals(code, 0);
    assertEquals(h.rows(), [
      {
        uuid: A,
        id: 0,
        ts: "2026-06-08T20:00:00+00:00",
        type: "init",
        spid: 0,
        data: { init_pid: 1 },
      },
      {
        uuid: A,
        id: 1,
        ts: "2026-06-08T20:00:01.500000+00:00",
        type: "stdout",
        spid: 1,
        data: { value: "hi\n", encoding: "ascii" },
      },
      // No spid: the column is there all the same; a ts that is no timestamp stays as it is.
      { uuid: A, id: 2, ts: "x", type: "exit", spid: null, data: {} },
      {
        uuid: B,
        id: 0,
        ts: "2026-06-08T20:00:00+00:00",
        type: "completion",
        spid: 0,
        data: { status: "SUCCESS" },
      },
    ]);
    const [call] = h.fake.calls("GET", `/v1/operations/${A}/events`);
    assert(call.query.get("follow") !== "1", "the log is not followed");
    assertEquals(h.ctx.stderr.text(), "");
  }));

Deno.test("op events: a missing operation or an in-band error is one line and exit 1; the rest is printed", () =>
  withOps([], async (h) => {
    h.fake.on(
      "GET",
      `/v1/operations/${A}/events`,
      () => ({ status: 404, json: { detail: "no such operation" } }),
    );
    h.fake.on("GET", `/v1/operations/${B}/events`, () => ({
      events: [{ frame: { id: 0, type: "init", spid: 0 } }, { sseError: "log unreadable" }],
    }));
    const code = await h.code(() => printOperationEvents(h.deps(), [A, B]));
    assertEquals(code, 1);
    assertEquals(h.rows().map((r) => [r.uuid, r.type]), [[B, "init"]]);
    const lines = h.ctx.stderr.text().trim().split("\n");
    assertEquals(lines.length, 2, h.ctx.stderr.text());
    assertStringIncludes(lines[0], `[ERROR] Failed to fetch events for ${A}: `);
    assertStringIncludes(lines[0], "no such operation");
    assertEquals(
      lines[1],
      `[ERROR] Failed to fetch events for ${B}: the server said: log unreadable`,
    );
  }));

/**
 * Serves A's log as `first` frames, then holds the rest until stdout shows the row with id
 * `first - 1` (given up after 10 s, so that a missing page fails the test instead of hanging
 * it); `pagedInTime()` says whether that page was printed before the log went on.
 */
function servePagedLog(
  h: Harness,
  frame: (id: number) => string,
  first: number,
  total: number,
): { pagedInTime: () => boolean } {
  let firstPage!: () => void;
  const printed = new Promise<void>((resolve) => firstPage = resolve);
  const write = h.ctx.stdout.write.bind(h.ctx.stdout);
  let paged = false;
  h.ctx.stdout.write = (data) => {
    const done = write(data);
    if (!paged && h.ctx.stdout.text().includes(`\n${A}  ${first - 1} `)) {
      paged = true;
      firstPage();
    }
    return done;
  };
  const guard = AbortSignal.timeout(10_000);
  let pagedInTime = false;
  const frames = (from: number, count: number) => ({
    raw: Array.from({ length: count }, (_, i) => frame(from + i)).join(""),
  });
  h.fake.on("GET", `/v1/operations/${A}/events`, () => ({
    events: [
      frames(0, first),
      { waitFor: Promise.race([printed, new Promise((resolve) => guard.onabort = resolve)]) },
      { signal: () => pagedInTime = paged },
      frames(first, total - first),
    ],
  }));
  return { pagedInTime: () => pagedInTime };
}

Deno.test("op events: a table prints a long log a page at a time, data as its JSON text", () =>
  withOps([], async (h) => {
    const frame = (id: number) => sseFrame({ id, type: "stdout", data: { n: id } });
    const log = servePagedLog(h, frame, 1000, 2500);
    const code = await h.code(() => printOperationEvents(h.deps("table"), [A]));
    assertEquals(code, 0);
    assert(log.pagedInTime(), "the first 1000 rows were printed before the log went on");
    const lines = h.ctx.stdout.text().trimEnd().split("\n");
    assertEquals(lines[0].trim().split(/\s+/), ["UUID", "ID", "TS", "TYPE", "SPID", "DATA"]);
    assertEquals(lines.length, 2501);
    assertEquals(lines[2500].split(/\s{2,}/), [
      A,
      "2499",
      "2026-06-08 20:00:00",
      "stdout",
      "1",
      '{"n": 2499}',
    ]);
  }));

Deno.test("op events: a table holds at most ~4 MiB of output text before it prints", () =>
  withOps([], async (h) => {
    // 300 KiB events: the 14th passes 4 MiB.
    const value = "y".repeat(300 * 1024);
    const frame = (id: number) =>
      sseFrame({ id, type: "stdout", data: { value, encoding: "ascii" } });
    const log = servePagedLog(h, frame, 14, 20);
    const code = await h.code(() => printOperationEvents(h.deps("table"), [A]));
    assertEquals(code, 0);
    assert(log.pagedInTime(), "the first 14 rows were printed before the log went on");
    assertEquals(h.ctx.stdout.text().trimEnd().split("\n").length, 21);
  }));
