import { ContreeClient } from "../../src/api/client.ts";
import type { FileSpec, InstanceSpawnRequest } from "../../src/api/models.ts";
import { BrokenPipe, ContreeError, Exit, Interrupted } from "../../src/errors.ts";
import { pyJsonString } from "../../src/output/pyjson.ts";
import { createFormatter, type FormatName } from "../../src/output/mod.ts";
import type { Formatter } from "../../src/output/formatter.ts";
import { SPOOL_MEMORY_BYTES } from "../../src/spool.ts";
import { programOutput } from "../support/program_output.ts";
import { runCommand, type RunOptions, type RunSession } from "../../src/operations/run.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { FakeClock, type TestContext, testContext } from "../support/context.ts";
import { FakeApi } from "../support/fake_api.ts";
import { installEventLog, runEvents } from "../support/fake_events.ts";

const IMAGE = "11111111-2222-3333-4444-555555555555";
const RESULT = "99999999-2222-3333-4444-555555555555";
const OP = "87654321-9abc-baba-deda-0123456789ab";

class FakeSession implements RunSession {
  image: string | undefined = IMAGE;
  log: string[] = [];
  pending: Record<string, FileSpec> = {};
  sessionEnv: Record<string, string> = {};
  preserved = new Map<string, Record<string, string>>();
  useImage(image: string, title: string) {
    this.image = image;
    this.log.push(`use ${image} ${title}`);
  }
  currentImage() {
    if (!this.image) throw new Error("No active session");
    return this.image;
  }
  cwd() {
    return "/work";
  }
  env() {
    return this.sessionEnv;
  }
  pendingFiles() {
    return this.pending;
  }
  preservedEnv(image: string) {
    return this.preserved.get(image);
  }
  setPreservedEnv(image: string, env: Record<string, string>) {
    this.preserved.set(image, env);
  }
  advance(image: string, title: string, operation: string) {
    this.log.push(`advance ${image} ${title} ${operation}`);
  }
  disposableBranch(operation: string, title: string) {
    this.log.push(`disposable ${operation} ${title}`);
  }
  detachedBranch(operation: string, title: string) {
    this.log.push(`detached ${operation} ${title}`);
  }
  addPendingOperation(entry: { op: string; title: string; disposable: boolean; branch: string }) {
    this.log.push(`pending ${entry.op} ${entry.branch}`);
  }
}

function options(overrides: Partial<RunOptions> = {}): RunOptions {
  return {
    command: ["sh", "-c", "echo hi"],
    timeout: 120,
    env: [],
    hostname: "linuxkit",
    disposable: false,
    interpreter: false,
    shell: false,
    files: [],
    fileExcludes: [],
    truncate: 65536,
    preserveEnv: false,
    detach: false,
    ...overrides,
  };
}

interface Harness {
  fake: FakeApi;
  ctx: TestContext;
  session: FakeSession;
  run(
    opts?: Partial<RunOptions>,
    format?: FormatName,
    wrap?: (formatter: Formatter) => Formatter,
  ): Promise<number>;
  spawned(): InstanceSpawnRequest[];
}

async function withRun(
  fn: (h: Harness) => Promise<void>,
  ctxOptions: Parameters<typeof testContext>[0] = {},
) {
  const fake = FakeApi.start();
  fake.on("POST", "/v1/instances", () => ({ status: 201, json: { uuid: OP, status: "PENDING" } }));
  fake.on("DELETE", `/v1/operations/${OP}`, () => ({ status: 202 }));
  const ctx = testContext({ clock: new FakeClock(), ...ctxOptions });
  const session = new FakeSession();
  const client = new ContreeClient({ url: fake.url, token: fake.token, type: "jwt" }, {
    fetch,
    clock: ctx.clock,
    log: ctx.log,
    userAgent: "test",
    signal: ctx.signal,
  });
  const harness: Harness = {
    fake,
    ctx,
    session,
    async run(opts = {}, format = "default", wrap = (formatter: Formatter) => formatter) {
      const formatter = createFormatter(format, {
        stdout: ctx.stdout,
        log: ctx.log,
        tty: false,
        color: false,
        columns: () => undefined,
      });
      try {
        return await runCommand(
          {
            ctx,
            client,
            session,
            format,
            output: () => wrap(formatter),
            resolveImage: (ref) => Promise.resolve(ref === "tag:base" ? IMAGE : ref),
            uploadFiles: (files) =>
              Promise.resolve(new Map(files.map((f) => [f.hostPath, `uuid-of-${f.hostPath}`]))),
          },
          options(opts),
        );
      } catch (error) {
        if (error instanceof Exit) return error.exitCode;
        throw error;
      } finally {
        await formatter.close();
      }
    },
    spawned: () =>
      fake.calls("POST", "/v1/instances").map((r) => JSON.parse(new TextDecoder().decode(r.body))),
  };
  try {
    await fn(harness);
  } finally {
    await fake.close();
  }
}

const success = (code = 0) =>
  runEvents(
    [
      { stream: "stdout", bytes: "hello\n" },
      { stream: "stderr", bytes: "oops\n" },
      { stream: "stdout", bytes: new Uint8Array([0xe2, 0x82]) },
      { stream: "stdout", bytes: new Uint8Array([0xac, 0x0a]) },
    ],
    { code },
  ).map((e) =>
    e.type === "completion" ? { ...e, data: { ...e.data, result_image_uuid: RESULT } } : e
  );

Deno.test("run: a session that cannot be written still gets the row, and the error says how to go on", () =>
  withRun(async ({ fake, ctx, session, run }) => {
    installEventLog(fake, OP, success(0));
    session.advance = () => {
      throw new ContreeError("Session database local.db: database is locked");
    };
    const error = await run({}, "json").then(() => undefined, (e) => e);
    assert(error instanceof ContreeError, String(error));
    assertEquals(
      error.message,
      `Session database local.db: database is locked; the run (operation ${OP}) is not in the ` +
        `session: \`contree use ${RESULT}\` continues from its image`,
    );
    assertEquals(JSON.parse(ctx.stdout.text()).image, RESULT, "the row was printed first");
  }));

Deno.test("run streams raw output live, advances the session and passes the exit code through", () =>
  withRun(async ({ fake, ctx, session, run, spawned }) => {
    installEventLog(fake, OP, success(7));
    const code = await run({ env: ["A=1"] });
    assertEquals(code, 7);
    assertEquals(ctx.stdout.text(), "hello\n€\n");
    assertEquals(ctx.stderr.text(), "oops\n");
    assertEquals(session.log, [`advance ${RESULT} sh -c echo hi ${OP}`]);
    assertEquals(spawned()[0], {
      command: "sh",
      image: IMAGE,
      shell: false,
      args: ["-c", "echo hi"],
      disposable: false,
      hostname: "linuxkit",
      truncate_output_at: 65536,
      timeout: 120,
      cwd: "/work",
      env: { A: "1" },
    });
    assertEquals(fake.calls("GET", `/v1/operations/${OP}`).length, 0, "completion needs no GET");
  }));

Deno.test("run -f json prints one row with the output; table and csv work too", async () => {
  for (const format of ["json", "table", "csv"] as FormatName[]) {
    await withRun(async ({ fake, ctx, run }) => {
      installEventLog(fake, OP, success());
      assertEquals(await run({}, format), 0);
      const text = ctx.stdout.text();
      assertStringIncludes(text, OP);
      if (format === "json") {
        const row = JSON.parse(text);
        assertEquals([row.status, row.exit_code, row.image, row.stdout, row.stderr], [
          "SUCCESS",
          0,
          RESULT,
          "hello\n€\n",
          "oops\n",
        ]);
        assertEquals(Object.keys(row).at(-1), "error");
      }
      assertEquals(ctx.stderr.text(), "", "nothing is streamed to stderr for row formats");
    });
  }
});

Deno.test("run -f json: output larger than memory is spooled and written in pieces, same bytes", async () => {
  // The command's TMPDIR (its context's, not the test process's: that one all modules share).
  const tmp = await Deno.makeTempDir();
  try {
    await withRun(async ({ fake, ctx, run }) => {
      // Mixed UTF-8 cut at arbitrary event boundaries, more than the spool keeps in memory.
      const bytes = programOutput(SPOOL_MEMORY_BYTES + 300_000);
      const chunks: { stream: "stdout" | "stderr"; bytes: Uint8Array }[] = [];
      for (let at = 0, size = 1; at < bytes.length; at += size, size = (size * 7 + 13) % 100_003) {
        chunks.push({ stream: "stdout", bytes: bytes.slice(at, at + size) });
      }
      chunks.push({ stream: "stderr", bytes: new TextEncoder().encode("\u00e9 warn\n") });
      installEventLog(fake, OP, runEvents(chunks));
      assertEquals(await run({}, "json"), 0);
      const left = [...Deno.readDirSync(tmp)].filter((e) => e.name.startsWith("contree-output-"));
      assertEquals(left, [], "no temporary file is left behind");
      const text = ctx.stdout.text();
      const stdout = new TextDecoder().decode(bytes);
      assertStringIncludes(text, `"stdout": ${pyJsonString(stdout)}, "stderr": "\\u00e9 warn\\n"`);
      assertEquals(JSON.parse(text).stdout, stdout);
      assert(ctx.stdout.chunks.length > 3, "the row is written in pieces");
    }, { env: { TMPDIR: tmp } });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("run -f json: the spool's temporary file goes to the command's TMPDIR", () =>
  withRun(async ({ fake, run }) => {
    // Pieces under the 4 MiB frame cap, more than the spool keeps in memory.
    const piece = programOutput(100_000);
    const pieces = Array.from({ length: 50 }, () => ({ stream: "stdout" as const, bytes: piece }));
    installEventLog(fake, OP, runEvents(pieces));
    const refused = await run({}, "json").then(
      (code) => String(code),
      (error: Error) => error.message,
    );
    assertEquals(
      refused,
      "Cannot keep the output in a temporary file (NotFound); set TMPDIR to a writable directory",
    );
  }, { env: { TMPDIR: "/nonexistent-contree-tmp" } }));

Deno.test("run: output is printed once when the follower ends through a terminal probe", () =>
  withRun(async ({ fake, ctx, run }) => {
    installEventLog(fake, OP, success(), {
      interruptions: [{ after: 3, how: "close" }],
      terminalAfterConnections: 1,
    });
    assertEquals(await run(), 0);
    assertEquals(ctx.stdout.text(), "hello\n€\n");
  }));

Deno.test("run: without an events route the captured output is printed once, raw as if streamed", () =>
  withRun(async ({ fake, ctx, run }) => {
    fake.on(
      "GET",
      `/v1/operations/${OP}/events`,
      () => ({ status: 404, json: { error: "x", status: 404 } }),
    );
    fake.on("GET", `/v1/operations/${OP}`, () => ({
      json: {
        uuid: OP,
        status: "FAILED",
        error: "boom",
        metadata: {
          result: {
            state: { exit_code: 2, timed_out: false },
            stdout: { value: "out\x1b[2J", encoding: "ascii" },
            stderr: { value: "err\n", encoding: "ascii" },
          },
        },
      },
    }));
    assertEquals(await run(), 2);
    assertEquals(ctx.stdout.text(), "out\x1b[2J");
    assertStringIncludes(ctx.stderr.text(), "err\n");
    assertStringIncludes(
      ctx.stderr.text(),
      `[CRITICAL] Operation ${OP} ended with status FAILED: boom`,
    );
  }));

Deno.test("run -d prints the operation row, records the pending op and a detached branch", () =>
  withRun(async ({ fake, ctx, session, run }) => {
    assertEquals(await run({ detach: true }, "json"), 0);
    assertEquals(JSON.parse(ctx.stdout.text()), { uuid: OP, status: "PENDING" });
    assertEquals(session.log, [`pending ${OP} detached-${OP}`, `detached ${OP} sh -c echo hi`]);
    assertEquals(fake.requests.length, 1, "exactly one POST");
  }));

Deno.test("run --disposable makes a disposable branch instead of advancing", () =>
  withRun(async ({ fake, session, run, spawned }) => {
    installEventLog(fake, OP, success());
    assertEquals(await run({ disposable: true, use: "tag:base" }), 0);
    assertEquals(spawned()[0].disposable, true);
    assertEquals(session.log, [`use ${IMAGE} tag:base`, `disposable ${OP} sh -c echo hi`]);
  }));

Deno.test("run: piped stdin is forwarded; staged files ride along", () =>
  withRun(async ({ fake, session, run, spawned }) => {
    installEventLog(fake, OP, success());
    session.pending = { "/etc/app.conf": { uuid: "f1", uid: 0, gid: 0, mode: "0644" } };
    assertEquals(await run({ shell: true, command: ["cat > /tmp/x"] }), 0);
    const request = spawned()[0];
    assertEquals(request.stdin, { value: btoa("payload"), encoding: "base64" });
    assertEquals(request.files, { "/etc/app.conf": { uuid: "f1", uid: 0, gid: 0, mode: "0644" } });
    assertEquals([request.command, request.args], ["cat > /tmp/x", undefined]);
  }, { stdin: "payload" }));

Deno.test("run: a broken stdout pipe cancels the operation and ends with BrokenPipe", () =>
  withRun(async ({ fake, ctx, run }) => {
    installEventLog(fake, OP, success());
    ctx.stdout.write = () => Promise.reject(new Deno.errors.BrokenPipe("broken pipe"));
    await assertRejects(() => run(), BrokenPipe);
    assertEquals(fake.calls("DELETE", `/v1/operations/${OP}`).length, 1);
  }));

Deno.test("run: an interrupt cancels the operation and ends with Interrupted", () =>
  withRun(async ({ fake, ctx, run }) => {
    let sent!: () => void;
    const firstFrame = new Promise<void>((resolve) => (sent = resolve));
    fake.on("GET", `/v1/operations/${OP}/events`, () => ({
      events: [{ frame: success()[0] }, { signal: sent }, { delayMs: 5000 }],
    }));
    const running = run();
    await firstFrame;
    ctx.abort(new Interrupted("SIGINT"));
    const error = await assertRejects(() => running, Interrupted);
    assertEquals((error as Interrupted).exitCode, 130);
    assertEquals(fake.calls("DELETE", `/v1/operations/${OP}`).length, 1);
    assert(ctx.stderr.text().includes(`[INFO] Cancelled operation ${OP}`));
  }));

Deno.test("run: an operation that FAILED exits non-zero even when the process exited 0", () =>
  withRun(async ({ fake, ctx, session, run }) => {
    const events = runEvents([{ stream: "stdout", bytes: "ok\n" }], { code: 0 }, "FAILED")
      .map((e) =>
        e.type === "completion" ? { ...e, data: { ...e.data, error: "snapshot failed" } } : e
      );
    installEventLog(fake, OP, events);
    assertEquals(await run(), 1);
    assertStringIncludes(
      ctx.stderr.text(),
      `[CRITICAL] Operation ${OP} ended with status FAILED: snapshot failed`,
    );
    assertEquals(session.log, [], "a failed operation never advances the session");
  }));

Deno.test("run -f table: a result row that cannot be printed still records the run in the session", () =>
  withRun(async ({ fake, ctx, session, run }) => {
    installEventLog(fake, OP, success(0));
    const failing = (formatter: Formatter): Formatter => ({
      ...formatter,
      write: () => Promise.reject(new Deno.errors.BrokenPipe("stdout closed")),
    });
    await assertRejects(() => run({}, "table", failing), Deno.errors.BrokenPipe);
    // Was: the session never advanced.
    assertEquals(session.log, [`advance ${RESULT} sh -c echo hi ${OP}`]);
    assertEquals(ctx.stdout.text(), "");
  }));
