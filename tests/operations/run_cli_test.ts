import type { OperationEvent } from "../../src/api/models.ts";
import { NO_SESSION_MESSAGE } from "../../src/session/errors.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { readUntil, runCli, spawnCli, tempHome } from "../support/cli.ts";
import { FakeApi } from "../support/fake_api.ts";
import { installEventLog, runEvents } from "../support/fake_events.ts";
import { FakeOperations, finishedOperation } from "../support/fake_operations.ts";

const IMAGE = "11111111-2222-3333-4444-555555555555";
const RESULT = "99999999-2222-3333-4444-555555555555";
const OP = "87654321-9abc-baba-deda-0123456789ab";

interface Env {
  fake: FakeApi;
  env: Record<string, string>;
}

async function withApi(fn: (e: Env) => Promise<void>) {
  const fake = FakeApi.start();
  const { home, cleanup } = await tempHome();
  fake.on("POST", "/v1/instances", () => ({ status: 201, json: { uuid: OP, status: "PENDING" } }));
  fake.on("DELETE", `/v1/operations/${OP}`, () => ({ status: 202 }));
  const env = {
    CONTREE_HOME: home,
    CONTREE_URL: fake.url,
    CONTREE_TOKEN: fake.token,
    CONTREE_SESSION: "test-session",
  };
  try {
    const used = await runCli(["use", IMAGE], { env });
    assertEquals(used.code, 0, used.stderr);
    await fn({ fake, env });
  } finally {
    await fake.close();
    await cleanup();
  }
}

function withResult(events: OperationEvent[]): OperationEvent[] {
  return events.map((e) =>
    e.type === "completion" ? { ...e, data: { ...e.data, result_image_uuid: RESULT } } : e
  );
}

/**
 * Serves a run that prints "first" and "second", holding the second line until `release()`;
 * `secondSent()` says whether it has gone out.
 */
function holdSecondLine(fake: FakeApi): { release(): void; secondSent(): boolean } {
  const events = withResult(
    runEvents([{ stream: "stdout", bytes: "first\n" }, { stream: "stdout", bytes: "second\n" }], {
      code: 0,
    }),
  );
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let sent = false;
  fake.on("GET", `/v1/operations/${OP}/events`, () => ({
    events: [
      ...events.slice(0, 3).map((frame) => ({ frame })),
      { waitFor: released },
      { signal: () => (sent = true) },
      ...events.slice(3).map((frame) => ({ frame })),
    ],
  }));
  return { release, secondSent: () => sent };
}

Deno.test("run: output reaches stdout while the server still holds the next frame", () =>
  withApi(async ({ fake, env }) => {
    const { release, secondSent: sent } = holdSecondLine(fake);
    const child = spawnCli(["run", "--", "sh", "-c", "echo first; sleep 1; echo second"], { env });
    const reader = child.stdout.getReader();
    assertEquals(await readUntil(reader, "first\n"), "first\n");
    assert(!sent(), "the first line was printed before the server sent the second");
    release();
    assertEquals(await readUntil(reader, "second\n"), "second\n");
    reader.releaseLock();
    const status = await child.status;
    await child.stderr.cancel();
    assertEquals(status.code, 0);

    const history = await runCli(["-f", "json", "session", "show"], { env });
    const rows = history.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(rows.at(-1).image, RESULT, "the session advanced to the result image");
    assertEquals(rows.at(-1).kind, "run");
  }));

Deno.test("run on the local profile: the event stream comes uncompressed, as live; elsewhere gzip'd", () =>
  withApi(async ({ fake, env }) => {
    const { release, secondSent } = holdSecondLine(fake);
    // CONTREE_URL is the fake on 127.0.0.1: as `-p local`, the profile `contree server start` writes.
    const child = spawnCli([
      "-p",
      "local",
      "run",
      "--use",
      IMAGE,
      "--",
      "sh",
      "-c",
      "echo first; echo second",
    ], {
      env,
    });
    const reader = child.stdout.getReader();
    assertEquals(await readUntil(reader, "first\n"), "first\n");
    assert(!secondSent(), "the first line was printed before the server sent the second");
    release();
    assertEquals(await readUntil(reader, "second\n"), "second\n");
    reader.releaseLock();
    assertEquals((await child.status).code, 0);
    await child.stderr.cancel();

    const plain = await runCli(["run", "--", "true"], { env });
    assertEquals(plain.code, 0, plain.stderr);
    const asked = fake.calls("GET", `/v1/operations/${OP}/events`)
      .map((request) => request.headers.get("accept-encoding"));
    assertEquals(asked, ["identity", "gzip"]);
  }));

Deno.test("run | head -c 10: the broken pipe cancels the operation and exits 141", () =>
  withApi(async ({ fake, env }) => {
    const big = "x".repeat(64 * 1024) + "\n";
    const events = runEvents(
      Array.from({ length: 60 }, () => ({ stream: "stdout" as const, bytes: big })),
    );
    // Serve the first frames, then hold the stream open: only the pipe can end this run.
    fake.on("GET", `/v1/operations/${OP}/events`, () => ({
      events: [...events.slice(0, 40).map((frame) => ({ frame })), { delayMs: 30_000 }],
    }));
    const child = spawnCli(["run", "--", "yes"], { env });
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    assert(value && value.length > 0);
    await reader.cancel(); // like `head -c 10` exiting after its bytes
    const status = await child.status;
    await child.stderr.cancel();
    assertEquals(status.code, 141);
    assertEquals(fake.calls("DELETE", `/v1/operations/${OP}`).length, 1);
  }));

Deno.test("run: the first SIGINT goes to the process, the second cancels (130); SIGTERM cancels (143)", async () => {
  for (const signals of [["SIGINT", "SIGINT"], ["SIGTERM"]] as const) {
    await withApi(async ({ fake, env }) => {
      let sent!: () => void;
      const firstSent = new Promise<void>((resolve) => (sent = resolve));
      fake.on("GET", `/v1/operations/${OP}/events`, () => ({
        events: [{ frame: runEvents([])[0] }, { signal: sent }, { delayMs: 30_000 }],
      }));
      let signalled!: () => void;
      const processSignalled = new Promise<void>((resolve) => (signalled = resolve));
      fake.on("DELETE", `/v1/operations/${OP}/subprocesses/1`, () => {
        signalled();
        return { status: 204 };
      });
      const child = spawnCli(["run", "--", "sleep", "100"], { env });
      // A CLI that ends first fails the test with what it said (it hung: see the -f json test).
      const orExit = <T>(event: Promise<T>) =>
        Promise.race([
          event,
          child.status.then(async (status) => {
            // Read only when nothing else reads it (after the race, `output()` does).
            const said = child.stderr.locked ? "" : await new Response(child.stderr).text();
            throw new Error(`exited ${status.code} first: ${said}`);
          }),
        ]);
      await orExit(firstSent); // the operation runs and its stream is open
      child.kill(signals[0]);
      if (signals.length === 2) {
        await orExit(processSignalled); // the sandbox's process got SIGINT; the run goes on
        assertEquals(fake.calls("DELETE", `/v1/operations/${OP}`).length, 0);
        child.kill(signals[1]);
      }
      const output = await child.output();
      const stderr = new TextDecoder().decode(output.stderr);
      assertEquals(output.code, signals[0] === "SIGINT" ? 130 : 143);
      assertEquals(fake.calls("DELETE", `/v1/operations/${OP}`).length, 1);
      assertStringIncludes(stderr, `[INFO] Cancelled operation ${OP}`);
      if (signals.length === 2) {
        const [request] = fake.calls("DELETE", `/v1/operations/${OP}/subprocesses/1`);
        assertEquals(request.query.get("signal"), "INT");
        assertStringIncludes(
          stderr,
          `[INFO] Sent SIGINT to operation ${OP}; waiting for it to exit (Ctrl-C again to force-cancel)`,
        );
      } else {
        // SIGTERM cancels at once: no SIGINT goes to the process, and nothing says one did.
        assertEquals(fake.calls("DELETE", `/v1/operations/${OP}/subprocesses/1`).length, 0);
        assertEquals(stderr, `[INFO] Cancelled operation ${OP}\n[ERROR] Terminated\n`);
      }
    });
  }
});

Deno.test("run: Ctrl-C on a run still queued cancels it at once (130); no SIGINT is sent", () =>
  withApi(async ({ fake, env }) => {
    let sent!: () => void;
    const following = new Promise<void>((resolve) => (sent = resolve));
    fake.on("GET", `/v1/operations/${OP}/events`, () => ({
      events: [{ signal: sent }, { delayMs: 30_000 }],
    }));
    fake.on("GET", `/v1/operations/${OP}`, () => ({
      json: { uuid: OP, kind: "instance", status: "PENDING" },
    }));
    const child = spawnCli(["run", "--", "sleep", "100"], { env });
    await following;
    child.kill("SIGINT");
    // The old CLI waited for the queue: a failure, not a hung test.
    const guard = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const output = await child.output();
    clearTimeout(guard);
    const stderr = new TextDecoder().decode(output.stderr);
    // Was: SIGINT to a process not up (425 four times), a warning, and a run waiting in the queue.
    assertEquals(output.code, 130, stderr);
    assertEquals(fake.calls("DELETE", `/v1/operations/${OP}`).length, 1);
    assertEquals(fake.calls("DELETE", `/v1/operations/${OP}/subprocesses/1`).length, 0);
    assertStringIncludes(stderr, `[INFO] Operation ${OP} has not started (PENDING): cancelling it`);
    assertStringIncludes(stderr, `[INFO] Cancelled operation ${OP}`);
  }));

Deno.test("run -f json: one JSONL row with the exit code passed through", () =>
  withApi(async ({ fake, env }) => {
    installEventLog(
      fake,
      OP,
      withResult(runEvents([{ stream: "stdout", bytes: "hi\n" }], { code: 7 })),
    );
    const result = await runCli(["-f", "json", "run", "--", "sh", "-c", "echo hi; exit 7"], {
      env,
    });
    if (result.code !== 7) {
      // Seen twice in CI, never here: the run found no session right after `use` made it.
      const show = await runCli(["-f", "json", "session", "show"], { env });
      const files = [...Deno.readDirSync(`${env.CONTREE_HOME}/cli/sessions`)].map((e) => e.name);
      throw new Error(
        `exit ${result.code}: ${result.stderr}\nsession show: ${show.code} ${show.stdout}` +
          `${show.stderr}\nsessions/: ${files.join(" ")}\ncalls: ${
            fake.requests.map((r) => `${r.method} ${r.path}`).join(", ")
          }`,
      );
    }
    const row = JSON.parse(result.stdout);
    assertEquals([row.uuid, row.exit_code, row.stdout, row.image], [OP, 7, "hi\n", RESULT]);
    assertEquals(result.stderr, "");
  }));

Deno.test("run: a spawn whose answer is lost says the run may have started; a refused one does not", () =>
  withApi(async ({ fake, env }) => {
    // Not retried (it could start a second run); the user is told where to look.
    fake.on("POST", "/v1/instances", () => ({
      status: 201,
      json: { uuid: OP, status: "PENDING" },
      dropBody: true,
    }));
    const lost = await runCli(["run", "--", "true"], { env });
    assertEquals(lost.code, 1, lost.stderr);
    assertStringIncludes(lost.stderr, "the run may have started on the server all the same");
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closed = `http://127.0.0.1:${listener.addr.port}`;
    listener.close();
    const refused = await runCli(["run", "--", "true"], { env: { ...env, CONTREE_URL: closed } });
    assertEquals(refused.code, 1, refused.stderr);
    assertEquals(refused.stderr.includes("may have started"), false, refused.stderr);
    // The `local` profile says what a refusal means at once; still not "may have started".
    const local = await runCli(["-p", "local", "run", "--use", IMAGE, "--", "true"], {
      env: { ...env, CONTREE_URL: closed },
    });
    assertEquals(local.code, 1, local.stderr);
    assertStringIncludes(local.stderr, "the local server is not running");
    assertEquals(local.stderr.includes("may have started"), false, local.stderr);
  }));

Deno.test("run: a SUCCESS operation whose process timed out (exit code −1) exits 255, not 0", () =>
  withApi(async ({ fake, env }) => {
    installEventLog(
      fake,
      OP,
      withResult(runEvents([{ stream: "stdout", bytes: "started\n" }], {
        code: -1,
        timed_out: true,
      })),
    );
    const result = await runCli(["run", "-t", "5", "--", "sleep", "100"], { env });
    assertEquals(result.code, 255, result.stderr);
    assertEquals(result.stdout, "started\n");
    assertStringIncludes(result.stderr, "timed out after 5s");
  }));

Deno.test("run without a session: the two-line notice, exit 1", async () => {
  const fake = FakeApi.start();
  const { home, cleanup } = await tempHome();
  try {
    const result = await runCli(["run", "true"], {
      env: {
        CONTREE_HOME: home,
        CONTREE_URL: fake.url,
        CONTREE_TOKEN: fake.token,
        CONTREE_SESSION: "none",
      },
    });
    assertEquals(result.code, 1, result.stderr);
    // As `ls` and the session commands print it, and as the reference does: no `[ERROR]` label.
    assertEquals(result.stderr, `${NO_SESSION_MESSAGE}\n`);
    assertEquals(fake.calls("POST", "/v1/instances").length, 0);
  } finally {
    await fake.close();
    await cleanup();
  }
});

Deno.test("op wait: exit status composition; show --raw is valid JSONL; refs resolve", () =>
  withApi(async ({ fake, env }) => {
    const A = "aaaaaaaa-0000-0000-0000-000000000001";
    const B = "bbbbbbbb-0000-0000-0000-000000000002";
    new FakeOperations(fake, [
      finishedOperation(A, "SUCCESS", 0),
      finishedOperation(B, "SUCCESS", 3),
    ]);
    assertEquals((await runCli(["op", "wait", A], { env })).code, 0);
    const both = await runCli(["-f", "json", "op", "w", A, B], { env });
    assertEquals(both.code, 3, both.stderr);
    assertEquals(both.stdout.trim().split("\n").map((l) => JSON.parse(l).exit_code).sort(), [0, 3]);

    const raw = await runCli(["show", "--raw", `${A} ${B}`], { env });
    assertEquals(raw.code, 0, raw.stderr);
    assertEquals(raw.stdout.trim().split("\n").map((l) => JSON.parse(l).uuid), [A, B]);

    const bad = await runCli(["op", "show", "@0", "garbage"], { env });
    assertEquals(bad.code, 1, bad.stderr);
    assertStringIncludes(
      bad.stderr,
      "Invalid operation references: @0: History reference must be a non-zero number garbage",
    );
  }));

Deno.test("ps: rows through the formatter; -q prints UUIDs only", () =>
  withApi(async ({ fake, env }) => {
    new FakeOperations(fake, [{ uuid: OP, kind: "instance", status: "EXECUTING", error: null }]);
    const quiet = await runCli(["ps", "-q"], { env });
    assertEquals(quiet.stdout, `${OP}\n`);
    const table = await runCli(["ps"], { env });
    assertStringIncludes(table.stdout, "UUID");
    assertStringIncludes(table.stdout, "EXECUTING");
    const since = await runCli(["ps", "--since", "1h"], { env });
    assertEquals(since.code, 0, since.stderr);
    assert(fake.requests.at(-1)!.query.get("since")!.endsWith("Z"));
  }));

Deno.test("bad input: an empty reference is a usage error (exit 2, one line); a bad shape exit 1", () =>
  withApi(async ({ fake, env }) => {
    for (
      const args of [["show", ""], ["op", "show", " "], ["op", "wait", ""], ["op", "cancel", ""], [
        "kill",
        OP,
        "",
      ]]
    ) {
      const result = await runCli(args, { env });
      assertEquals(
        [result.code, result.stdout, result.stderr],
        [
          2,
          "",
          "[ERROR] Empty operation reference: give a UUID or a history reference (HEAD, @N, @-N, …)\n",
        ],
        args.join(" "),
      );
    }
    assertEquals(fake.calls("DELETE", `/v1/operations/${OP}`).length, 0, "nothing was cancelled");
    fake.on("GET", "/v1/images", () => ({ json: { images: { latest: "x" } } }));
    const images = await runCli(["images"], { env });
    assertEquals([images.code, images.stdout], [1, ""]);
    assertEquals(
      images.stderr,
      '[ERROR] Unexpected response from GET /images: "images" is an object, not a list\n',
    );
  }));
