// The session commands as a user runs them: real `contree` subprocesses against the fake API.

import { createHash } from "node:crypto";
import { SessionStore } from "../../src/session/store.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { type CliResult, runCli, tempHome } from "../support/cli.ts";
import { FakeApi } from "../support/fake_api.ts";
import { FakeOperations, finishedOperation } from "../support/fake_operations.ts";
import { IMG, OP } from "../support/sessions.ts";

interface Harness {
  fake: FakeApi;
  home: string;
  dbPath: string;
  cli(
    args: string[],
    options?: { env?: Record<string, string>; stdin?: string },
  ): Promise<CliResult>;
  /** Opens the profile's session database in process (close it before the next cli call). */
  store(): Promise<SessionStore>;
}

async function withCli(fn: (h: Harness) => Promise<void>): Promise<void> {
  const fake = FakeApi.start();
  const { home, cleanup } = await tempHome();
  const dbPath = `${home}/cli/sessions/default.db`;
  try {
    await fn({
      fake,
      home,
      dbPath,
      cli: (args, options = {}) =>
        runCli(args, {
          env: {
            CONTREE_HOME: home,
            CONTREE_URL: fake.url,
            CONTREE_TOKEN: fake.token,
            ...options.env,
          },
          stdin: options.stdin,
          cwd: home,
        }),
      store: async () => {
        await Deno.mkdir(`${home}/cli/sessions`, { recursive: true });
        return SessionStore.open(dbPath);
      },
    });
  } finally {
    await fake.close();
    await cleanup();
  }
}

function jsonRows(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

function serveImages(fake: FakeApi, images: { uuid: string; tag: string }[]): void {
  fake.on("GET", "/v1/images", (request) => {
    const prefix = request.query.get("tag") ?? "";
    return { json: { images: images.filter((i) => i.tag.startsWith(prefix)) } };
  });
}

function serveDirectories(fake: FakeApi, dirs: string[]): void {
  fake.on("GET", "/v1/inspect/:image/list", (request) => {
    const path = request.query.get("path") ?? "";
    return dirs.includes(path)
      ? { json: { path, files: [] } }
      : { status: 404, json: { error: "no such path", status: 404 } };
  });
}

function serveFiles(fake: FakeApi) {
  const stored = new Map<string, { uuid: string; sha256: string; size: number }>();
  fake.on("GET", "/v1/files/:sha", (_request, params) => {
    const file = stored.get(params.sha);
    return file
      ? { json: { ...file, created_at: "2026-06-08T20:00:00Z", updated_at: "" } }
      : { status: 404, json: { error: "not found", status: 404 } };
  });
  fake.on("POST", "/v1/files", (request) => {
    const sha256 = createHash("sha256").update(request.body).digest("hex");
    const file = {
      uuid: `f${stored.size + 1}0000000-0000-4000-8000-000000000000`,
      sha256,
      size: request.body.length,
    };
    stored.set(sha256, file);
    return { status: 201, json: file };
  });
  fake.on("GET", "/v1/files", (request) => {
    const offset = Number(request.query.get("offset") ?? 0);
    const limit = Number(request.query.get("limit") ?? 100);
    const files = [...stored.values()].map((f) => ({
      ...f,
      created_at: "2026-06-08T20:00:00Z",
      updated_at: "2026-06-08T20:00:00Z",
    }));
    return { json: { files: files.slice(offset, offset + limit) } };
  });
  return stored;
}

Deno.test("cli use: tag lookup, export line, fish syntax, summary row, errors", () =>
  withCli(async ({ fake, cli }) => {
    serveImages(fake, [{ uuid: IMG[0], tag: "ubuntu:latest" }, { uuid: IMG[1], tag: "alpine:3" }]);
    const used = await cli(["-S", "k", "use", "ubuntu"]);
    assertEquals([used.code, used.stdout, used.stderr], [0, "export CONTREE_SESSION=k\n", ""]);
    const fish = await cli(["use", "tag:alpine:3"], {
      env: { SHELL: "/usr/bin/fish", CONTREE_SESSION: "fishy" },
    });
    assertEquals(fish.stdout, "set -gx CONTREE_SESSION fishy\n");

    const shown = await cli(["-S", "k", "-f", "json", "use"]);
    assertEquals(shown.code, 0);
    const [row] = jsonRows(shown.stdout);
    assertEquals(Object.keys(row), [
      "session_key",
      "active_branch",
      "current_image",
      "last_kind",
      "last_title",
      "updated_at",
    ]);
    assertEquals([row.session_key, row.current_image, row.last_kind, row.last_title], [
      "k",
      IMG[0],
      "use",
      "ubuntu",
    ]);
    assertMatch(String(row.updated_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);

    const fresh = await cli(["use", "-N", IMG[2]]);
    assertMatch(fresh.stdout, /^export CONTREE_SESSION=[0-9a-f-]{36}\n$/);
    const key = fresh.stdout.trim().split("=")[1];
    const summary = await cli(["-S", key, "-f", "json", "session"]);
    assertEquals(jsonRows(summary.stdout)[0].current_image, IMG[2]);

    const missingImage = await cli(["use", "--new"]);
    assertEquals([missingImage.code, missingImage.stderr], [
      1,
      "--new requires an IMAGE argument.\n",
    ]);
    const none = await cli(["-S", "nobody", "use"]);
    assertEquals(none.code, 1);
    // One line, as the reference's `use` prints it; plain `session` prints the two-line notice.
    assertEquals(none.stderr, "No active session. Run `contree use IMAGE` to start one.\n");
    const plain = await cli(["-S", "nobody", "session"]);
    assertEquals(
      plain.stderr,
      "No active session. Run `contree use IMAGE` to start one.\n" +
        "Agents: read `contree agent` for workflow and set a session first.\n",
    );
    const unknown = await cli(["-S", "k2", "use", "nope"]);
    assertEquals(unknown.code, 1);
    assertEquals(unknown.stderr, "[ERROR] API 404 Not Found: No image with tag 'nope'\n");
    const history = await cli(["-S", "k2", "session", "show"]);
    assertEquals([history.code, history.stderr], [0, "No history.\n"]);
  }));

Deno.test("cli session: branches, checkout, rollback/forward, show, list, use, delete", () =>
  withCli(async ({ cli }) => {
    const s = (args: string[], stdin?: string) => cli(["-S", "proj+1a2b3c4d", ...args], { stdin });
    assertEquals((await s(["use", IMG[0]])).code, 0);
    assertEquals((await s(["use", IMG[1]])).code, 0);
    const created = await s(["session", "branch", "feature"]);
    assertEquals([created.code, created.stdout], [0, "Created branch 'feature'\n"]);
    const duplicate = await s(["session", "branch", "feature"]);
    assertEquals([duplicate.code, duplicate.stdout, duplicate.stderr], [
      1,
      "",
      "Branch 'feature' already exists\n",
    ]);
    const empty = await s(["session", "branch", ""]);
    assertEquals([empty.code, empty.stdout, empty.stderr], [
      1,
      "",
      "Branch NAME must not be empty\n",
    ]);
    const listed = await s(["-f", "json", "session", "br"]);
    assertEquals(jsonRows(listed.stdout), [
      { branch: "feature", active: false },
      { branch: "main", active: true },
    ]);
    const marked = await s(["session", "branch"]);
    assertMatch(marked.stdout, /\* +main/);

    const back = await s(["-f", "json", "session", "rollback"]);
    assertEquals(back.code, 0);
    const [backRow] = jsonRows(back.stdout);
    assertEquals([backRow.image, backRow.kind, backRow.title], [IMG[0], "use", IMG[0]]);
    const forward = await s(["-f", "json", "session", "forward"]);
    assertEquals(jsonRows(forward.stdout)[0].image, IMG[1]);
    const tooFar = await s(["session", "rollback", "-5"]);
    assertEquals([tooFar.code, tooFar.stderr], [
      1,
      "Cannot go back 5 steps: only 1 ancestors available\n",
    ]);
    const zero = await s(["session", "rb", "0"]);
    assertEquals(zero.stderr, "Navigation target must not be 0\n");
    const viaRef = await s(["-f", "json", "session", "rollback", "HEAD~"]);
    assertEquals(jsonRows(viaRef.stdout)[0].image, IMG[0]);
    const bad = await s(["session", "rollback", "sideways"]);
    assertEquals(bad.code, 1);
    assertStringIncludes(bad.stderr, "[ERROR] Invalid rollback target 'sideways'");
    await s(["session", "rollback", "+1"]);

    const checkout = await s(["-f", "json", "session", "co", "feature"]);
    assertEquals(jsonRows(checkout.stdout), [{ branch: "feature", image: IMG[1] }]);
    const missing = await s(["session", "checkout", "nope"]);
    assertEquals([missing.code, missing.stderr], [1, "Branch 'nope' does not exist\n"]);
    const activeDelete = await s(["session", "branch", "-U", "feature"]);
    assertEquals(activeDelete.stderr, "Cannot delete the active branch\n");
    await s(["session", "checkout", "main"]);
    const noName = await s(["session", "branch", "--delete"]);
    assertEquals([noName.code, noName.stderr], [1, "--delete requires a branch NAME\n"]);
    const deleted = await s(["session", "branch", "--rm", "feature"]);
    assertEquals(deleted.stdout, "Deleted branch 'feature'\n");
    const pruned = await s(["session", "branch", "--prune"]);
    assertEquals(pruned.stdout, "No disposable/detached branches to prune.\n");
    await s(["session", "branch", "other"]); // a second branch at the same entry

    const shown = await s(["-f", "json", "session", "show"]);
    const rows = jsonRows(shown.stdout);
    assertEquals(rows.map((r) => [r.id, r.parent_id, r.kind, r.branches]), [
      [1, null, "use", ""],
      [2, 1, "use", "main, other"], // joined with ", " as the reference does
    ]);
    assertEquals(Object.keys(rows[0]), [
      "id",
      "image",
      "parent_id",
      "kind",
      "title",
      "operation",
      "created_at",
      "branches",
    ]);
    const badSince = await s(["session", "show", "--since", "5x"]);
    assertEquals(badSince.code, 2);
    assertStringIncludes(badSince.stderr, "invalid --since value '5x'");
    const future = await s(["session", "show", "--since", "2999"]);
    assertEquals([future.code, future.stderr], [0, "No history.\n"]);

    // Another session continues from this one's image.
    const imported = await cli(["-S", "other", "-f", "json", "session", "use", "1a2b3c4d"]);
    assertEquals(jsonRows(imported.stdout), [{ image: IMG[1], from_session: "proj+1a2b3c4d" }]);
    const sessions = await cli(["-S", "other", "-f", "json", "session", "list"]);
    assertEquals(
      jsonRows(sessions.stdout).map((r) => [r.session_key, r.active]).sort(),
      [["other", true], ["proj+1a2b3c4d", false]],
    );
    const otherHistory = await cli(["-S", "other", "-f", "json", "session", "show", "1a2b3c4d"]);
    assertEquals(jsonRows(otherHistory.stdout).length, 2, "NAME resolves to the full key");

    const aborted = await cli(["session", "delete", "other"], { stdin: "n\n" });
    assertEquals([aborted.code, aborted.stdout], [1, "Aborted.\n"]);
    assertStringIncludes(aborted.stderr, "Delete session 'other'? [y/N] ");
    const removed = await cli(["session", "rm", "-y", "other", "ghost"]);
    assertEquals(removed.code, 1);
    assertStringIncludes(removed.stderr, "[INFO] Deleted session 'other'");
    assertStringIncludes(removed.stderr, "[ERROR] Session 'ghost' not found");
    const after = await cli(["-f", "json", "session", "list"]);
    assertEquals(jsonRows(after.stdout).map((r) => r.session_key), ["proj+1a2b3c4d"]);
  }));

Deno.test("cli env: set, list, unset, errors", () =>
  withCli(async ({ cli }) => {
    const none = await cli(["-S", "e", "env"]);
    assertEquals([none.code, none.stdout], [0, "No session environment variables set.\n"]);
    const set = await cli(["-S", "e", "env", "B=2", "A=x=y", "EMPTY="]);
    assertEquals(set.stderr, "[INFO] Set B=2\n[INFO] Set A=x=y\n[INFO] Set EMPTY=\n");
    const listed = await cli(["-S", "e", "-f", "json", "env"]);
    assertEquals(jsonRows(listed.stdout), [
      { key: "A", value: "x=y" },
      { key: "B", value: "2" },
      { key: "EMPTY", value: "" },
    ]);
    const invalid = await cli(["-S", "e", "env", "C=3", "oops"]);
    assertEquals([invalid.code, invalid.stderr], [
      1,
      "[ERROR] Invalid format 'oops', expected KEY=VALUE\n",
    ]);
    const unset = await cli(["-S", "e", "env", "-U", "A", "EMPTY"]);
    assertEquals(unset.stderr, "[INFO] Unset A\n[INFO] Unset EMPTY\n");
    const noKeys = await cli(["-S", "e", "env", "--rm"]);
    assertEquals([noKeys.code, noKeys.stderr], [1, "[ERROR] Specify keys to unset\n"]);
    const left = await cli(["-S", "e", "-f", "json", "env"]);
    assertEquals(jsonRows(left.stdout), [{ key: "B", value: "2" }], "C=3 was not set");
  }));

Deno.test("cli env: the session database is 0600, also in a reference CLI's 0755 directories", () =>
  withCli(async ({ cli, home, dbPath }) => {
    // What Python's mkdir gives the reference's directories; its database was 0644.
    await Deno.mkdir(`${home}/cli/sessions`, { recursive: true });
    for (const dir of [home, `${home}/cli`, `${home}/cli/sessions`]) await Deno.chmod(dir, 0o755);
    assertEquals((await cli(["-S", "e", "env", "TOKEN=secret"])).code, 0);
    assertEquals((await Deno.stat(dbPath)).mode! & 0o777, 0o600);
    await Deno.chmod(dbPath, 0o644);
    assertEquals((await cli(["-S", "e", "env"])).code, 0);
    assertEquals((await Deno.stat(dbPath)).mode! & 0o777, 0o600, "an existing one is tightened");
  }));

Deno.test("cli cd: checked against the image, relative paths, history entries", () =>
  withCli(async ({ fake, cli }) => {
    serveDirectories(fake, ["/srv", "/srv/app", "/"]);
    const s = (args: string[]) => cli(["-S", "c", ...args]);
    await s(["use", IMG[0]]);
    assertEquals((await s(["cd"])).stdout, "/\n");
    assertEquals((await s(["cd", "/srv"])).code, 0);
    assertEquals((await s(["cd", "app/"])).code, 0);
    assertEquals((await s(["cd"])).stdout, "/srv/app\n");
    const missing = await s(["cd", "../nope"]);
    // The resolved path, as the reference names it.
    assertEquals([missing.code, missing.stderr], [1, "[ERROR] cd: /srv/nope: no such directory\n"]);
    assertEquals(fake.requests.at(-1)?.query.get("path"), "/srv/nope");
    const shown = await s(["-f", "json", "session", "show", "-k", "cd"]);
    assertEquals(jsonRows(shown.stdout).map((r) => r.title), ["/srv", "/srv/app"]);
    await s(["session", "rollback"]);
    assertEquals((await s(["cd"])).stdout, "/srv\n");
  }));

Deno.test("cli file: cp stages with dedup, edit, ls", () =>
  withCli(async ({ fake, cli, home }) => {
    const stored = serveFiles(fake);
    fake.on(
      "GET",
      "/v1/inspect/:image/download",
      (request) =>
        request.query.get("path") === "/etc/app.conf"
          ? { text: "port=1\n" }
          : { status: 404, json: { error: "not found", status: 404 } },
    );
    const s = (args: string[], env?: Record<string, string>) => cli(["-S", "f", ...args], { env });
    const noSession = await s(["file", "cp", "/etc/hostname", "/x"]);
    assertEquals(noSession.code, 1);
    assertStringIncludes(noSession.stderr, "No active session.");
    await s(["use", IMG[0]]);
    await Deno.writeTextFile(`${home}/local.txt`, "hello\n");
    const copied = await s(["file", "cp", "local.txt", "/data/in.txt"]);
    assertEquals(copied.code, 0, copied.stderr);
    assertEquals(fake.calls("POST", "/v1/files").length, 1);
    const again = await s(["f", "cp", "local.txt", "rel.txt"]);
    assertEquals(again.code, 0);
    assertEquals(fake.calls("POST", "/v1/files").length, 1, "dedup: no second upload");
    // The server is asked each time, past the local cache: a staged UUID must hold until the
    // run (one cached from a server since replaced failed every run of the session).
    assertEquals(fake.requests.filter((r) => r.path.startsWith("/v1/files/")).length, 2);
    // A directory DEST (a trailing slash, or one in the session's image) receives the file.
    fake.on(
      "GET",
      "/v1/inspect/:image/list",
      (request) =>
        request.query.get("path") === "/"
          ? {
            json: {
              path: "/",
              files: [{ path: "srv", is_dir: true }, { path: "x", is_dir: false }],
            },
          }
          : request.query.get("path") === "/x"
          ? { status: 422, json: { error: "not a directory: /x", status: 422 } }
          : { status: 404, json: { error: "not found", status: 404 } },
    );
    assertEquals((await s(["file", "cp", "local.txt", "/etc/"])).code, 0);
    const intoDir = await s(["file", "cp", "local.txt", "/srv"]);
    assertEquals(intoDir.code, 0, intoDir.stderr);
    assertStringIncludes(intoDir.stderr, "Staged local.txt -> /srv/local.txt");
    // Nothing staged where every later run would fail.
    const empty = await s(["file", "cp", "local.txt", ""]);
    assertEquals([empty.code, empty.stderr], [2, "[ERROR] file cp: DEST is empty\n"]);
    const overlong = await s(["file", "cp", "local.txt", `/srv/${"n".repeat(256)}`]);
    assertEquals(
      [overlong.code, overlong.stderr],
      [2, "[ERROR] file cp: DEST has a file name longer than 255 bytes\n"],
    );
    // Below a file of the image (was staged, then every run failed at podman's copy).
    const underFile = await s(["file", "cp", "local.txt", "/x/under"]);
    assertEquals(
      [underFile.code, underFile.stderr],
      [1, "[ERROR] file cp: /x is not a directory in the image\n"],
    );
    await Deno.mkdir(`${home}/adir`);
    const notFile = await s(["file", "cp", "adir", "/x"]);
    assertEquals([notFile.code, notFile.stderr], [1, "[ERROR] file cp: adir is not a file\n"]);
    const missing = await s(["file", "cp", "nope.txt", "/x"]);
    assertEquals([missing.code, missing.stderr], [1, "[ERROR] File not found: nope.txt\n"]);

    // No editor named and no terminal (an agent, a script): refused, not vi waiting on a pipe.
    const noTerminal = await s(["file", "edit", "/etc/app.conf"]);
    assertEquals(noTerminal.code, 2);
    assertStringIncludes(noTerminal.stderr, "no terminal for an interactive editor");
    assertEquals(noTerminal.stderr.split("\n").length, 2, "one line");
    // The editor appends a line; the result is uploaded and staged.
    const editor = { EDITOR: `sh -c 'printf "debug=1\\n" >> "$0"'` };
    const edited = await s(["file", "edit", "/etc/app.conf"], editor);
    assertEquals(edited.code, 0, edited.stderr);
    const contents = [...stored.values()].map((f) => f.size);
    assertEquals(contents.includes("port=1\ndebug=1\n".length), true);
    const unchanged = await s(["file", "e", "-E", "true", "/etc/app.conf"]);
    assertEquals(unchanged.code, 0);
    assertStringIncludes(unchanged.stderr, "[INFO] No changes detected, skipping upload");
    const failing = await s(["file", "edit", "/etc/new.conf"], { EDITOR: "sh -c 'exit 3'" });
    assertEquals([failing.code, failing.stderr], [1, "[ERROR] Editor exited with code 3\n"]);
    // $EDITOR runs through the shell, as the reference runs it: an assignment prefix works.
    const created = await s(["file", "edit", "/etc/new.conf"], {
      EDITOR: `MARK=new sh -c 'echo "$MARK" > "$0"'`,
    });
    assertEquals(created.code, 0, `a missing file starts empty: ${created.stderr}`);
    assertEquals([...stored.values()].some((f) => f.size === "new\n".length), true);

    const history = await s(["-f", "json", "session", "show", "--kind", "file"]);
    assertEquals(jsonRows(history.stdout).map((r) => r.title), [
      "Change file /data/in.txt",
      "Change file /rel.txt",
      "Change file /etc/local.txt",
      "Change file /srv/local.txt",
      "Change file /etc/app.conf",
      "Change file /etc/new.conf",
    ]);

    const listed = await s(["-f", "json", "file", "ls"]);
    const rows = jsonRows(listed.stdout);
    assertEquals(rows.length, 3);
    assertEquals(rows.filter((r) => r.source === `${home}/local.txt`).length, 1);
    const quiet = await s(["-f", "json", "file", "ls", "-q", "--limit", "2"]);
    assertEquals(jsonRows(quiet.stdout).map((r) => Object.keys(r)), [
      ["uuid", "sha256", "source"],
      ["uuid", "sha256", "source"],
    ]);
    assertStringIncludes(
      quiet.stderr,
      "[WARNING] Output truncated at --limit=2 files; more results are available.",
    );
  }));

Deno.test("cli session wait: detached runs advance the session; exit codes compose", () =>
  withCli(async ({ fake, cli, store }) => {
    const ops = new FakeOperations(fake);
    const done = finishedOperation(OP[0], "SUCCESS", 0, "ok\n");
    done.result = { image: IMG[1], tag: null };
    ops.add(done);
    const failed = finishedOperation(OP[1], "SUCCESS", 3);
    failed.result = { image: IMG[2], tag: null };
    ops.add(failed);

    const s = (args: string[]) => cli(["-S", "w", ...args]);
    const none = await s(["session", "wait"]);
    assertEquals(none.code, 1, "a session is required");
    await s(["use", IMG[0]]);
    const empty = await s(["session", "wait"]);
    assertEquals([empty.code, empty.stderr], [0, "No active operations for this session.\n"]);

    const db = await store();
    db.addPendingOp("w", {
      op: OP[0],
      title: "make",
      disposable: false,
      branch: `detached-${OP[0]}`,
    });
    db.createDetachedBranch("w", OP[0], "make");
    db.addPendingOp("w", {
      op: OP[1],
      title: "test",
      disposable: false,
      branch: `detached-${OP[1]}`,
    });
    db.close();

    const waited = await s(["-f", "json", "session", "wait"]);
    assertEquals(waited.code, 3, waited.stderr);
    const rows = jsonRows(waited.stdout);
    assertEquals(rows.map((r) => [r.uuid, r.status, r.exit_code, r.title]), [
      [OP[0], "SUCCESS", 0, "make"],
      [OP[1], "FAILED", 3, "test"], // the reference reports the command's outcome
    ]);
    const check = await store();
    try {
      // Both succeeded, so both advance in turn (exit 3 too: the same rule as `run`).
      const tip = check.tip("w")!;
      assertEquals([tip.image, tip.kind, tip.title, tip.operation], [IMG[2], "run", "test", OP[1]]);
      const parent = check.history("w").find((entry) => entry.id === tip.parentId)!;
      assertEquals([parent.image, parent.title, parent.operation], [IMG[1], "make", OP[0]]);
      assertEquals(check.activeBranch("w"), "main");
      assertEquals(check.pendingOps("w"), [], "both were drained");
      assert(check.cacheGet("", "ops:w") === undefined);
    } finally {
      check.close();
    }

    // Explicit references only observe (`@-1` is the entry OP[0] made).
    const observed = await s(["-f", "json", "session", "wait", "@-1", OP[1]]);
    assertEquals(observed.code, 3);
    assertEquals(jsonRows(observed.stdout).map((r) => r.uuid), [OP[0], OP[1]]);
    const badRefs = await s(["session", "wait", "@-9 junk"]);
    assertEquals(badRefs.code, 1);
    assertEquals(
      badRefs.stderr,
      "[ERROR] Invalid operation references: @-9: Cannot go back 9 steps: only 2 ancestors available junk\n",
    );

    // A pending run the server no longer knows (404) stopped every wait at it, on every try.
    // Started on this server: reported once and dropped. Started on another one, or nobody
    // knows where (a record without its server): reported and left for a wait there. The
    // others are waited for all the same.
    const gone = await store();
    const elsewhere = "http://127.0.0.1:9/elsewhere";
    const lost = { op: OP[3], title: "lost", disposable: false, branch: "", server: fake.url };
    gone.addPendingOp("w", lost);
    gone.addPendingOp("w", { ...lost, op: OP[4], server: elsewhere });
    gone.addPendingOp("w", { op: OP[5], title: "legacy", disposable: false, branch: "" });
    gone.addPendingOp("w", { op: OP[0], title: "again", disposable: false, branch: "" });
    gone.close();
    const dropped = await s(["-f", "json", "session", "wait"]);
    assertEquals(dropped.code, 1, dropped.stderr);
    assertEquals(jsonRows(dropped.stdout).map((r) => r.uuid), [OP[0]]);
    assertEquals(dropped.stderr.split("\n").filter((line) => line.startsWith("[ERROR]")), [
      `[ERROR] Operation ${
        OP[3]
      } is not on the server any more; dropped from this session's pending runs`,
      `[ERROR] Operation ${
        OP[4]
      } is not on ${fake.url}; it was started on ${elsewhere}: left pending for a wait on the server it runs on`,
      `[ERROR] Operation ${
        OP[5]
      } is not on ${fake.url}: left pending for a wait on the server it runs on`,
    ]);
    const after = await store();
    try {
      assertEquals(after.pendingOps("w").map((p) => p.op), [OP[4], OP[5]]);
      after.removePendingOp("w", OP[4]);
      after.removePendingOp("w", OP[5]);
    } finally {
      after.close();
    }

    // A detached disposable run (`run -d -D`) keeps the branch its spawn made, at the image it
    // ran on; the session moving on meanwhile does not move it (it was made again at the tip
    // of the wait, with that image).
    const scratch = finishedOperation(OP[2], "SUCCESS", 0);
    scratch.result = { image: IMG[4], tag: null };
    ops.add(scratch);
    const side = await store();
    side.addPendingOp("w", {
      op: OP[2],
      title: "scratch",
      disposable: true,
      branch: `disposable-${OP[2]}`,
    });
    const spawnedAt = side.createDisposableBranch("w", OP[2], "scratch");
    side.setImage("w", { image: IMG[3], kind: "run", title: "moved on", operation: OP[3] });
    side.close();
    const disposable = await s(["session", "wait"]);
    assertEquals(disposable.code, 0, disposable.stderr);
    const settled = await store();
    try {
      const branchTip = settled.branchTip("w", `disposable-${OP[2]}`)!;
      assertEquals([branchTip.id, branchTip.image], [spawnedAt.id, spawnedAt.image]);
      assertEquals(settled.tip("w")!.image, IMG[3], "a disposable run does not move the session");
      assertEquals(settled.pendingOps("w"), []);
    } finally {
      settled.close();
    }
  }));

Deno.test("cli: a corrupt database fails with its path and is left untouched", () =>
  withCli(async ({ cli, home, dbPath }) => {
    const version = await cli(["-v"]);
    assertEquals(version.code, 0);
    const auth = await cli(["auth", "list", "--offline"]);
    assertEquals(auth.code, 0);
    let exists = true;
    await Deno.stat(`${home}/cli`).catch(() => exists = false);
    assertEquals(exists, false, "commands without sessions do not create the database");

    await Deno.mkdir(`${home}/cli/sessions`, { recursive: true });
    const garbage = new TextEncoder().encode("definitely not sqlite\n".repeat(300));
    await Deno.writeFile(dbPath, garbage);
    const result = await cli(["-S", "k", "use", IMG[0]]);
    assertEquals(result.code, 1);
    assertEquals(result.stdout, "");
    assertEquals(
      result.stderr,
      `[ERROR] Cannot open session database ${dbPath}: file is not a database\n`,
    );
    assertEquals(await Deno.readFile(dbPath), garbage);
    const other = await cli(["-S", "k", "session", "list"]);
    assertEquals(other.code, 1);
    assertEquals(await Deno.readFile(dbPath), garbage);
  }));

Deno.test("cli: CONTREE_SESSION_DB moves the database", () =>
  withCli(async ({ cli, home }) => {
    const custom = `${home}/elsewhere/s.db`;
    const used = await cli(["-S", "k", "use", IMG[0]], { env: { CONTREE_SESSION_DB: custom } });
    assertEquals(used.code, 0, used.stderr);
    assert((await Deno.stat(custom)).isFile);
    const elsewhere = await cli(["-S", "k", "use"]);
    assertEquals(elsewhere.code, 1, "the default database has no such session");
  }));
