// The per-profile session store (CLI spec §3): a git-like history of images per session key,
// named branches, staged files, session env and a generic cache, in one SQLite file shared
// with the reference CLI.
//
// Concurrency: WAL lets readers run beside a writer; every write is one `BEGIN IMMEDIATE`
// transaction (a deferred one that later upgrades to a write lock can fail with SQLITE_BUSY
// without waiting), so concurrent writers queue on busy_timeout and each read-then-insert
// (e.g. "append to the tip") is atomic. A bounded retry covers the rare SQLITE_BUSY that still
// escapes (opening, switching to WAL).
//
// Nothing is deleted here except by the methods named delete*/prune*/unset*/remove*.

import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { ContreeError } from "../errors.ts";
import { isDiskFull } from "../storage_errors.ts";
import {
  decodeCacheValue,
  encodeCacheJson,
  encodeCacheValue,
  fitsInline,
  isGzipped,
  loadCacheCodec,
} from "./cache.ts";
import {
  NO_SESSION_MESSAGE,
  NoActiveSession,
  SessionDatabaseError,
  SessionError,
} from "./errors.ts";
import { resolveSandboxPath } from "../sandbox_path.ts";
import { storeTimestamp } from "./timestamps.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./schema.ts";

export const DEFAULT_BRANCH = "main";
export const DEFAULT_DB_TIMEOUT_MS = 30_000;
/** `shell_history` keeps this many lines per session. */
export const SHELL_HISTORY_LIMIT = 10_000;

export { NO_SESSION_MESSAGE, NoActiveSession, SessionDatabaseError, SessionError };

export interface HistoryEntry {
  /** Global across sessions of the database; users see it in `session show` and `@N`. */
  id: number;
  sessionKey: string;
  image: string;
  parentId: number | null;
  kind: string;
  title: string;
  /** "" when the entry has no operation (e.g. `use`, `cd`, `file`). */
  operation: string;
  /** UTC, `YYYY-MM-DDTHH:MM:SS` (see storeTimeToIso). */
  createdAt: string;
}

export interface NewEntry {
  image: string;
  kind: string;
  title?: string;
  operation?: string;
}

export interface SessionState {
  sessionKey: string;
  activeBranch: string;
  updatedAt: string;
}

export interface Branch {
  name: string;
  historyId: number;
  active: boolean;
}

export interface SessionSummary {
  sessionKey: string;
  activeBranch: string;
  /** "" when the active branch has no tip. */
  currentImage: string;
  lastKind: string;
  lastTitle: string;
  updatedAt: string;
}

export interface StagedFile {
  historyId: number;
  /** Absolute path inside the sandbox. */
  path: string;
  fileUuid: string;
  uid: number;
  gid: number;
  /** Octal string such as "0644". */
  mode: string;
}

/** An operation started with `run -d`, waited for by `session wait`. */
export interface PendingOp {
  op: string;
  title: string;
  disposable: boolean;
  branch: string;
  /** The server it was started on (its URL), when known: a 404 elsewhere is not its end. */
  server?: string;
}

export interface StoreOptions {
  /** SQLite lock wait (busy_timeout), default 30 s. */
  timeoutMs?: number;
  /** Wall clock for timestamps, epoch ms. */
  now?: () => number;
}

type Row = Record<string, SQLInputValue>;

/** The entries that start a `detached-*` or `disposable-*` branch. */
const SIDE_BRANCH_KINDS = ["run-detached", "run-disposable"];

const ENTRY_COLUMNS =
  "id, session_key, image_uuid, parent_id, kind, title, operation_uuid, created_at";

function text(value: unknown, fallback = ""): string {
  return value === null || value === undefined ? fallback : String(value);
}

function toEntry(row: Row): HistoryEntry {
  return {
    id: Number(row.id),
    sessionKey: text(row.session_key),
    image: text(row.image_uuid),
    parentId: row.parent_id === null || row.parent_id === undefined ? null : Number(row.parent_id),
    kind: text(row.kind),
    title: text(row.title),
    operation: text(row.operation_uuid),
    createdAt: text(row.created_at),
  };
}

function sqliteCode(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown })?.errcode;
  return typeof code === "number" ? code & 0xff : undefined;
}

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const BUSY_RETRIES = 5;

function isBusy(error: unknown): boolean {
  const code = sqliteCode(error);
  return code === SQLITE_BUSY || code === SQLITE_LOCKED;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function describe(error: unknown): string {
  if (isDiskFull(error)) return "no space left on the disk";
  const errstr = (error as { errstr?: unknown })?.errstr;
  if (typeof errstr === "string" && errstr) return errstr;
  return error instanceof Error ? error.message : String(error);
}

/** CONTREE_DB_TIMEOUT (seconds, default 30) in milliseconds. */
export function dbTimeoutMs(value: string | undefined): number {
  const seconds = Number(value);
  return value !== undefined && value.trim() !== "" && Number.isFinite(seconds) && seconds >= 0
    ? Math.round(seconds * 1000)
    : DEFAULT_DB_TIMEOUT_MS;
}

export class SessionStore {
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  readonly #statements = new Map<string, StatementSync>();
  #depth = 0;

  private constructor(db: DatabaseSync, readonly path: string, options: StoreOptions) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Opens (creating when missing) the database at `path` and brings its schema up to date.
   * A file that is not a database, or cannot be opened, is reported with its path and left
   * untouched.
   */
  static open(path: string, options: StoreOptions = {}): SessionStore {
    const timeoutMs = options.timeoutMs ?? DEFAULT_DB_TIMEOUT_MS;
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { timeout: timeoutMs });
    } catch (error) {
      throw new SessionDatabaseError(
        `Cannot open session database ${path}: ${describe(error)}`,
        undefined,
        { cause: error },
      );
    }
    const store = new SessionStore(db, path, options);
    try {
      retryBusy(() => {
        db.exec(`PRAGMA busy_timeout = ${timeoutMs}`);
        // Reading the journal mode reads the header first: a foreign file fails here, unchanged.
        db.prepare("PRAGMA journal_mode = WAL").get();
        db.exec("PRAGMA synchronous = NORMAL");
      });
      store.#migrate();
    } catch (error) {
      try {
        db.close();
      } catch {
        // already failing; the first error is the one to report
      }
      if (error instanceof SessionDatabaseError) throw error;
      throw new SessionDatabaseError(
        `Cannot open session database ${path}: ${describe(error)}`,
        undefined,
        { cause: error },
      );
    }
    return store;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** The schema version recorded in the file (PRAGMA user_version). */
  schemaVersion(): number {
    return Number(this.#get("PRAGMA user_version")?.user_version ?? 0);
  }

  #migrate(): void {
    if (this.schemaVersion() >= SCHEMA_VERSION) return;
    this.#write(() => {
      // Re-read under the write lock: another process may have migrated meanwhile.
      for (let n = this.schemaVersion() + 1; n <= SCHEMA_VERSION; n++) MIGRATIONS[n - 1](this.#db);
      this.#db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    });
  }

  // ---- low-level helpers ----

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #fail(error: unknown): never {
    if (error instanceof ContreeError) throw error;
    throw new SessionDatabaseError(`Session database ${this.path}: ${describe(error)}`, undefined, {
      cause: error,
    });
  }

  #get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    try {
      return this.#statement(sql).get(...params) as Row | undefined;
    } catch (error) {
      this.#fail(error);
    }
  }

  #all(sql: string, ...params: SQLInputValue[]): Row[] {
    try {
      return this.#statement(sql).all(...params) as Row[];
    } catch (error) {
      this.#fail(error);
    }
  }

  #run(sql: string, ...params: SQLInputValue[]): { changes: number; lastInsertRowid: number } {
    try {
      const result = this.#statement(sql).run(...params);
      return { changes: Number(result.changes), lastInsertRowid: Number(result.lastInsertRowid) };
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Runs `fn` in one write transaction (nested calls join the outer one). */
  #write<T>(fn: () => T): T {
    if (this.#depth > 0) return fn();
    try {
      return retryBusy(() => {
        this.#db.exec("BEGIN IMMEDIATE");
        this.#depth++;
        try {
          const result = fn();
          this.#db.exec("COMMIT");
          return result;
        } catch (error) {
          if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
          throw error;
        } finally {
          this.#depth--;
        }
      });
    } catch (error) {
      this.#fail(error);
    }
  }

  #timestamp(): string {
    return storeTimestamp(this.#now());
  }

  // ---- reading ----

  entry(id: number): HistoryEntry | undefined {
    const row = this.#get(`SELECT ${ENTRY_COLUMNS} FROM session_history WHERE id = ?`, id);
    return row ? toEntry(row) : undefined;
  }

  /** Every entry of the session, oldest first. */
  history(key: string): HistoryEntry[] {
    return this.#all(
      `SELECT ${ENTRY_COLUMNS} FROM session_history WHERE session_key = ? ORDER BY id`,
      key,
    ).map(toEntry);
  }

  state(key: string): SessionState | undefined {
    const row = this.#get(
      "SELECT session_key, active_branch, updated_at FROM session_state WHERE session_key = ?",
      key,
    );
    if (!row) return undefined;
    return {
      sessionKey: text(row.session_key),
      activeBranch: text(row.active_branch) || DEFAULT_BRANCH,
      updatedAt: text(row.updated_at),
    };
  }

  activeBranch(key: string): string {
    return this.state(key)?.activeBranch ?? DEFAULT_BRANCH;
  }

  #branchId(key: string, branch: string): number | undefined {
    const row = this.#get(
      "SELECT history_id FROM session_branches WHERE session_key = ? AND branch_name = ?",
      key,
      branch,
    );
    return row && row.history_id !== null ? Number(row.history_id) : undefined;
  }

  /** The entry a branch points at. */
  branchTip(key: string, branch: string): HistoryEntry | undefined {
    const id = this.#branchId(key, branch);
    return id === undefined ? undefined : this.entry(id);
  }

  /** The tip of the active branch: the session's current image. */
  tip(key: string): HistoryEntry | undefined {
    const state = this.state(key);
    return state ? this.branchTip(key, state.activeBranch) : undefined;
  }

  /** The tip, or NoActiveSession. */
  requireTip(key: string): HistoryEntry {
    const tip = this.tip(key);
    if (!tip) throw new NoActiveSession();
    return tip;
  }

  currentImage(key: string): string | undefined {
    return this.tip(key)?.image || undefined;
  }

  /**
   * The newest child of `entry` within its session that is not a side branch's mark (forward
   * navigation picks it): a disposable or detached run made since a rollback is no step of the
   * branch, and taking it lost the run a `rollback` then `+1` should come back to.
   */
  latestChild(entry: HistoryEntry): HistoryEntry | undefined {
    const row = this.#get(
      `SELECT ${ENTRY_COLUMNS} FROM session_history WHERE parent_id = ? AND session_key = ? ` +
        `AND id > ? AND kind NOT IN (${SIDE_BRANCH_KINDS.map(() => "?").join(", ")}) ` +
        "ORDER BY id DESC LIMIT 1",
      entry.id,
      entry.sessionKey,
      entry.id,
      ...SIDE_BRANCH_KINDS,
    );
    return row ? toEntry(row) : undefined;
  }

  /** The parent of `entry` (ids only grow, so a damaged file cannot make this loop). */
  parent(entry: HistoryEntry): HistoryEntry | undefined {
    if (entry.parentId === null || entry.parentId >= entry.id) return undefined;
    return this.entry(entry.parentId);
  }

  /** Entries from the tip back to the root (the active branch's ancestry), tip first. */
  ancestry(key: string): HistoryEntry[] {
    const tip = this.tip(key);
    if (!tip) return [];
    return this.#all(
      `WITH RECURSIVE chain(id) AS (SELECT ? UNION ALL ` +
        "SELECT h.parent_id FROM session_history h JOIN chain c ON h.id = c.id " +
        "WHERE h.parent_id IS NOT NULL AND h.parent_id < h.id) " +
        `SELECT ${ENTRY_COLUMNS} FROM session_history WHERE id IN (SELECT id FROM chain) ` +
        "ORDER BY id DESC",
      tip.id,
    ).map(toEntry);
  }

  branches(key: string): Branch[] {
    const active = this.activeBranch(key);
    return this.#all(
      "SELECT branch_name, history_id FROM session_branches WHERE session_key = ? " +
        "ORDER BY branch_name",
      key,
    ).map((row) => ({
      name: text(row.branch_name),
      historyId: Number(row.history_id),
      active: text(row.branch_name) === active,
    }));
  }

  /** The session's working directory: the title of the nearest `cd` entry, else `/`. */
  cwd(key: string): string {
    return this.recordedCwd(key) || "/";
  }

  /** The title of the nearest `cd` entry on the active branch; "" when there is none. */
  recordedCwd(key: string): string {
    const tip = this.tip(key);
    if (!tip) return "";
    const row = this.#get(
      "WITH RECURSIVE chain(id, parent_id, kind, title, depth) AS (" +
        "SELECT id, parent_id, kind, title, 0 FROM session_history WHERE id = ? UNION ALL " +
        "SELECT h.id, h.parent_id, h.kind, h.title, c.depth + 1 FROM session_history h " +
        "JOIN chain c ON h.id = c.parent_id AND h.id < c.id WHERE c.kind IS NOT 'cd') " +
        "SELECT title FROM chain WHERE kind = 'cd' ORDER BY depth LIMIT 1",
      tip.id,
    );
    return text(row?.title);
  }

  /** `path` resolved against the session cwd (CLI spec §3.4 resolve_path). */
  resolvePath(key: string, path: string): string {
    return resolveSandboxPath(this.cwd(key), path);
  }

  /**
   * Files staged since the last successful run on the active branch's ancestry (the walk
   * stops at the first `run` entry), one per sandbox path, the latest staging winning.
   */
  pendingFiles(key: string): StagedFile[] {
    const tip = this.tip(key);
    if (!tip) return [];
    const rows = this.#all(
      "WITH RECURSIVE chain(id, parent_id, kind) AS (" +
        "SELECT id, parent_id, kind FROM session_history WHERE id = ? UNION ALL " +
        "SELECT h.id, h.parent_id, h.kind FROM session_history h " +
        "JOIN chain c ON h.id = c.parent_id AND h.id < c.id WHERE c.kind IS NOT 'run') " +
        "SELECT f.history_id, f.instance_path, f.file_uuid, f.uid, f.gid, f.mode " +
        "FROM session_files f JOIN chain c ON f.history_id = c.id WHERE c.kind = 'file' " +
        "ORDER BY f.history_id DESC",
      tip.id,
    );
    const byPath = new Map<string, StagedFile>();
    for (const row of rows) {
      const path = text(row.instance_path);
      if (byPath.has(path)) continue;
      byPath.set(path, {
        historyId: Number(row.history_id),
        path,
        fileUuid: text(row.file_uuid),
        uid: Number(row.uid ?? 0),
        gid: Number(row.gid ?? 0),
        mode: text(row.mode, "0644") || "0644",
      });
    }
    return [...byPath.values()].sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  }

  #summaryRows(where: string, ...params: SQLInputValue[]): SessionSummary[] {
    return this.#all(
      "SELECT s.session_key, s.active_branch, s.updated_at, h.image_uuid, h.kind, h.title " +
        "FROM session_state s LEFT JOIN session_branches b ON b.session_key = s.session_key " +
        "AND b.branch_name = COALESCE(NULLIF(s.active_branch, ''), 'main') " +
        `LEFT JOIN session_history h ON h.id = b.history_id ${where} ` +
        "ORDER BY s.updated_at DESC, s.rowid DESC",
      ...params,
    ).map((row) => ({
      sessionKey: text(row.session_key),
      activeBranch: text(row.active_branch) || DEFAULT_BRANCH,
      currentImage: text(row.image_uuid),
      lastKind: text(row.kind),
      lastTitle: text(row.title),
      updatedAt: text(row.updated_at),
    }));
  }

  /** The session's summary row, when the session exists. */
  summary(key: string): SessionSummary | undefined {
    return this.#summaryRows("WHERE s.session_key = ?", key)[0];
  }

  /** All sessions, most recently updated first; `filter` keeps keys containing it (as typed). */
  sessions(filter?: string): SessionSummary[] {
    if (!filter) return this.#summaryRows("");
    return this.#summaryRows("WHERE instr(s.session_key, ?) > 0", filter);
  }

  /**
   * The session named `name`: the key itself when it exists, else the one key ending with
   * `name` (matched literally, CLI spec §12.25).
   */
  findSession(name: string): string {
    if (name && this.#get("SELECT 1 AS found FROM session_state WHERE session_key = ?", name)) {
      return name;
    }
    const matches = name
      ? this.#all(
        "SELECT session_key FROM session_state WHERE length(session_key) > length(?1) " +
          "AND substr(session_key, -length(?1)) = ?1 ORDER BY session_key",
        name,
      ).map((row) => text(row.session_key))
      : [];
    if (matches.length === 0) throw new SessionError(`Session '${name}' not found`);
    if (matches.length > 1) {
      throw new SessionError(`Ambiguous session '${name}': matches ${matches.join(", ")}`);
    }
    return matches[0];
  }

  env(key: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (
      const row of this.#all(
        "SELECT key, value FROM session_env WHERE session_key = ? ORDER BY key",
        key,
      )
    ) {
      env[text(row.key)] = text(row.value);
    }
    return env;
  }

  // ---- history writes ----

  #insert(key: string, parentId: number | null, entry: NewEntry): number {
    return this.#run(
      "INSERT INTO session_history " +
        "(session_key, image_uuid, parent_id, kind, title, operation_uuid, created_at) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
      key,
      entry.image,
      parentId,
      entry.kind,
      entry.title ?? "",
      entry.operation ?? "",
      this.#timestamp(),
    ).lastInsertRowid;
  }

  #point(key: string, branch: string, historyId: number): void {
    this.#run(
      "INSERT INTO session_branches (session_key, branch_name, history_id) VALUES (?, ?, ?) " +
        "ON CONFLICT (session_key, branch_name) DO UPDATE SET history_id = excluded.history_id",
      key,
      branch,
      historyId,
    );
  }

  /** Creates the state row (active branch `main`) or bumps its updated_at. */
  #touch(key: string): void {
    this.#run(
      "INSERT INTO session_state (session_key, active_branch, cwd, updated_at) " +
        "VALUES (?, ?, '', ?) ON CONFLICT (session_key) DO UPDATE SET updated_at = excluded.updated_at",
      key,
      DEFAULT_BRANCH,
      this.#timestamp(),
    );
  }

  /** Appends an entry to the active branch (starting the session when needed). */
  setImage(key: string, entry: NewEntry): HistoryEntry {
    return this.#write(() => this.setImageOnBranch(key, this.activeBranch(key), entry));
  }

  /**
   * A finished run moves the active branch to its image. Files staged while it ran (pending now,
   * not among the `sent` history ids) were not in it: they are staged again above its entry, in
   * their order, for the next run.
   */
  recordRun(key: string, entry: NewEntry, sent: ReadonlySet<number>): HistoryEntry {
    return this.#write(() => {
      const late = this.pendingFiles(key).filter((file) => !sent.has(file.historyId));
      const recorded = this.setImage(key, entry);
      for (const file of late.reverse()) this.stageFile(key, file);
      return recorded;
    });
  }

  /** Appends an entry to `branch` (created when absent); the active branch is unchanged. */
  setImageOnBranch(key: string, branch: string, entry: NewEntry): HistoryEntry {
    return this.#write(() => {
      const id = this.#insert(key, this.#branchId(key, branch) ?? null, entry);
      this.#point(key, branch, id);
      this.#touch(key);
      return this.entry(id)!;
    });
  }

  #sideBranch(key: string, branch: string, kind: string, op: string, title: string) {
    return this.#write(() => {
      const tip = this.requireTip(key);
      const id = this.#insert(key, tip.id, { image: tip.image, kind, title, operation: op });
      this.#point(key, branch, id);
      this.#touch(key);
      return this.entry(id)!;
    });
  }

  /** `run -d`: branch `detached-<op>` at a child of the tip with the tip's image. */
  createDetachedBranch(key: string, op: string, title: string): HistoryEntry {
    return this.#sideBranch(key, `detached-${op}`, "run-detached", op, title);
  }

  /** A disposable run: branch `disposable-<op>` at a child of the tip with the tip's image. */
  createDisposableBranch(key: string, op: string, title: string): HistoryEntry {
    return this.#sideBranch(key, `disposable-${op}`, "run-disposable", op, title);
  }

  /**
   * Moves the active branch: `target > 0` to that entry of this session, `target < 0` back
   * that many parents.
   */
  navigate(key: string, target: number): HistoryEntry {
    if (!Number.isInteger(target) || target === 0) {
      throw new SessionError("Navigation target must not be 0");
    }
    return this.#write(() => {
      const tip = this.tip(key);
      if (!tip) throw new NoActiveSession("No active session");
      let destination: HistoryEntry | undefined;
      if (target > 0) {
        destination = this.entry(target);
        if (!destination || destination.sessionKey !== key) {
          throw new SessionError(`History entry ${target} not found in this session`);
        }
      } else {
        destination = this.walkBack(tip, -target);
      }
      this.#point(key, this.activeBranch(key), destination.id);
      this.#touch(key);
      return destination;
    });
  }

  /** Moves the active branch forward `steps` times, each to the newest child. */
  navigateForward(key: string, steps: number): HistoryEntry {
    if (!Number.isInteger(steps) || steps <= 0) {
      throw new SessionError("Navigation target must not be 0");
    }
    return this.#write(() => {
      const tip = this.tip(key);
      if (!tip) throw new NoActiveSession("No active session");
      const destination = this.walkForward(tip, steps);
      this.#point(key, this.activeBranch(key), destination.id);
      this.#touch(key);
      return destination;
    });
  }

  /** The entry `steps` parents above `from`. */
  walkBack(from: HistoryEntry, steps: number): HistoryEntry {
    let current = from;
    for (let taken = 0; taken < steps; taken++) {
      const parent = this.parent(current);
      if (!parent) {
        throw new SessionError(
          `Cannot go back ${steps} steps: only ${taken} ancestors available`,
        );
      }
      current = parent;
    }
    return current;
  }

  /** The entry reached by taking the newest child `steps` times from `from`. */
  walkForward(from: HistoryEntry, steps: number): HistoryEntry {
    let current = from;
    for (let taken = 0; taken < steps; taken++) {
      const child = this.latestChild(current);
      if (!child) {
        throw new SessionError(
          `Cannot go forward ${steps} steps: only ${taken} children available`,
        );
      }
      current = child;
    }
    return current;
  }

  // ---- branches ----

  #requireState(key: string): SessionState {
    const state = this.state(key);
    if (!state) throw new NoActiveSession("No active session");
    return state;
  }

  /** Creates `name` at the tip of `from` (default: the active branch). Does not switch. */
  createBranch(key: string, name: string, from?: string): HistoryEntry {
    if (!name) throw new SessionError("Branch name must not be empty");
    return this.#write(() => {
      const state = this.#requireState(key);
      const source = from || state.activeBranch;
      const sourceId = this.#branchId(key, source);
      if (sourceId === undefined) {
        throw new SessionError(`Source branch '${source}' does not exist`);
      }
      if (this.#branchId(key, name) !== undefined) {
        throw new SessionError(`Branch '${name}' already exists`);
      }
      this.#point(key, name, sourceId);
      return this.entry(sourceId)!;
    });
  }

  deleteBranch(key: string, name: string): void {
    this.#write(() => {
      const state = this.#requireState(key);
      if (name === state.activeBranch) throw new SessionError("Cannot delete the active branch");
      if (this.#branchId(key, name) === undefined) {
        throw new SessionError(`Branch '${name}' does not exist`);
      }
      this.#run(
        "DELETE FROM session_branches WHERE session_key = ? AND branch_name = ?",
        key,
        name,
      );
      this.#touch(key);
    });
  }

  /** Deletes the non-active `detached-*` and `disposable-*` branches; returns their names. */
  pruneBranches(key: string): string[] {
    return this.#write(() => {
      const active = this.activeBranch(key);
      const pruned = this.branches(key)
        .map((b) => b.name)
        .filter((name) =>
          name !== active && (name.startsWith("detached-") || name.startsWith("disposable-"))
        );
      for (const name of pruned) {
        this.#run(
          "DELETE FROM session_branches WHERE session_key = ? AND branch_name = ?",
          key,
          name,
        );
      }
      if (pruned.length > 0) this.#touch(key);
      return pruned;
    });
  }

  /** Makes `name` the active branch; returns its tip. */
  switchBranch(key: string, name: string): HistoryEntry {
    return this.#write(() => {
      this.#requireState(key);
      const tip = this.branchTip(key, name);
      if (!tip) throw new SessionError(`Branch '${name}' does not exist`);
      this.#run(
        "UPDATE session_state SET active_branch = ?, updated_at = ? WHERE session_key = ?",
        name,
        this.#timestamp(),
        key,
      );
      return tip;
    });
  }

  // ---- sessions ----

  /** Removes everything of the session; false when it did not exist. */
  deleteSession(key: string): boolean {
    return this.#write(() => {
      const existed = this.state(key) !== undefined ||
        this.#get("SELECT 1 AS found FROM session_history WHERE session_key = ? LIMIT 1", key) !==
          undefined;
      this.#run(
        "DELETE FROM session_files WHERE history_id IN " +
          "(SELECT id FROM session_history WHERE session_key = ?)",
        key,
      );
      this.#run("DELETE FROM session_env WHERE session_key = ?", key);
      this.#run("DELETE FROM shell_history WHERE session_key = ?", key);
      this.#run("DELETE FROM session_branches WHERE session_key = ?", key);
      this.#run("DELETE FROM session_history WHERE session_key = ?", key);
      this.#run("DELETE FROM session_state WHERE session_key = ?", key);
      this.#run("DELETE FROM image_cache WHERE image_uuid = '' AND kind = ?", `ops:${key}`);
      return existed;
    });
  }

  // ---- working directory and staged files ----

  /** Records a `cd` entry (the new cwd is its title). */
  changeDirectory(key: string, path: string): HistoryEntry {
    return this.#write(() => {
      const tip = this.requireTip(key);
      return this.setImage(key, { image: tip.image, kind: "cd", title: path });
    });
  }

  /** Stages a file for the next run: a `file` entry plus its session_files row. */
  stageFile(
    key: string,
    file: { path: string; fileUuid: string; uid?: number; gid?: number; mode?: string },
  ): HistoryEntry {
    return this.#write(() => {
      const tip = this.requireTip(key);
      const entry = this.setImage(key, {
        image: tip.image,
        kind: "file",
        title: `Change file ${file.path}`,
      });
      this.#run(
        "INSERT OR REPLACE INTO session_files " +
          "(history_id, instance_path, file_uuid, uid, gid, mode) VALUES (?, ?, ?, ?, ?, ?)",
        entry.id,
        file.path,
        file.fileUuid,
        file.uid ?? 0,
        file.gid ?? 0,
        file.mode ?? "0644",
      );
      return entry;
    });
  }

  // ---- session env ----

  setEnv(key: string, values: Record<string, string>): void {
    this.#write(() => {
      for (const [name, value] of Object.entries(values)) {
        this.#run(
          "INSERT OR REPLACE INTO session_env (session_key, key, value) VALUES (?, ?, ?)",
          key,
          name,
          value,
        );
      }
    });
  }

  /** Removes the names; returns those that were set. */
  unsetEnv(key: string, names: string[]): string[] {
    return this.#write(() =>
      names.filter((name) =>
        this.#run("DELETE FROM session_env WHERE session_key = ? AND key = ?", key, name)
          .changes > 0
      )
    );
  }

  // ---- shell history (REPL) ----

  addShellHistory(key: string, line: string, limit = SHELL_HISTORY_LIMIT): void {
    this.#write(() => {
      this.#run(
        "INSERT INTO shell_history (session_key, line, created_at) VALUES (?, ?, ?)",
        key,
        line,
        this.#timestamp(),
      );
      this.#run(
        "DELETE FROM shell_history WHERE session_key = ?1 AND id NOT IN " +
          "(SELECT id FROM shell_history WHERE session_key = ?1 ORDER BY id DESC LIMIT ?2)",
        key,
        limit,
      );
    });
  }

  /** REPL lines, oldest first. */
  shellHistory(key: string): string[] {
    return this.#all("SELECT line FROM shell_history WHERE session_key = ? ORDER BY id", key)
      .map((row) => text(row.line));
  }

  // ---- generic cache (CLI spec §3.5) ----

  /** The cached value, or undefined when absent or undecodable. */
  cacheGet<T = unknown>(image: string, kind: string): T | undefined {
    const stored = this.#cacheText(image, kind);
    return stored === undefined ? undefined : decodedOrUndefined<T>(stored);
  }

  /** `cacheGet` for the commands that read the cache: the gzip codec loaded when a value needs it
   * (src/session/cache.ts says why). */
  async cacheRead<T = unknown>(image: string, kind: string): Promise<T | undefined> {
    const stored = this.#cacheText(image, kind);
    if (stored === undefined) return undefined;
    if (isGzipped(stored)) await loadCacheCodec();
    return decodedOrUndefined<T>(stored);
  }

  #cacheText(image: string, kind: string): string | undefined {
    const row = this.#get(
      "SELECT value FROM image_cache WHERE image_uuid = ? AND kind = ?",
      image,
      kind,
    );
    return !row || row.value === null ? undefined : text(row.value);
  }

  cacheSet(image: string, kind: string, value: unknown): void {
    this.#cacheStore(image, kind, encodeCacheValue(value));
  }

  /** `cacheSet` with the gzip codec loaded when the value needs it (as `cacheRead`). */
  async cacheWrite(image: string, kind: string, value: unknown): Promise<void> {
    const json = JSON.stringify(value);
    if (!fitsInline(json)) await loadCacheCodec();
    this.#cacheStore(image, kind, encodeCacheJson(json));
  }

  #cacheStore(image: string, kind: string, encoded: string): void {
    this.#write(() =>
      this.#run(
        "INSERT OR REPLACE INTO image_cache (image_uuid, kind, value) VALUES (?, ?, ?)",
        image,
        kind,
        encoded,
      )
    );
  }

  cacheDelete(image: string, kind: string): void {
    this.#write(() =>
      this.#run("DELETE FROM image_cache WHERE image_uuid = ? AND kind = ?", image, kind)
    );
  }

  /** Decodable entries of `image` whose kind starts with `kindPrefix`. */
  cacheEntries(image: string, kindPrefix: string): { kind: string; value: unknown }[] {
    const out: { kind: string; value: unknown }[] = [];
    const rows = this.#all(
      "SELECT kind, value FROM image_cache WHERE image_uuid = ?1 " +
        "AND substr(kind, 1, length(?2)) = ?2 ORDER BY kind",
      image,
      kindPrefix,
    );
    for (const row of rows) {
      // An undecodable entry is skipped, never deleted.
      const value = decodedOrUndefined(text(row.value));
      if (value !== undefined) out.push({ kind: text(row.kind), value });
    }
    return out;
  }

  // ---- operations started with `run -d` (cache key ("", "ops:<session key>")) ----

  pendingOps(key: string): PendingOp[] {
    const raw = this.cacheGet<unknown[]>("", `ops:${key}`);
    if (!Array.isArray(raw)) return [];
    return raw.flatMap((item): PendingOp[] => {
      if (typeof item === "string") return [{ op: item, title: "", disposable: false, branch: "" }];
      if (!item || typeof item !== "object") return [];
      const record = item as Record<string, unknown>;
      if (typeof record.op !== "string") return [];
      return [{
        op: record.op,
        title: text(record.title),
        disposable: record.disposable === true,
        branch: text(record.branch),
        ...(typeof record.server === "string" ? { server: record.server } : {}),
      }];
    });
  }

  addPendingOp(key: string, op: PendingOp): void {
    this.#write(() => this.cacheSet("", `ops:${key}`, [...this.pendingOps(key), op]));
  }

  /**
   * Runs `settle` (what the finished op does to the session) and forgets the op, in one
   * transaction, when it is still pending: two `session wait`s settle each op once. Whether it
   * was pending.
   */
  settlePendingOp(key: string, uuid: string, settle: () => void): boolean {
    return this.#write(() => {
      if (!this.pendingOps(key).some((pending) => pending.op === uuid)) return false;
      settle();
      this.removePendingOp(key, uuid);
      return true;
    });
  }

  /** Forgets a pending op; the cache key goes away with the last one. */
  removePendingOp(key: string, uuid: string): void {
    this.#write(() => {
      const remaining = this.pendingOps(key).filter((p) => p.op !== uuid);
      if (remaining.length === 0) this.cacheDelete("", `ops:${key}`);
      else this.cacheSet("", `ops:${key}`, remaining);
    });
  }
}

/** Runs `fn`, retrying a few times when SQLite still reports the database busy. */
function retryBusy<T>(fn: () => T): T {
  for (let attempt = 0;; attempt++) {
    try {
      return fn();
    } catch (error) {
      if (!isBusy(error) || attempt >= BUSY_RETRIES) throw error;
      sleepSync(25 * 2 ** attempt + Math.random() * 25);
    }
  }
}

/** A stored cache value decoded; undefined when it does not decode. */
function decodedOrUndefined<T>(stored: string): T | undefined {
  try {
    return decodeCacheValue(stored) as T;
  } catch {
    return undefined;
  }
}
