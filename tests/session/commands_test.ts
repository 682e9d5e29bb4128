// Session commands in process, where the clock and the terminal can be controlled.

import { App, type GlobalOptions } from "../../src/cli/app.ts";
import { sessionDeps } from "../../src/cli/wiring.ts";
import type { SessionDeps } from "../../src/session/deps.ts";
import { configPaths, ProfileStore } from "../../src/config/profiles.ts";
import { sessionShow, sessionWait } from "../../src/session/session_cmd.ts";
import { useCommand } from "../../src/session/use_cmd.ts";
import type { Operation } from "../../src/api/models.ts";
import { assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { LostContact } from "../../src/sse/contact.ts";
import { FakeClock, type TestContext, testContext } from "../support/context.ts";
import { IMG, OP } from "../support/sessions.ts";

async function withApp(
  options: { stdoutTty?: boolean; env?: Record<string, string>; format?: GlobalOptions["format"] },
  fn: (deps: SessionDeps, ctx: TestContext, clock: FakeClock) => Promise<void>,
): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "contree-cmd-test-" });
  const clock = new FakeClock();
  const ctx = testContext({
    env: { CONTREE_HOME: home, ...options.env },
    clock,
    stdoutTty: options.stdoutTty,
  });
  const config = await ProfileStore.load(configPaths(ctx.env, ctx.home));
  const app = new App(ctx, {
    logLevel: "info",
    format: options.format ?? "json",
    session: "k",
  }, config);
  try {
    await fn(sessionDeps(app), ctx, clock);
  } finally {
    await app.close();
    await Deno.remove(home, { recursive: true });
  }
}

function rows(ctx: TestContext): Record<string, unknown>[] {
  return ctx.stdout.text().split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

Deno.test("use -N on a terminal warns that the key must be exported", async () => {
  await withApp({ stdoutTty: true }, async (deps, ctx) => {
    assertEquals(await useCommand(deps, { image: IMG[0], new: true }), 0);
    assertStringIncludes(
      ctx.stderr.text(),
      `[WARNING] Session is not active until exported. Either paste the line above, or use: eval $(contree use -N ${
        IMG[0]
      })`,
    );
  });
  await withApp({ stdoutTty: true, env: { SHELL: "/bin/fish" } }, async (deps, ctx) => {
    await useCommand(deps, { image: IMG[0], new: true });
    assertStringIncludes(ctx.stdout.text(), "set -gx CONTREE_SESSION ");
    assertStringIncludes(ctx.stderr.text(), `use: eval (contree use -N ${IMG[0]})`);
  });
  await withApp({ stdoutTty: false }, async (deps, ctx) => {
    await useCommand(deps, { image: IMG[0], new: true });
    assertEquals(ctx.stderr.text(), "", "no warning when stdout is captured");
  });
});

Deno.test("session show: last 20 by default, --all, --last, --kind, --since/--until", () =>
  withApp({}, async (deps, ctx, clock) => {
    const store = await deps.store();
    store.setImage("k", { image: IMG[0], kind: "use" }); // 20:00:00
    for (let i = 1; i <= 24; i++) {
      clock.advance(60_000);
      store.setImage("k", {
        image: IMG[1],
        kind: i % 5 === 0 ? "run-detached" : "run",
        title: `${i}`,
      });
    }
    const show = async (options: Partial<Parameters<typeof sessionShow>[1]>) => {
      ctx.stdout.chunks.length = 0;
      ctx.stderr.chunks.length = 0;
      await sessionShow(deps, { all: false, ...options });
      return rows(ctx);
    };
    const recent = await show({});
    assertEquals(recent.length, 20);
    assertEquals(recent[0].title, "5");
    assertStringIncludes(
      ctx.stderr.text(),
      "[INFO] Showing last 20 of 25 history entries. Use `contree session show --all` for full history.",
    );
    assertEquals((await show({ all: true })).length, 25);
    assertEquals((await show({ last: 3 })).map((r) => r.title), ["22", "23", "24"]);
    assertEquals(ctx.stderr.text(), "");
    assertEquals((await show({ kind: "run-detached" })).map((r) => r.title), [
      "5",
      "10",
      "15",
      "20",
    ]);
    assertEquals((await show({ kind: "run", all: true })).length, 24, "run and run-*");
    // Entries are one minute apart from 20:00:00 UTC on 2026-06-08.
    const window = await show({ since: "2026-06-08T20:10:00Z", until: "2026-06-08 20:12" });
    assertEquals(window.map((r) => r.title), ["10", "11", "12"]);
    assertEquals(window[0].created_at, "2026-06-08T20:10:00+00:00");
    const lastFive = await show({ since: "5m" });
    assertEquals(lastFive.map((r) => r.title), ["19", "20", "21", "22", "23", "24"]);
  }));

Deno.test("session wait: a disposable detached run gets its branch back, not the main tip", () =>
  withApp({ env: { CONTREE_URL: "http://127.0.0.1:9", CONTREE_TOKEN: "t" } }, async (deps, ctx) => {
    const store = await deps.store();
    store.setImage("k", { image: IMG[0], kind: "use" });
    store.addPendingOp("k", { op: OP[0], title: "pytest", disposable: true, branch: "" });
    store.addPendingOp("k", { op: OP[1], title: "build", disposable: false, branch: "" });
    const finished: Record<string, Operation> = {
      [OP[0]]: { uuid: OP[0], kind: "instance", status: "SUCCESS", result: { image: IMG[2] } },
      [OP[1]]: { uuid: OP[1], kind: "instance", status: "FAILED", result: { image: IMG[3] } },
    };
    const waited: string[] = [];
    const code = await sessionWait(deps, [], (_client, uuid) => {
      waited.push(uuid);
      return Promise.resolve(finished[uuid]);
    });
    assertEquals(code, 1);
    assertEquals(waited, [OP[0], OP[1]]);
    assertEquals(store.tip("k")?.image, IMG[0], "neither a disposable nor a failed run advances");
    assertEquals(store.branchTip("k", `disposable-${OP[0]}`)?.kind, "run-disposable");
    assertEquals(store.pendingOps("k"), []);
    assertEquals(store.cacheGet<Operation>(OP[1], "operation")?.status, "FAILED");
    assertEquals(rows(ctx).map((r) => [r.uuid, r.status, r.title]), [
      [OP[0], "SUCCESS", "pytest"],
      [OP[1], "FAILED", "build"],
    ]);
  }));

Deno.test("session wait: lost contact names every operation not seen finished", () =>
  withApp({ env: { CONTREE_URL: "http://127.0.0.1:9", CONTREE_TOKEN: "t" } }, async (deps) => {
    const store = await deps.store();
    store.setImage("k", { image: IMG[0], kind: "use" });
    for (const op of OP.slice(0, 3)) {
      store.addPendingOp("k", { op, title: "", disposable: false, branch: "" });
    }
    const error = (await assertRejects(
      () =>
        sessionWait(
          deps,
          [],
          (_client, uuid) =>
            uuid === OP[0]
              ? Promise.resolve({ uuid, kind: "instance", status: "SUCCESS" })
              : Promise.reject(new LostContact("http://h", uuid, 900)),
        ),
      LostContact,
    )) as LostContact;
    assertEquals(error.uuid, `${OP[1]} ${OP[2]}`);
    assertStringIncludes(error.message, `operations ${OP[1]} ${OP[2]} were left running`);
    // Still pending: waiting again records them (`op wait` would only look).
    assertStringIncludes(error.message, "Pick them up later with: contree session wait");
    assertEquals(store.pendingOps("k").map((p) => p.op), [OP[1], OP[2]], "still pending");
  }));
