import { DatabaseSync } from "node:sqlite";
import {
  NO_SESSION_MESSAGE,
  NoActiveSession,
  SessionDatabaseError,
  SessionError,
  SessionStore,
} from "../../src/session/store.ts";
import { SCHEMA_VERSION } from "../../src/session/schema.ts";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "../support/assert.ts";
import { IMG, OP, tempDb, withStore } from "../support/sessions.ts";

const K = "test";

Deno.test("store: set_image chains entries through parent links and starts on main", () =>
  withStore((store) => {
    assertEquals(store.tip(K), undefined);
    const a = store.setImage(K, { image: IMG[0], kind: "use", title: "ubuntu" });
    const b = store.setImage(K, { image: IMG[1], kind: "run", title: "make", operation: OP[0] });
    assertEquals(a.parentId, null);
    assertEquals(b.parentId, a.id);
    assertEquals(b.operation, OP[0]);
    assertEquals(store.state(K)?.activeBranch, "main");
    assertEquals(store.tip(K)?.id, b.id);
    assertEquals(store.currentImage(K), IMG[1]);
    assertEquals(store.history(K).map((e) => e.image), [IMG[0], IMG[1]]);
    assertEquals(store.ancestry(K).map((e) => e.id), [b.id, a.id]);
    // The store's clock stamps entries, in SQLite's own format.
    assertEquals(a.createdAt, "2026-06-08T20:00:01");
    const summary = store.summary(K)!;
    assertEquals(summary.currentImage, IMG[1]);
    assertEquals(summary.lastKind, "run");
    assertEquals(summary.lastTitle, "make");
  }));

Deno.test("store: WAL journal, schema version recorded, ids global across sessions", () =>
  withStore((store, path) => {
    store.setImage("one", { image: IMG[0], kind: "use" });
    const other = store.setImage("two", { image: IMG[1], kind: "use" });
    assertEquals(other.id, 2);
    assertEquals(store.schemaVersion(), SCHEMA_VERSION);
    const raw = new DatabaseSync(path);
    try {
      assertEquals(raw.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
    } finally {
      raw.close();
    }
  }));

Deno.test("store: requireTip without a session gives the two-line notice", () =>
  withStore((store) => {
    const error = assertThrows(() => store.requireTip(K), NoActiveSession);
    assertEquals(error.message, NO_SESSION_MESSAGE);
    assertStringIncludes(NO_SESSION_MESSAGE, "\nAgents: read `contree agent`");
  }));

Deno.test("store: set_image_on_branch creates the branch from its own tip, active unchanged", () =>
  withStore((store) => {
    const root = store.setImage(K, { image: IMG[0], kind: "use" });
    const layer1 = store.setImageOnBranch(K, "layer", { image: IMG[1], kind: "run" });
    const layer2 = store.setImageOnBranch(K, "layer", { image: IMG[2], kind: "run" });
    assertEquals(layer1.parentId, null);
    assertEquals(layer2.parentId, layer1.id);
    assertEquals(store.activeBranch(K), "main");
    assertEquals(store.tip(K)?.id, root.id);
    assertEquals(store.branchTip(K, "layer")?.id, layer2.id);
  }));

Deno.test("store: detached and disposable branches hang off the tip with the tip's image", () =>
  withStore((store) => {
    assertThrows(() => store.createDetachedBranch(K, OP[0], "x"), NoActiveSession);
    const tip = store.setImage(K, { image: IMG[0], kind: "use" });
    const detached = store.createDetachedBranch(K, OP[0], "sleep 5");
    const disposable = store.createDisposableBranch(K, OP[1], "pytest");
    for (const [entry, kind] of [[detached, "run-detached"], [disposable, "run-disposable"]]) {
      const e = entry as typeof detached;
      assertEquals(e.parentId, tip.id);
      assertEquals(e.image, IMG[0]);
      assertEquals(e.kind, kind);
    }
    assertEquals(detached.operation, OP[0]);
    assertEquals(detached.title, "sleep 5");
    assertEquals(store.branchTip(K, `detached-${OP[0]}`)?.id, detached.id);
    assertEquals(store.branchTip(K, `disposable-${OP[1]}`)?.id, disposable.id);
    assertEquals(store.activeBranch(K), "main");
    assertEquals(store.tip(K)?.id, tip.id);
    // Insert-or-replace: the same op again moves the branch.
    const again = store.createDisposableBranch(K, OP[1], "pytest");
    assertEquals(store.branchTip(K, `disposable-${OP[1]}`)?.id, again.id);
  }));

Deno.test("store: navigate back, absolute, and its errors", () =>
  withStore((store) => {
    assertThrows(() => store.navigate(K, -1), SessionError, "No active session");
    const a = store.setImage(K, { image: IMG[0], kind: "use" });
    const b = store.setImage(K, { image: IMG[1], kind: "run" });
    const c = store.setImage(K, { image: IMG[2], kind: "run" });
    const foreign = store.setImage("other", { image: IMG[3], kind: "use" });
    assertEquals(store.navigate(K, -2).id, a.id);
    assertEquals(store.tip(K)?.id, a.id);
    assertEquals(store.navigate(K, c.id).id, c.id);
    assertEquals(store.navigate(K, -1).id, b.id);
    assertThrows(
      () => store.navigate(K, -5),
      SessionError,
      "Cannot go back 5 steps: only 1 ancestors available",
    );
    assertThrows(() => store.navigate(K, 0), SessionError, "Navigation target must not be 0");
    assertThrows(
      () => store.navigate(K, foreign.id),
      SessionError,
      `History entry ${foreign.id} not found in this session`,
    );
    assertThrows(() => store.navigate(K, 999), SessionError, "History entry 999 not found");
    assertEquals(store.tip(K)?.id, b.id, "failed navigation leaves the tip alone");
  }));

Deno.test("store: navigate forward picks the newest child", () =>
  withStore((store) => {
    const a = store.setImage(K, { image: IMG[0], kind: "use" });
    store.setImage(K, { image: IMG[1], kind: "run" });
    store.navigate(K, a.id);
    const newer = store.setImage(K, { image: IMG[2], kind: "run" });
    const grandchild = store.setImage(K, { image: IMG[3], kind: "run" });
    store.navigate(K, a.id);
    assertEquals(store.navigateForward(K, 1).id, newer.id);
    store.navigate(K, a.id);
    assertEquals(store.navigateForward(K, 2).id, grandchild.id);
    assertThrows(
      () => store.navigateForward(K, 3),
      SessionError,
      "Cannot go forward 3 steps: only 0 children available",
    );
    store.navigate(K, a.id);
    assertThrows(
      () => store.navigateForward(K, 3),
      SessionError,
      "Cannot go forward 3 steps: only 2 children available",
    );
  }));

Deno.test("store: forward after a rollback skips the marks of disposable and detached runs", () =>
  withStore((store) => {
    store.setImage(K, { image: IMG[0], kind: "use" });
    const work = store.setImage(K, { image: IMG[1], kind: "run" });
    const base = store.navigate(K, -1);
    // A disposable and a detached run since the rollback: children of the tip, newer than work.
    store.createDisposableBranch(K, "op-d", "cat /root/m.txt");
    store.createDetachedBranch(K, "op-x", "sleep 60");
    assertEquals(store.tip(K)?.id, base.id, "side branches do not move the active one");
    // Was the disposable run's entry, which holds the old image: the work was lost to `+1`.
    assertEquals(store.navigateForward(K, 1).id, work.id);
  }));

Deno.test("store: create, switch, delete and prune branches", () =>
  withStore((store) => {
    assertThrows(() => store.createBranch(K, "x"), SessionError, "No active session");
    const a = store.setImage(K, { image: IMG[0], kind: "use" });
    store.createBranch(K, "feature");
    assertThrows(
      () => store.createBranch(K, "feature"),
      SessionError,
      "Branch 'feature' already exists",
    );
    assertThrows(
      () => store.createBranch(K, "y", "nope"),
      SessionError,
      "Source branch 'nope' does not exist",
    );
    assertEquals(store.activeBranch(K), "main", "creating does not switch");
    assertEquals(store.switchBranch(K, "feature").id, a.id);
    const f = store.setImage(K, { image: IMG[1], kind: "run" });
    assertEquals(store.branchTip(K, "main")?.id, a.id);
    assertEquals(store.branchTip(K, "feature")?.id, f.id);
    store.createBranch(K, "from-main", "main");
    assertEquals(store.branchTip(K, "from-main")?.id, a.id);
    assertThrows(() => store.switchBranch(K, "nope"), SessionError, "Branch 'nope' does not exist");
    assertThrows(
      () => store.deleteBranch(K, "feature"),
      SessionError,
      "Cannot delete the active branch",
    );
    assertThrows(() => store.deleteBranch(K, "nope"), SessionError, "Branch 'nope' does not exist");
    store.deleteBranch(K, "from-main");
    store.createDetachedBranch(K, OP[0], "a");
    store.createDisposableBranch(K, OP[1], "b");
    store.createDetachedBranch(K, OP[2], "c");
    store.switchBranch(K, `detached-${OP[2]}`);
    assertEquals(store.pruneBranches(K), [`detached-${OP[0]}`, `disposable-${OP[1]}`]);
    assertEquals(
      store.branches(K).map((b) => [b.name, b.active]),
      [[`detached-${OP[2]}`, true], ["feature", false], ["main", false]],
    );
    assertEquals(store.pruneBranches(K), []);
  }));

Deno.test("store: pending files — latest staging wins, the walk stops at a run", () =>
  withStore((store) => {
    store.setImage(K, { image: IMG[0], kind: "use" });
    store.stageFile(K, { path: "/app/a.txt", fileUuid: "f1" });
    const run = store.setImage(K, { image: IMG[1], kind: "run", operation: OP[0] });
    assertEquals(store.pendingFiles(K), [], "a successful run consumed the staged file");
    store.stageFile(K, { path: "/app/b.txt", fileUuid: "f2" });
    // Entries that are not exactly `run` do not stop the walk.
    store.createDisposableBranch(K, OP[1], "x");
    store.setImage(K, { image: IMG[1], kind: "cd", title: "/app" });
    store.setImage(K, { image: IMG[2], kind: "use" });
    const edit = store.stageFile(K, { path: "/app/b.txt", fileUuid: "f3", mode: "0755" });
    store.stageFile(K, { path: "/app/c.txt", fileUuid: "f4", uid: 1000, gid: 100 });
    assertEquals(store.pendingFiles(K), [
      { historyId: edit.id, path: "/app/b.txt", fileUuid: "f3", uid: 0, gid: 0, mode: "0755" },
      {
        historyId: edit.id + 1,
        path: "/app/c.txt",
        fileUuid: "f4",
        uid: 1000,
        gid: 100,
        mode: "0644",
      },
    ]);
    // Rolling back past the run makes the first file pending again.
    store.navigate(K, run.parentId!);
    assertEquals(store.pendingFiles(K).map((f) => f.fileUuid), ["f1"]);
    const staged = store.entry(run.parentId!)!;
    assertEquals(staged.kind, "file");
    assertEquals(staged.title, "Change file /app/a.txt");
  }));

Deno.test("store: pending files are branch-aware", () =>
  withStore((store) => {
    store.setImage(K, { image: IMG[0], kind: "use" });
    store.createBranch(K, "other");
    store.stageFile(K, { path: "/main.txt", fileUuid: "m" });
    store.switchBranch(K, "other");
    assertEquals(store.pendingFiles(K), []);
    store.stageFile(K, { path: "/other.txt", fileUuid: "o" });
    assertEquals(store.pendingFiles(K).map((f) => f.path), ["/other.txt"]);
    store.switchBranch(K, "main");
    assertEquals(store.pendingFiles(K).map((f) => f.path), ["/main.txt"]);
  }));

Deno.test("store: cwd follows cd entries, survives set_image, resets on rollback", () =>
  withStore((store) => {
    assertEquals(store.cwd(K), "/");
    store.setImage(K, { image: IMG[0], kind: "use" });
    assertEquals(store.cwd(K), "/");
    store.changeDirectory(K, "/srv");
    store.changeDirectory(K, "/srv/app");
    store.setImage(K, { image: IMG[1], kind: "run" });
    assertEquals(store.cwd(K), "/srv/app");
    assertEquals(store.resolvePath(K, ""), "/srv/app");
    assertEquals(store.resolvePath(K, "src/../lib/./x.py"), "/srv/app/lib/x.py");
    assertEquals(store.resolvePath(K, "../../../etc//hosts"), "/etc/hosts");
    assertEquals(store.resolvePath(K, "/abs/./p/"), "/abs/p");
    store.navigate(K, -2);
    assertEquals(store.cwd(K), "/srv");
    store.navigate(K, -1);
    assertEquals(store.cwd(K), "/");
    store.setImage(K, { image: IMG[1], kind: "cd", title: "" });
    assertEquals(store.cwd(K), "/", "an empty cd title means /");
  }));

Deno.test("store: find_session — exact first, literal suffix, ambiguity", () =>
  withStore((store) => {
    for (const key of ["proj+1a2b3c4d", "other+1a2b3c4d", "tools+99ff00aa", "x_y", "ab"]) {
      store.setImage(key, { image: IMG[0], kind: "use" });
    }
    assertEquals(store.findSession("tools+99ff00aa"), "tools+99ff00aa");
    assertEquals(store.findSession("99ff00aa"), "tools+99ff00aa");
    assertThrows(
      () => store.findSession("1a2b3c4d"),
      SessionError,
      "Ambiguous session '1a2b3c4d': matches other+1a2b3c4d, proj+1a2b3c4d",
    );
    assertThrows(() => store.findSession("nope"), SessionError, "Session 'nope' not found");
    // `_` and `%` are literal (the reference's LIKE treats them as wildcards).
    assertThrows(() => store.findSession("_b"), SessionError, "Session '_b' not found");
    assertThrows(() => store.findSession("%"), SessionError, "Session '%' not found");
    assertEquals(store.findSession("_y"), "x_y");
    // An exact key wins over keys ending with it.
    store.setImage("b", { image: IMG[0], kind: "use" });
    assertEquals(store.findSession("b"), "b");
  }));

Deno.test("store: sessions list newest first, with filter", () =>
  withStore((store) => {
    store.setImage("alpha", { image: IMG[0], kind: "use" });
    store.setImage("beta", { image: IMG[1], kind: "use" });
    store.setImage("alpha", { image: IMG[2], kind: "run", title: "t" });
    assertEquals(store.sessions().map((s) => [s.sessionKey, s.currentImage]), [
      ["alpha", IMG[2]],
      ["beta", IMG[1]],
    ]);
    // A substring as typed, as the reference's `filter in key`.
    assertEquals(store.sessions("et").map((s) => s.sessionKey), ["beta"]);
    assertEquals(store.sessions("ET").map((s) => s.sessionKey), []);
  }));

Deno.test("store: delete_session removes only that session's rows", () =>
  withStore((store) => {
    for (const key of [K, "keep"]) {
      store.setImage(key, { image: IMG[0], kind: "use" });
      store.stageFile(key, { path: "/f", fileUuid: "f" });
      store.setEnv(key, { A: "1" });
      store.addShellHistory(key, "ls");
      store.addPendingOp(key, { op: OP[0], title: "", disposable: false, branch: "" });
      store.createBranch(key, "b");
    }
    assertEquals(store.deleteSession(K), true);
    assertEquals(store.deleteSession(K), false);
    assertEquals(store.state(K), undefined);
    assertEquals(store.history(K), []);
    assertEquals(store.branches(K), []);
    assertEquals(store.env(K), {});
    assertEquals(store.shellHistory(K), []);
    assertEquals(store.pendingOps(K), []);
    assertEquals(store.pendingFiles("keep").length, 1);
    assertEquals(store.env("keep"), { A: "1" });
    assertEquals(store.shellHistory("keep"), ["ls"]);
    assertEquals(store.pendingOps("keep").length, 1);
    assertEquals(store.branches("keep").length, 2);
  }));

Deno.test("store: session env set, overwrite, unset", () =>
  withStore((store) => {
    store.setEnv(K, { B: "2", A: "x=y" });
    store.setEnv(K, { B: "3" });
    assertEquals(store.env(K), { A: "x=y", B: "3" });
    assertEquals(store.unsetEnv(K, ["A", "missing"]), ["A"]);
    assertEquals(store.env(K), { B: "3" });
  }));

Deno.test("store: shell history keeps the newest lines per session", () =>
  withStore((store) => {
    for (let i = 0; i < 7; i++) store.addShellHistory(K, `line ${i}`, 5);
    store.addShellHistory("other", "x", 5);
    assertEquals(store.shellHistory(K), ["line 2", "line 3", "line 4", "line 5", "line 6"]);
    assertEquals(store.shellHistory("other"), ["x"]);
  }));

Deno.test("store: image cache json:/gzip: encodings and legacy plain JSON", () =>
  withStore((store, path) => {
    store.cacheSet(IMG[0], "list:/etc", { files: [1, 2] });
    const big = { stdout: "y".repeat(3000) };
    store.cacheSet(OP[0], "operation", big);
    assertEquals(store.cacheGet(IMG[0], "list:/etc"), { files: [1, 2] });
    assertEquals(store.cacheGet(OP[0], "operation"), big);
    const raw = new DatabaseSync(path);
    try {
      const value = (kind: string) =>
        String(raw.prepare("SELECT value FROM image_cache WHERE kind = ?").get(kind)?.value);
      assertEquals(value("list:/etc"), 'json:{"files":[1,2]}');
      assert(value("operation").startsWith("gzip:H4sI"), "gzip member, base64");
      raw.prepare("INSERT INTO image_cache VALUES ('', 'legacy', '[\"x\"]')").run();
      raw.prepare("INSERT INTO image_cache VALUES ('', 'broken', 'gzip:!!')").run();
    } finally {
      raw.close();
    }
    assertEquals(store.cacheGet("", "legacy"), ["x"]);
    assertEquals(store.cacheGet("", "broken"), undefined, "undecodable reads as absent");
    assertEquals(store.cacheGet("", "absent"), undefined);
    store.cacheDelete(IMG[0], "list:/etc");
    assertEquals(store.cacheGet(IMG[0], "list:/etc"), undefined);
    store.cacheSet("", "local_file:b", { uuid: "u2" });
    store.cacheSet("", "local_file:a", { uuid: "u1" });
    store.cacheSet("", "local_filex", { uuid: "no" });
    assertEquals(store.cacheEntries("", "local_file:").map((e) => e.value), [
      { uuid: "u1" },
      { uuid: "u2" },
    ]);
  }));

Deno.test("store: pending ops — legacy strings, append, remove deletes the key at the end", () =>
  withStore((store) => {
    store.cacheSet("", `ops:${K}`, [OP[0]]);
    store.addPendingOp(K, { op: OP[1], title: "t", disposable: true, branch: "main" });
    assertEquals(store.pendingOps(K), [
      { op: OP[0], title: "", disposable: false, branch: "" },
      { op: OP[1], title: "t", disposable: true, branch: "main" },
    ]);
    store.removePendingOp(K, OP[0]);
    assertEquals(store.pendingOps(K).map((p) => p.op), [OP[1]]);
    store.removePendingOp(K, OP[1]);
    assertEquals(store.cacheEntries("", "ops:"), []);
  }));

Deno.test("store: a pending op is settled once, also by two waiters on one database", async () => {
  const { path, cleanup } = await tempDb();
  const first = SessionStore.open(path, { timeoutMs: 200 });
  const second = SessionStore.open(path, { timeoutMs: 200 });
  try {
    first.setImage(K, { image: IMG[0], kind: "use" });
    first.addPendingOp(K, { op: OP[0], title: "t", disposable: false, branch: "main" });
    // Both `session wait`s listed the op before either finished waiting for it.
    const settle = (store: SessionStore) =>
      store.settlePendingOp(K, OP[0], () => {
        store.setImage(K, { image: IMG[1], kind: "run", title: "t", operation: OP[0] });
      });
    assertEquals([settle(first), settle(second)], [true, false]);
    // Was: one `run` entry per waiter.
    assertEquals(second.history(K).map((entry) => entry.kind), ["use", "run"]);
    assertEquals(second.pendingOps(K), []);
  } finally {
    first.close();
    second.close();
    await cleanup();
  }
});

Deno.test("store: two stores on one database interleave writes without locking", async () => {
  const { path, cleanup } = await tempDb();
  const first = SessionStore.open(path, { timeoutMs: 200 });
  const second = SessionStore.open(path, { timeoutMs: 200 });
  try {
    first.setImage(K, { image: IMG[0], kind: "use" });
    second.setImage(K, { image: IMG[1], kind: "run" });
    first.setImage(K, { image: IMG[2], kind: "run" });
    const history = second.history(K);
    assertEquals(history.map((e) => e.parentId), [null, history[0].id, history[1].id]);
    assertEquals(first.tip(K)?.image, IMG[2]);
  } finally {
    first.close();
    second.close();
    await cleanup();
  }
});

Deno.test("store: a file that is not a database is reported by name and left untouched", async () => {
  const { dir, path, cleanup } = await tempDb();
  try {
    const garbage = "this is not an SQLite database\n".repeat(200);
    await Deno.writeTextFile(path, garbage);
    const error = assertThrows(() => SessionStore.open(path), SessionDatabaseError);
    assertStringIncludes(error.message, path);
    assertStringIncludes(error.message, "file is not a database");
    assertEquals((error as SessionDatabaseError).exitCode, 1);
    assertEquals(await Deno.readTextFile(path), garbage);
    const entries = [...Deno.readDirSync(dir)].map((e) => e.name);
    assertEquals(entries, ["default.db"], "no -wal/-shm or replacement file appears");
    // A directory in the database's place cannot be opened either.
    await Deno.mkdir(`${dir}/dir.db`);
    const dirError = assertThrows(() => SessionStore.open(`${dir}/dir.db`), SessionDatabaseError);
    assertStringIncludes(dirError.message, `${dir}/dir.db`);
  } finally {
    await cleanup();
  }
});
