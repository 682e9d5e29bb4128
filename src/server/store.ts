// The server's persistent state in one SQLite database (node:sqlite, WAL): images, uploaded
// files, operations and their event logs. Every method is synchronous, so a sequence of calls
// without an `await` in between is atomic with respect to other requests; `transaction` also
// makes it atomic on disk.

import {
  DatabaseSync,
  type SQLInputValue,
  type SQLOutputValue,
  type StatementSync,
} from "node:sqlite";
import type { OperationKind, OperationStatus } from "../api/models.ts";
import type { OutputRef } from "./outputs.ts";

export interface ImageRow {
  uuid: string;
  tag: string | null;
  created_at: string;
  operation_uuid: string | null;
  /** The podman image id behind this ConTree image. */
  podman_id: string;
  size: number;
  /** Environment a run from this image sees by default (the preserved env). */
  env: Record<string, string>;
  /** `Config.Env` of the podman image ("K=V"), which may hold variables of earlier runs. */
  config_env: string[];
}

export interface FileRow {
  uuid: string;
  sha256: string;
  size: number;
  created_at: string;
  updated_at: string;
}

export interface OperationRow {
  uuid: string;
  kind: OperationKind;
  status: OperationStatus;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration: number | null;
  image_uuid: string | null;
  result_image_uuid: string | null;
  result_tag: string | null;
  image_size: number | null;
  metadata: Record<string, unknown>;
  /** Where `metadata.result.stdout`/`stderr` are stored (read from the output files on demand). */
  outputs?: Partial<Record<"stdout" | "stderr", OutputRef>> | null;
}

export interface EventRow {
  id: number;
  spid: number;
  type: string;
  /**
   * The whole event as JSON text, exactly as it is served; for an output event (`output` set)
   * the envelope up to `"data":`, the StreamRepr of the stored bytes and `}` completing it.
   */
  json: string;
  /** An output event's bytes: a range of the stream's output file. */
  output?: { offset: number; length: number; ascii: boolean };
}

export interface Page {
  limit: number;
  offset: number;
}

/** Created-at bounds as ISO strings (inclusive). */
export interface TimeRange {
  since?: string;
  until?: string;
}

export interface ImageFilter extends TimeRange {
  tagged?: boolean;
  tagPrefix?: string;
  uuid?: string;
}

export interface OperationFilter extends TimeRange {
  status?: string;
  kind?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images (
  uuid TEXT PRIMARY KEY,
  tag TEXT UNIQUE,
  created_at TEXT NOT NULL,
  operation_uuid TEXT,
  podman_id TEXT NOT NULL,
  size INTEGER NOT NULL DEFAULT 0,
  env TEXT NOT NULL DEFAULT '{}',
  config_env TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS files (
  uuid TEXT PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS operations (
  uuid TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  duration REAL,
  image_uuid TEXT,
  result_image_uuid TEXT,
  result_tag TEXT,
  image_size INTEGER,
  metadata TEXT NOT NULL,
  outputs TEXT
);
CREATE INDEX IF NOT EXISTS operations_status ON operations (status);
CREATE TABLE IF NOT EXISTS events (
  op_uuid TEXT NOT NULL,
  id INTEGER NOT NULL,
  spid INTEGER NOT NULL,
  type TEXT NOT NULL,
  json TEXT NOT NULL,
  out_offset INTEGER,
  out_length INTEGER,
  out_ascii INTEGER,
  PRIMARY KEY (op_uuid, id)
) WITHOUT ROWID;
`;

/** Columns added after the first release: added to older databases on open. */
const ADDED_COLUMNS: [table: string, column: string, type: string][] = [
  ["operations", "outputs", "TEXT"],
  ["events", "out_offset", "INTEGER"],
  ["events", "out_length", "INTEGER"],
  ["events", "out_ascii", "INTEGER"],
];

type Row = Record<string, SQLOutputValue>;

function imageFrom(row: Row): ImageRow {
  return {
    uuid: row.uuid as string,
    tag: row.tag as string | null,
    created_at: row.created_at as string,
    operation_uuid: row.operation_uuid as string | null,
    podman_id: row.podman_id as string,
    size: Number(row.size),
    env: JSON.parse(row.env as string),
    config_env: JSON.parse(row.config_env as string),
  };
}

function operationFrom(row: Row): OperationRow {
  return {
    uuid: row.uuid as string,
    kind: row.kind as OperationKind,
    status: row.status as OperationStatus,
    error: row.error as string | null,
    created_at: row.created_at as string,
    started_at: row.started_at as string | null,
    finished_at: row.finished_at as string | null,
    duration: row.duration === null ? null : Number(row.duration),
    image_uuid: row.image_uuid as string | null,
    result_image_uuid: row.result_image_uuid as string | null,
    result_tag: row.result_tag as string | null,
    image_size: row.image_size === null ? null : Number(row.image_size),
    metadata: JSON.parse(row.metadata as string),
    outputs: row.outputs ? JSON.parse(row.outputs as string) : null,
  };
}

function fileFrom(row: Row): FileRow {
  return {
    uuid: row.uuid as string,
    sha256: row.sha256 as string,
    size: Number(row.size),
    created_at: row.created_at as string,
    updated_at: row.updated_at as string,
  };
}

function eventFrom(row: Row): EventRow {
  const event: EventRow = {
    id: Number(row.id),
    spid: Number(row.spid),
    type: row.type as string,
    json: row.json as string,
  };
  if (row.out_offset !== null && row.out_offset !== undefined) {
    event.output = {
      offset: Number(row.out_offset),
      length: Number(row.out_length),
      ascii: row.out_ascii === 1,
    };
  }
  return event;
}

/** WHERE clauses for created_at bounds; values are appended to `params`. */
function timeClauses(range: TimeRange, params: SQLInputValue[]): string[] {
  const clauses: string[] = [];
  if (range.since !== undefined) {
    clauses.push("created_at >= ?");
    params.push(range.since);
  }
  if (range.until !== undefined) {
    clauses.push("created_at <= ?");
    params.push(range.until);
  }
  return clauses;
}

function where(clauses: string[]): string {
  return clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
}

export class Store {
  readonly #db: DatabaseSync;
  /** Prepared statements by SQL text (events are written and read on hot paths). */
  readonly #statements = new Map<string, StatementSync>();

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Opens (creating when needed) the database at `path` (":memory:" for tests). */
  static open(path: string): Store {
    const db = new DatabaseSync(path);
    db.exec("PRAGMA busy_timeout = 5000");
    if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec(SCHEMA);
    for (const [table, column, type] of ADDED_COLUMNS) {
      const columns = db.prepare(`PRAGMA table_info(${table})`).all().map((row) => row.name);
      if (!columns.includes(column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    }
    return new Store(db);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #sql(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** The one row `sql` selects for `value`, mapped; undefined when there is none. */
  #one<T>(sql: string, value: SQLInputValue, map: (row: Row) => T): T | undefined {
    const row = this.#sql(sql).get(value);
    return row ? map(row) : undefined;
  }

  /** A page of `table`, newest first. */
  #page<T>(
    table: string,
    clauses: string[],
    params: SQLInputValue[],
    page: Page,
    map: (row: Row) => T,
  ): T[] {
    return this.#sql(
      `SELECT * FROM ${table} ${
        where(clauses)
      } ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
    ).all(...params, page.limit, page.offset).map(map);
  }

  /** Runs `fn` in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    if (this.#db.isTransaction) return fn();
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      // SQLite may have rolled back itself (a full disk): the first error is the one to report.
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  // ---- meta ----

  meta(key: string): string | undefined {
    return this.#one("SELECT value FROM meta WHERE key = ?", key, (row) => row.value as string);
  }

  setMeta(key: string, value: string): void {
    this.#sql("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
  }

  // ---- images ----

  insertImage(image: ImageRow): void {
    this.#sql(
      `INSERT INTO images (uuid, tag, created_at, operation_uuid, podman_id, size, env, config_env)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      image.uuid,
      image.tag,
      image.created_at,
      image.operation_uuid,
      image.podman_id,
      image.size,
      JSON.stringify(image.env),
      JSON.stringify(image.config_env),
    );
  }

  image(uuid: string): ImageRow | undefined {
    return this.#one("SELECT * FROM images WHERE uuid = ?", uuid, imageFrom);
  }

  imageByTag(tag: string): ImageRow | undefined {
    return this.#one("SELECT * FROM images WHERE tag = ?", tag, imageFrom);
  }

  images(filter: ImageFilter, page: Page): ImageRow[] {
    const params: SQLInputValue[] = [];
    const clauses = timeClauses(filter, params);
    if (filter.tagged) clauses.push("tag IS NOT NULL");
    if (filter.tagPrefix !== undefined) {
      clauses.push("substr(tag, 1, ?) = ?");
      params.push(filter.tagPrefix.length, filter.tagPrefix);
    }
    if (filter.uuid !== undefined) {
      clauses.push("uuid = ?");
      params.push(filter.uuid);
    }
    return this.#page("images", clauses, params, page, imageFrom);
  }

  /** Points `tag` at image `uuid`, moving it away from any other image. */
  setTag(uuid: string, tag: string): void {
    this.transaction(() => {
      this.#sql("UPDATE images SET tag = NULL WHERE tag = ? AND uuid <> ?").run(tag, uuid);
      this.#sql("UPDATE images SET tag = ? WHERE uuid = ?").run(tag, uuid);
    });
  }

  /** Removes `tag` from image `uuid`; false when the image does not carry that tag. */
  removeTag(uuid: string, tag: string): boolean {
    const result = this.#sql("UPDATE images SET tag = NULL WHERE uuid = ? AND tag = ?")
      .run(uuid, tag);
    return Number(result.changes) > 0;
  }

  // ---- files ----

  /** Records an uploaded blob; an existing record for the digest is touched and returned. */
  putFile(sha256: string, size: number, now: string): FileRow {
    return this.transaction(() => {
      const existing = this.fileBySha(sha256);
      if (existing) {
        this.#sql("UPDATE files SET updated_at = ? WHERE uuid = ?").run(now, existing.uuid);
        return { ...existing, updated_at: now };
      }
      const row: FileRow = {
        uuid: crypto.randomUUID(),
        sha256,
        size,
        created_at: now,
        updated_at: now,
      };
      this.#sql(
        "INSERT INTO files (uuid, sha256, size, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      ).run(row.uuid, row.sha256, row.size, row.created_at, row.updated_at);
      return row;
    });
  }

  fileBySha(sha256: string): FileRow | undefined {
    return this.#one("SELECT * FROM files WHERE sha256 = ?", sha256, fileFrom);
  }

  file(uuid: string): FileRow | undefined {
    return this.#one("SELECT * FROM files WHERE uuid = ?", uuid, fileFrom);
  }

  files(range: TimeRange, page: Page): FileRow[] {
    const params: SQLInputValue[] = [];
    const clauses = timeClauses(range, params);
    return this.#page("files", clauses, params, page, fileFrom);
  }

  // ---- operations ----

  insertOperation(op: OperationRow): void {
    this.#sql(
      `INSERT INTO operations (uuid, kind, status, error, created_at, started_at, finished_at,
         duration, image_uuid, result_image_uuid, result_tag, image_size, metadata, outputs)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      op.uuid,
      op.kind,
      op.status,
      op.error,
      op.created_at,
      op.started_at,
      op.finished_at,
      op.duration,
      op.image_uuid,
      op.result_image_uuid,
      op.result_tag,
      op.image_size,
      JSON.stringify(op.metadata),
      op.outputs ? JSON.stringify(op.outputs) : null,
    );
  }

  operation(uuid: string): OperationRow | undefined {
    return this.#one("SELECT * FROM operations WHERE uuid = ?", uuid, operationFrom);
  }

  /** Updates the given columns of an operation. */
  updateOperation(
    uuid: string,
    changes: Partial<Omit<OperationRow, "uuid" | "kind" | "created_at">>,
  ): void {
    const names = Object.keys(changes) as (keyof typeof changes)[];
    if (names.length === 0) return;
    const values = names.map((name) =>
      name === "metadata" || name === "outputs"
        ? (changes[name] ? JSON.stringify(changes[name]) : null)
        : changes[name] as SQLInputValue
    );
    this.#sql(
      `UPDATE operations SET ${names.map((name) => `${name} = ?`).join(", ")} WHERE uuid = ?`,
    ).run(...values, uuid);
  }

  operations(filter: OperationFilter, page: Page): OperationRow[] {
    const params: SQLInputValue[] = [];
    const clauses = timeClauses(filter, params);
    if (filter.status !== undefined) {
      clauses.push("status = ?");
      params.push(filter.status);
    }
    if (filter.kind !== undefined) {
      clauses.push("kind = ?");
      params.push(filter.kind);
    }
    return this.#page("operations", clauses, params, page, operationFrom);
  }

  /** Operations in one of `statuses`, oldest first. */
  operationsWithStatus(statuses: readonly string[]): OperationRow[] {
    return this.#sql(
      `SELECT * FROM operations WHERE status IN (${statuses.map(() => "?").join(", ")})
       ORDER BY created_at, rowid`,
    ).all(...statuses).map(operationFrom);
  }

  /** Number of operations per status. */
  operationCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (
      const row of this.#sql("SELECT status, count(*) AS n FROM operations GROUP BY status")
        .all()
    ) {
      counts[row.status as string] = Number(row.n);
    }
    return counts;
  }

  // ---- events ----

  insertEvent(opUuid: string, event: EventRow): void {
    this.#sql(
      `INSERT INTO events (op_uuid, id, spid, type, json, out_offset, out_length, out_ascii)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      opUuid,
      event.id,
      event.spid,
      event.type,
      event.json,
      event.output?.offset ?? null,
      event.output?.length ?? null,
      event.output ? (event.output.ascii ? 1 : 0) : null,
    );
  }

  /** Events with id > `afterId`, in id order, at most `limit`. */
  events(opUuid: string, afterId: number, limit: number): EventRow[] {
    return this.#sql(
      `SELECT id, spid, type, json, out_offset, out_length, out_ascii FROM events
       WHERE op_uuid = ? AND id > ? ORDER BY id LIMIT ?`,
    ).all(opUuid, afterId, limit).map(eventFrom);
  }

  /** The events of one process (`spid`) of an operation, in id order. */
  processEvents(opUuid: string, spid: number): EventRow[] {
    return this.#sql(
      `SELECT id, spid, type, json, out_offset, out_length, out_ascii FROM events
       WHERE op_uuid = ? AND spid = ? ORDER BY id`,
    ).all(opUuid, spid).map(eventFrom);
  }

  /** Where the stored output of each process stream of an operation ends (bytes). */
  outputEnds(opUuid: string): { spid: number; stream: string; end: number }[] {
    return this.#sql(
      `SELECT spid, type, max(out_offset + out_length) AS end FROM events
       WHERE op_uuid = ? AND out_offset IS NOT NULL GROUP BY spid, type`,
    ).all(opUuid).map((row) => ({
      spid: Number(row.spid),
      stream: row.type as string,
      end: Number(row.end),
    }));
  }

  /**
   * The main process's output as its log refers to it: the record of a run the server did not
   * live to finish (a crash) is given what its events had stored.
   */
  loggedOutputs(opUuid: string): Partial<Record<"stdout" | "stderr", OutputRef>> {
    const refs: Partial<Record<"stdout" | "stderr", OutputRef>> = {};
    const rows = this.#sql(
      `SELECT type, max(out_offset + out_length) AS end, min(out_ascii) AS ascii FROM events
       WHERE op_uuid = ? AND spid = 1 AND type IN ('stdout', 'stderr') AND out_offset IS NOT NULL
       GROUP BY type`,
    ).all(opUuid);
    const truncated = new Set(
      this.#sql(
        `SELECT json_extract(json, '$.data.stream') AS stream FROM events
         WHERE op_uuid = ? AND spid = 1 AND type = 'truncated'`,
      ).all(opUuid).map((row) => row.stream),
    );
    for (const row of rows) {
      const stream = row.type as "stdout" | "stderr";
      refs[stream] = {
        spid: 1,
        stream,
        bytes: Number(row.end),
        ascii: row.ascii === 1,
        truncated: truncated.has(stream),
      };
    }
    return refs;
  }

  /** The highest event id of an operation, or -1 when its log is empty. */
  lastEventId(opUuid: string): number {
    const row = this.#sql("SELECT max(id) AS id FROM events WHERE op_uuid = ?").get(opUuid);
    return row?.id === null || row?.id === undefined ? -1 : Number(row.id);
  }
}
