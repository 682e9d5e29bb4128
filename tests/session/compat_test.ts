// Compatibility with databases of the reference CLI (CLI spec §3.3–3.5), both ways: a file
// created with the reference schema by raw SQL is read and extended by contree, and what
// contree creates has the reference's tables, columns and encodings.

import { DatabaseSync } from "node:sqlite";
import { gunzipSync } from "node:zlib";
import { SessionStore } from "../../src/session/store.ts";
import { SCHEMA_VERSION } from "../../src/session/schema.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { IMG, OP, tempDb } from "../support/sessions.ts";

/** The reference CLI's schema, as the Python CLI creates it (indexes named its own way). */
const REFERENCE_SCHEMA = `
CREATE TABLE IF NOT EXISTS session_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_key TEXT NOT NULL,
    image_uuid TEXT NOT NULL,
    parent_id INTEGER REFERENCES session_history(id),
    kind TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    operation_uuid TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now'))
);
CREATE TABLE IF NOT EXISTS session_branches (
    session_key TEXT NOT NULL,
    branch_name TEXT NOT NULL,
    history_id INTEGER NOT NULL REFERENCES session_history(id),
    PRIMARY KEY (session_key, branch_name)
);
CREATE TABLE IF NOT EXISTS session_state (
    session_key TEXT PRIMARY KEY,
    active_branch TEXT NOT NULL DEFAULT 'main',
    cwd TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now'))
);
CREATE TABLE IF NOT EXISTS session_files (
    history_id INTEGER NOT NULL REFERENCES session_history(id),
    instance_path TEXT NOT NULL,
    file_uuid TEXT NOT NULL,
    uid INTEGER NOT NULL DEFAULT 0,
    gid INTEGER NOT NULL DEFAULT 0,
    mode TEXT NOT NULL DEFAULT '0644',
    PRIMARY KEY (history_id, instance_path)
);
CREATE TABLE IF NOT EXISTS shell_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_key TEXT NOT NULL,
    line TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now'))
);
CREATE TABLE IF NOT EXISTS image_cache (
    image_uuid TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (image_uuid, kind)
);
CREATE TABLE IF NOT EXISTS session_env (
    session_key TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (session_key, key)
);
CREATE INDEX IF NOT EXISTS idx_history_session ON session_history(session_key);
CREATE INDEX IF NOT EXISTS idx_history_parent ON session_history(parent_id);
CREATE INDEX IF NOT EXISTS idx_shell_history_session ON shell_history(session_key);
CREATE INDEX IF NOT EXISTS idx_image_cache_kind ON image_cache(kind);
`;

/** json.dumps({"uuid": "op-1", "status": "SUCCESS", "stdout": "x" * 2000}), gzip'd by Python. */
const PYTHON_GZIP_VALUE =
  "gzip:H4sIAOPyAWsC/6tWKi3NTFGyUlDKL9A1VNJRUCouSSwpLQaJBIc6O7sGB0MEU/JLS0CCFaNgFIyCUTAKRsEoGPJAqRYA38wXFwMIAAA=";

const KEY = "proj+1a2b3c4d";

/** Writes a session the way the reference CLI does: raw SQL, timestamps from SQLite defaults. */
function writeReferenceSession(db: DatabaseSync): void {
  const insert = db.prepare(
    "INSERT INTO session_history (session_key, image_uuid, parent_id, kind, title, operation_uuid) " +
      "VALUES (?, ?, ?, ?, ?, ?)",
  );
  insert.run(KEY, IMG[0], null, "use", "ubuntu:24.04", ""); // 1
  insert.run(KEY, IMG[0], 1, "cd", "/srv", ""); // 2
  insert.run(KEY, IMG[1], 2, "run", "make", OP[0]); // 3
  insert.run(KEY, IMG[1], 3, "file", "Change file /srv/a.txt", ""); // 4
  insert.run(KEY, IMG[1], 3, "run-detached", "sleep 9", OP[1]); // 5
  db.prepare("INSERT INTO session_files (history_id, instance_path, file_uuid) VALUES (4, ?, ?)")
    .run("/srv/a.txt", "file-1");
  const branch = db.prepare(
    "INSERT INTO session_branches (session_key, branch_name, history_id) VALUES (?, ?, ?)",
  );
  branch.run(KEY, "main", 4);
  branch.run(KEY, `detached-${OP[1]}`, 5);
  db.prepare("INSERT INTO session_state (session_key) VALUES (?)").run(KEY);
  db.prepare("INSERT INTO session_env (session_key, key, value) VALUES (?, ?, ?)").run(
    KEY,
    "DEBUG",
    "1",
  );
  const cache = db.prepare("INSERT INTO image_cache (image_uuid, kind, value) VALUES (?, ?, ?)");
  cache.run(IMG[0], "list:/srv", 'json:{"path": "/srv", "files": []}');
  cache.run(OP[0], "operation", PYTHON_GZIP_VALUE);
  cache.run(IMG[1], "preserved_env", '{"LEGACY": "plain json"}');
  cache.run("", `ops:${KEY}`, `json:["${OP[1]}"]`);
}

Deno.test("compat: a database written by the reference CLI is read and extended", async () => {
  const { path, cleanup } = await tempDb();
  try {
    const raw = new DatabaseSync(path);
    raw.exec("PRAGMA journal_mode=WAL");
    raw.exec(REFERENCE_SCHEMA);
    writeReferenceSession(raw);
    raw.close();

    const store = SessionStore.open(path);
    try {
      assertEquals(store.findSession("1a2b3c4d"), KEY);
      assertEquals(store.tip(KEY)?.id, 4);
      assertEquals(store.cwd(KEY), "/srv");
      assertEquals(store.pendingFiles(KEY), [
        { historyId: 4, path: "/srv/a.txt", fileUuid: "file-1", uid: 0, gid: 0, mode: "0644" },
      ]);
      assertEquals(store.env(KEY), { DEBUG: "1" });
      assertEquals(store.cacheGet(IMG[0], "list:/srv"), { path: "/srv", files: [] });
      assertEquals(store.cacheGet(OP[0], "operation"), {
        uuid: "op-1",
        status: "SUCCESS",
        stdout: "x".repeat(2000),
      });
      assertEquals(store.cacheGet(IMG[1], "preserved_env"), { LEGACY: "plain json" });
      assertEquals(store.pendingOps(KEY), [
        { op: OP[1], title: "", disposable: false, branch: "" },
      ]);
      assertEquals(store.branches(KEY).map((b) => b.name), [`detached-${OP[1]}`, "main"]);
      assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(store.entry(1)!.createdAt));
      // Continue the session with contree.
      const run = store.setImage(KEY, {
        image: IMG[2],
        kind: "run",
        title: "test",
        operation: OP[2],
      });
      assertEquals(run.parentId, 4);
      assertEquals(store.pendingFiles(KEY), []);
      assertEquals(store.navigate(KEY, -2).id, 3);
      assertEquals(store.schemaVersion(), SCHEMA_VERSION);
    } finally {
      store.close();
    }

    // The reference reads contree's rows with its own queries.
    const after = new DatabaseSync(path);
    try {
      const row = after.prepare(
        "SELECT h.image_uuid, h.kind, h.operation_uuid FROM session_state s " +
          "JOIN session_branches b ON b.session_key = s.session_key AND b.branch_name = s.active_branch " +
          "JOIN session_history h ON h.id = b.history_id WHERE s.session_key = ?",
      ).get(KEY);
      assertEquals({ ...row }, { image_uuid: IMG[1], kind: "run", operation_uuid: OP[0] });
      assertEquals(
        after.prepare("SELECT count(*) AS n FROM session_history").get()?.n,
        6,
        "nothing was deleted",
      );
      const indexes = after.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%' ORDER BY name",
      ).all().map((r) => r.name);
      assert(indexes.includes("idx_history_session"), "the reference's indexes are kept");
    } finally {
      after.close();
    }
  } finally {
    await cleanup();
  }
});

Deno.test("compat: an older reference database gains the missing columns", async () => {
  const { path, cleanup } = await tempDb();
  try {
    const raw = new DatabaseSync(path);
    raw.exec(
      "CREATE TABLE session_history (id INTEGER PRIMARY KEY AUTOINCREMENT, session_key TEXT, " +
        "image_uuid TEXT, parent_id INTEGER, kind TEXT DEFAULT '', title TEXT DEFAULT '', " +
        "created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%S','now')));" +
        "CREATE TABLE session_state (session_key TEXT PRIMARY KEY, active_branch TEXT DEFAULT 'main', " +
        "updated_at TEXT);" +
        "CREATE TABLE session_branches (session_key TEXT, branch_name TEXT, history_id INTEGER, " +
        "PRIMARY KEY (session_key, branch_name));",
    );
    raw.prepare(
      "INSERT INTO session_history (session_key, image_uuid, kind) VALUES ('old', ?, 'use')",
    )
      .run(IMG[0]);
    raw.exec("INSERT INTO session_branches VALUES ('old', 'main', 1)");
    raw.exec("INSERT INTO session_state (session_key) VALUES ('old')");
    raw.close();

    for (let round = 0; round < 2; round++) {
      const store = SessionStore.open(path);
      try {
        assertEquals(store.entry(1)?.operation, "");
        assertEquals(store.cwd("old"), "/");
        if (round === 0) store.setImage("old", { image: IMG[1], kind: "run", operation: OP[0] });
        assertEquals(store.tip("old")?.operation, OP[0]);
        assertEquals(store.tip("old")?.parentId, 1);
      } finally {
        store.close();
      }
    }
  } finally {
    await cleanup();
  }
});

/** [name, declared type, primary-key position] of each column. */
function columns(db: DatabaseSync, table: string): [string, string, number][] {
  return db.prepare(`PRAGMA table_info(${table})`).all().map((c) => [
    String(c.name),
    String(c.type),
    Number(c.pk),
  ]);
}

Deno.test("compat: contree creates exactly the reference tables, columns and encodings", async () => {
  const { dir, path, cleanup } = await tempDb();
  try {
    const reference = new DatabaseSync(`${dir}/reference.db`);
    reference.exec(REFERENCE_SCHEMA);
    const store = SessionStore.open(path);
    store.setImage("k", { image: IMG[0], kind: "use", title: "t" });
    store.cacheSet("", "small", { a: 1 });
    store.cacheSet("", "large", { text: "z".repeat(2000) });
    store.close();

    const ours = new DatabaseSync(path);
    try {
      const tables = (db: DatabaseSync) =>
        db.prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        ).all().map((r) => String(r.name));
      assertEquals(tables(ours), tables(reference));
      for (const table of tables(reference)) {
        assertEquals(columns(ours, table), columns(reference, table), table);
      }
      const indexed = (db: DatabaseSync) =>
        tables(db).flatMap((table) =>
          db.prepare(`PRAGMA index_list(${table})`).all()
            .filter((i) => i.origin === "c")
            .map((i) =>
              `${table}(${
                db.prepare(`PRAGMA index_info(${String(i.name)})`).all().map((c) => c.name).join(
                  ",",
                )
              })`
            )
        ).sort();
      assertEquals(indexed(ours), indexed(reference));
      // The reference's own INSERTs (relying on defaults) work on contree's file.
      ours.prepare(
        "INSERT INTO session_history (session_key, image_uuid, parent_id) VALUES ('k', ?, 1)",
      )
        .run(IMG[1]);
      const row = ours.prepare(
        "SELECT kind, title, operation_uuid, created_at FROM session_history WHERE id = 2",
      )
        .get()!;
      assertEquals([row.kind, row.title, row.operation_uuid], ["", "", ""]);
      assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(String(row.created_at)));
      const value = (kind: string) =>
        String(ours.prepare("SELECT value FROM image_cache WHERE kind = ?").get(kind)?.value);
      assertEquals(value("small"), 'json:{"a":1}');
      const large = value("large");
      assert(large.startsWith("gzip:"));
      const inflated = gunzipSync(Uint8Array.from(atob(large.slice(5)), (c) => c.charCodeAt(0)));
      assertEquals(JSON.parse(new TextDecoder().decode(inflated)), { text: "z".repeat(2000) });
      assertEquals(ours.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
    } finally {
      ours.close();
      reference.close();
    }
  } finally {
    await cleanup();
  }
});
