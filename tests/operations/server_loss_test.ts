// `run` when the server goes away mid-run, against the fake behind a FaultProxy (the same rows
// on podman: tests/integration/server_loss_podman_test.ts):
// - killed and restarted on the same port: the operation ends FAILED with the server's reason,
//   the CLI says so once and exits 1, having printed what the sandbox printed before;
// - gone for good, with the documented defaults end to end (real time, ~15 s): the lost-contact
//   warning, then after CONTREE_FOLLOW_TIMEOUT the error with the `op wait` hint, exit 1, and
//   the operation is not cancelled. The timeout is 15 here (20 on podman): a warning printed
//   before the give-up error proves it came within 15 s of the loss, without a timed assertion.

import { RESTARTED_ERROR } from "../../src/server/operations.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { runCli, tempHome, watchCli } from "../support/cli.ts";
import { FakeApi } from "../support/fake_api.ts";
import { FakeSandbox, type Program, textChunks } from "../support/fake_sandbox.ts";
import { FaultProxy } from "../support/fault_proxy.ts";

const IMAGE = "11111111-2222-3333-4444-555555555555";

const HELD: Program = {
  script: "echo before; echo before-err >&2; sleep 60; echo after",
  chunks: textChunks(["stdout", "before\n"], ["stderr", "before-err\n"], ["stdout", "after\n"]),
  exit: 0,
  holdAfter: 2,
};

async function withFake(
  fn: (
    ctx: { fake: FakeApi; sandbox: FakeSandbox; proxy: FaultProxy; env: Record<string, string> },
  ) => Promise<void>,
): Promise<void> {
  const fake = FakeApi.start();
  const sandbox = new FakeSandbox(fake).program(HELD);
  const proxy = new FaultProxy({ hostname: "127.0.0.1", port: fake.port });
  const { home, cleanup } = await tempHome();
  const env = {
    CONTREE_HOME: home,
    CONTREE_URL: proxy.url,
    CONTREE_TOKEN: fake.token,
    CONTREE_SESSION: "loss",
  };
  try {
    await fn({ fake, sandbox, proxy, env });
  } finally {
    sandbox.release();
    await proxy.close();
    await fake.close();
    await cleanup();
  }
}

const runArgs = ["run", "-D", "--use", IMAGE, "--", "sh", "-c", HELD.script];

/** A run whose server is killed and restarted mid-run: FAILED with the server's reason, exit 1. */
async function restartedMidRun(
  { sandbox, proxy, env }: { sandbox: FakeSandbox; proxy: FaultProxy; env: Record<string, string> },
): Promise<void> {
  const cli = watchCli(runArgs, { env });
  await cli.shows("stderr", "before-err\n");
  await cli.shows("stdout", "before\n");
  proxy.down();
  sandbox.crash();
  await proxy.up();
  const result = await cli.finished;
  const [uuid] = [...sandbox.ops.keys()];
  assertEquals(result.stdout, "before\n");
  assertEquals(
    result.stderr,
    `before-err\n[CRITICAL] Operation ${uuid} ended with status FAILED: ${RESTARTED_ERROR}\n`,
  );
  assertEquals(result.code, 1);
}

Deno.test({
  name:
    "server loss (fake): killed and restarted mid-run → FAILED with the server's reason, exit 1",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => withFake(restartedMidRun),
});

Deno.test({
  name:
    "server loss (fake), local profile: the uncompressed stream ends the same way after a restart",
  sanitizeOps: false,
  sanitizeResources: false,
  // The proxy is on 127.0.0.1: as the profile `contree server start` writes (the events come
  // uncompressed, through fetch).
  fn: () =>
    withFake((ctx) => restartedMidRun({ ...ctx, env: { ...ctx.env, CONTREE_PROFILE: "local" } })),
});

Deno.test({
  name: "server loss (fake): gone for good → the warning, then exit 1 with the op wait hint",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withFake(async ({ sandbox, proxy, env }) => {
      // A run that is kept (not -D): its result belongs in the session.
      const kept = runArgs.filter((arg) => arg !== "-D");
      const cli = watchCli(kept, { env: { ...env, CONTREE_FOLLOW_TIMEOUT: "15" } });
      await cli.shows("stdout", "before\n");
      await cli.shows("stderr", "before-err\n");
      proxy.down();
      const result = await cli.finished;
      const [uuid] = [...sandbox.ops.keys()];
      assertEquals(result.stdout, "before\n");
      const lines = result.stderr.split("\n");
      assertEquals(lines, [
        "before-err",
        `[WARNING] Lost contact with ${proxy.url}; retrying (operation ${uuid} keeps running; ` +
        "Ctrl-C cancels it)",
        `[ERROR] No contact with ${proxy.url} for 15s; operation ${uuid} was left running on ` +
        "the server. Pick it up later with: contree session wait",
        "",
      ]);
      assertEquals(result.code, 1);
      assertEquals(sandbox.cancelled, [], "lost contact never cancels the operation");
      assertMatch(uuid, /^[0-9a-f-]{36}$/);
      assert(!sandbox.ops.get(uuid)!.done, "the operation is still running");
      // Back, and finished: the hint records it in the session as the run would have. Was: the
      // hint was `op wait`, which only looks, and the session's next run lost its work.
      await proxy.up();
      sandbox.release();
      const waited = await runCli(["session", "wait"], { env, killAfterMs: 60_000 });
      assertEquals(waited.code, 0, waited.stderr);
      const history = await runCli(["-f", "json", "session", "show"], { env });
      const last = JSON.parse(history.stdout.trim().split("\n").at(-1)!);
      assertEquals([last.kind, last.operation], ["run", uuid], history.stdout);
      assertEquals(last.image, sandbox.ops.get(uuid)!.record.result_image_uuid);
    }),
});

Deno.test({
  name: "server loss (fake): op wait on a server that takes requests but never answers " +
    "warns on time and ends at its --timeout",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withFake(async ({ sandbox, proxy, env }) => {
      const spawned = await runCli([
        "-f",
        "json",
        ...runArgs.slice(0, 1),
        "-d",
        ...runArgs.slice(1),
      ], {
        env,
      });
      assertEquals(spawned.code, 0, spawned.stderr);
      const uuid = JSON.parse(spawned.stdout).uuid;
      proxy.plan = () => ({ hang: true });
      // Over 10 s: the lost-contact warning must come while the first request still hangs.
      const waited = await runCli(["op", "wait", "-t", "12", uuid], { env, killAfterMs: 60_000 });
      // Was: no warning, and no end (the first GET had no deadline).
      assertEquals(waited.code, 1, waited.stderr);
      assertEquals(waited.stderr.split("\n"), [
        `[WARNING] Lost contact with ${proxy.url}; retrying (the operations keep running on the ` +
        "server)",
        `[ERROR] Could not check 1 operation(s): Request timed out: GET /operations/${uuid}`,
        "[WARNING] Timeout: 1 operation(s) did not finish in 12s",
        "",
      ]);
      assertMatch(waited.stdout, new RegExp(`${uuid}\\s+UNKNOWN`));
      assert(!sandbox.ops.get(uuid)!.done, "the operation is still running");
    }),
});

Deno.test({
  name: "server loss (fake): op wait on many operations and a server that never answers " +
    "spends one shared second past its --timeout, not a second per operation",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withFake(async ({ proxy, env }) => {
      proxy.plan = () => ({ hang: true });
      // More than op wait checks one GET each: one listing of active operations per round.
      const uuids = Array.from({ length: 12 }, () => crypto.randomUUID());
      const waited = await runCli(["op", "wait", "-t", "2", ...uuids], {
        env,
        killAfterMs: 60_000,
      });
      assertEquals(waited.code, 1, waited.stderr);
      assertEquals(waited.stderr.split("\n").slice(-3), [
        "[ERROR] Could not check 12 operation(s): Request timed out: GET /operations",
        "[WARNING] Timeout: 12 operation(s) did not finish in 2s",
        "",
      ]);
      assertEquals(waited.stdout.trim().split("\n").length, 1 + uuids.length, waited.stdout);
      // Was: the listing hung to the deadline, then every operation got a GET of at least a
      // second in the round and again in the last check, 8 at a time (25 requests, ~6 s).
      assertEquals(proxy.requests.map((r) => `${r.method} ${r.path}`), ["GET /v1/operations"]);
    }),
});

Deno.test({
  name: "server loss (fake): op wait on many operations and a slow server: the listing's " +
    "requests share the second past --timeout too",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withFake(async ({ fake, env }) => {
      const uuids = Array.from({ length: 12 }, () => crypto.randomUUID());
      // Each listing (one per active status) answers after 1.5 s: the first ends 0.5 s before
      // the shared end (-t 1, plus a second), the second cannot finish in what is left.
      fake.on("GET", "/v1/operations", async (request) => {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const executing = request.query.get("status") === "EXECUTING";
        return {
          json: executing ? uuids.map((uuid) => ({ uuid, status: "EXECUTING" })) : [],
        };
      });
      const waited = await runCli(["op", "wait", "-t", "1", ...uuids], {
        env,
        killAfterMs: 60_000,
      });
      assertEquals(waited.code, 1, waited.stderr);
      // Was: each listing request got the whole time left when the listing began, one after
      // another (PENDING, ASSIGNED, EXECUTING: 4.5 s for a 1 s timeout).
      const statuses = fake.calls("GET", "/v1/operations").map((r) => r.query.get("status"));
      assertEquals(statuses, ["PENDING", "ASSIGNED"]);
      assertStringIncludes(
        waited.stderr,
        "[WARNING] Timeout: 12 operation(s) did not finish in 1s",
      );
    }),
});
