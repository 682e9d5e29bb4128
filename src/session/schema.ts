// The session database schema (CLI spec §3.3), shared with the reference CLI: same tables,
// columns, defaults, keys and indexes, so either CLI reads what the other wrote.
//
// Migrations are numbered; the highest applied number is kept in `PRAGMA user_version`, which
// the reference CLI neither reads nor writes. Each migration is idempotent on its own (CREATE …
// IF NOT EXISTS, columns added only when missing), so a database created by the reference CLI
// (user_version 0) goes through all of them safely.
//
// Only key columns are NOT NULL: whatever the reference CLI inserts must be accepted, and the
// store reads a NULL as the column's default.

import type { DatabaseSync } from "node:sqlite";

export const NOW_SQL = "(strftime('%Y-%m-%dT%H:%M:%S','now'))";

export const TABLES_SQL = `
CREATE TABLE IF NOT EXISTS session_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_key TEXT,
  image_uuid TEXT,
  parent_id INTEGER REFERENCES session_history(id),
  kind TEXT DEFAULT '',
  title TEXT DEFAULT '',
  operation_uuid TEXT DEFAULT '',
  created_at TEXT DEFAULT ${NOW_SQL}
);
CREATE TABLE IF NOT EXISTS session_branches (
  session_key TEXT NOT NULL,
  branch_name TEXT NOT NULL,
  history_id INTEGER REFERENCES session_history(id),
  PRIMARY KEY (session_key, branch_name)
);
CREATE TABLE IF NOT EXISTS session_state (
  session_key TEXT PRIMARY KEY,
  active_branch TEXT DEFAULT 'main',
  cwd TEXT DEFAULT '',
  updated_at TEXT DEFAULT ${NOW_SQL}
);
CREATE TABLE IF NOT EXISTS session_files (
  history_id INTEGER NOT NULL REFERENCES session_history(id),
  instance_path TEXT NOT NULL,
  file_uuid TEXT,
  uid INTEGER DEFAULT 0,
  gid INTEGER DEFAULT 0,
  mode TEXT DEFAULT '0644',
  PRIMARY KEY (history_id, instance_path)
);
CREATE TABLE IF NOT EXISTS shell_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_key TEXT,
  line TEXT,
  created_at TEXT DEFAULT ${NOW_SQL}
);
CREATE TABLE IF NOT EXISTS image_cache (
  image_uuid TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT,
  PRIMARY KEY (image_uuid, kind)
);
CREATE TABLE IF NOT EXISTS session_env (
  session_key TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT,
  PRIMARY KEY (session_key, key)
);
CREATE INDEX IF NOT EXISTS idx_session_history_session_key ON session_history(session_key);
CREATE INDEX IF NOT EXISTS idx_session_history_parent_id ON session_history(parent_id);
CREATE INDEX IF NOT EXISTS idx_shell_history_session_key ON shell_history(session_key);
CREATE INDEX IF NOT EXISTS idx_image_cache_kind ON image_cache(kind);
`;

/** Columns that older databases may lack, with the definition used to add them. */
const ADDED_COLUMNS: [table: string, column: string, definition: string][] = [
  ["session_history", "kind", "TEXT DEFAULT ''"],
  ["session_history", "title", "TEXT DEFAULT ''"],
  ["session_history", "operation_uuid", "TEXT DEFAULT ''"],
  ["session_state", "cwd", "TEXT DEFAULT ''"],
  ["session_files", "uid", "INTEGER DEFAULT 0"],
  ["session_files", "gid", "INTEGER DEFAULT 0"],
  ["session_files", "mode", "TEXT DEFAULT '0644'"],
];

function addMissingColumns(db: DatabaseSync): void {
  for (const [table, column, definition] of ADDED_COLUMNS) {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
    if (!columns.some((c) => c.name === column)) {
      db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
    }
  }
}

/** Migration n is MIGRATIONS[n - 1]. Append only; never change a released one. */
export const MIGRATIONS: ((db: DatabaseSync) => void)[] = [
  (db) => db.exec(TABLES_SQL),
  addMissingColumns,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
