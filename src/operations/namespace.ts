// The operation namespace (seed 000, CLI spec §8.2): `op list|show|wait|cancel` and the
// top-level `ps`, `show`, `kill`.

import type { ContreeClient, RequestOptions } from "../api/client.ts";
import { ApiError, DeadlineError, NetworkError } from "../api/errors.ts";
import { ACTIVE_STATUSES, isTerminalStatus, type Operation } from "../api/models.ts";
import { MAX_PAGE_SIZE, paginate } from "../api/paginate.ts";
import { isRetryableStatus } from "../api/retry.ts";
import { decodeStreamRepr } from "../api/stream_repr.ts";
import type { Context } from "../context.ts";
import { ContreeError, Exit, rethrowNotAuthenticated } from "../errors.ts";
import { mapLimit } from "../parallel.ts";
import { Contact, DEFAULT_CONTACT_POLICY, displayUrl } from "../sse/contact.ts";
import { readSseItems } from "../sse/frames.ts";
import { CompletionWatch } from "./completion_watch.ts";
import { composeExitStatus, operationExitCode } from "./outcome.ts";

export { composeExitStatus, operationExitCode };
import {
  type ColumnOrder,
  type FormatName,
  type Formatter,
  Nested,
  type Row,
  rowPrinter,
} from "../output/formatter.ts";
import { parseIsoDateTime } from "../output/normalise.ts";
import { pyJsonDump } from "../output/pyjson.ts";

/** Terminal operations cached in the session store (`(uuid, "operation")`). */
export interface OperationCache {
  /** A cached operation; only terminal ones are ever returned. */
  get(uuid: string): Promise<Operation | undefined>;
  set(operation: Operation): Promise<void>;
}

export interface NamespaceDeps {
  ctx: Context;
  client: ContreeClient;
  format: FormatName;
  output(order?: ColumnOrder): Formatter;
  /** The terminal-operation cache (opens the session store on first use). */
  cache(): Promise<OperationCache>;
  /** Resolves UUIDs and history references; one error lists every bad token. */
  resolveRefs(tokens: readonly string[]): Promise<string[]>;
  concurrency: number;
}

export const STATUS_LETTERS: Record<string, string> = {
  P: "PENDING",
  A: "ASSIGNED",
  E: "EXECUTING",
  S: "SUCCESS",
  F: "FAILED",
  C: "CANCELLED",
};

/** Scalar fields in server order, `error` last (nested values are the formatter's to drop). */
export function operationRow(operation: Operation): Row {
  const row: Row = {};
  for (const [key, value] of Object.entries(operation)) {
    if (key !== "error") row[key] = value;
  }
  row.error = operation.error ?? null;
  return row;
}

// ---- list ----

export interface ListOptions {
  quiet: boolean;
  all: boolean;
  status?: string;
  kind?: string;
  since?: string;
  until?: string;
  showMax: number;
}

export async function listOperations(deps: NamespaceDeps, options: ListOptions): Promise<number> {
  const status = options.status
    ? STATUS_LETTERS[options.status] ?? options.status
    : options.all
    ? undefined
    : "EXECUTING";
  const query = { status, kind: options.kind, since: options.since, until: options.until };
  const out = options.quiet ? undefined : deps.output({ tail: ["error"] });
  let shown = 0;
  let more = false;
  for await (
    const page of paginate(
      (offset, limit) => deps.client.listOperations({ ...query, offset, limit }),
      { limit: options.showMax, concurrency: deps.concurrency },
    )
  ) {
    for (const op of page) {
      if (shown === options.showMax) {
        more = true;
        break;
      }
      shown++;
      if (out) await out.write(operationRow(op));
      else await deps.ctx.stdout.write(`${op.uuid}\n`);
      // The reference's progress line after each full page.
      if (shown % MAX_PAGE_SIZE === 0) {
        deps.ctx.log.info(`Fetched ${shown} operations, loading more...`);
      }
    }
    await out?.flush();
    if (more) break;
  }
  if (more) {
    deps.ctx.log.warning(
      `Output truncated at --show-max=${options.showMax} operations; more results are available. ` +
        "Raise --show-max or filter with --status/--kind/--since/--until.",
    );
  }
  return 0;
}

// ---- show ----

/** A terminal cached operation, or the server's (cached when terminal). */
export async function fetchOperation(
  deps: Pick<NamespaceDeps, "cache" | "client">,
  uuid: string,
  options: RequestOptions = {},
): Promise<Operation> {
  const cache = await deps.cache();
  const cached = await cache.get(uuid);
  if (cached && isTerminalStatus(cached.status)) return cached;
  const operation = await deps.client.getOperation(uuid, options);
  if (isTerminalStatus(operation.status)) await cache.set(operation);
  return operation;
}

function outputText(repr: unknown): string {
  return new TextDecoder().decode(decodeStreamRepr(repr));
}

function withNewline(text: string): string {
  return text === "" || text.endsWith("\n") ? text : `${text}\n`;
}

/**
 * `show` / `op show`. JSON formats carry stdout/stderr as fields of the row (the reference
 * appended raw text after the JSON, breaking it); the default format prints them after the row.
 */
export async function showOperations(
  deps: NamespaceDeps,
  refs: readonly string[],
  raw: boolean,
): Promise<number> {
  const uuids = await deps.resolveRefs(refs);
  const json = deps.format === "json" || deps.format === "json-pretty";
  const out = raw ? undefined : deps.output({ tail: ["error"] });
  let failed = false;
  for (const uuid of uuids) {
    let operation: Operation;
    try {
      operation = await fetchOperation(deps, uuid);
    } catch (error) {
      rethrowNotAuthenticated(error);
      if (!(error instanceof ContreeError)) throw error;
      deps.ctx.log.error(`Failed to fetch ${uuid}: ${error.message}`);
      failed = true;
      continue;
    }
    if (!out) {
      // The reference's json.dump of the record: its separators, non-ASCII escaped.
      await deps.ctx.stdout.write(`${pyJsonDump(operation)}\n`);
      continue;
    }
    const result = operation.metadata?.result;
    const row: Row = { ...operationRow(operation) };
    delete row.error;
    row.exit_code = operationExitCode(operation);
    row.image = operation.result?.image ?? operation.result_image_uuid ?? "";
    row.tag = operation.result?.tag ?? "";
    if (json) {
      row.stdout = outputText(result?.stdout);
      row.stderr = outputText(result?.stderr);
    }
    row.error = operation.error ?? null;
    await out.write(row);
    await out.flush();
    if (deps.format === "default") {
      const stdout = outputText(result?.stdout);
      const stderr = outputText(result?.stderr);
      if (stdout) await deps.ctx.stdout.write(withNewline(stdout));
      if (stderr) await deps.ctx.stderr.write(withNewline(stderr));
    }
  }
  if (failed) throw new Exit(1);
  return 0;
}

// ---- cancel ----

/** Every active operation (PENDING, ASSIGNED, EXECUTING), paging 100 at a time. */
export async function activeOperations(
  deps: NamespaceDeps,
  options: () => RequestOptions = () => ({}),
): Promise<Operation[]> {
  const found = new Map<string, Operation>();
  for (const status of ACTIVE_STATUSES) {
    for await (
      const page of paginate(
        // Asked per request: a deadline shared by the listing's requests shrinks as they go.
        (offset, limit) => deps.client.listOperations({ status, offset, limit }, options()),
        { pageSize: 100, concurrency: 1 },
      )
    ) {
      for (const op of page) if (!found.has(op.uuid)) found.set(op.uuid, op);
    }
  }
  return [...found.values()];
}

/**
 * Resolves the selection of `cancel`/`wait`: `--all` wins over explicit references, which are
 * resolved first all the same (as the reference does): a bad one refuses the command, so a typo
 * beside `--all` cancels nothing.
 */
async function selectOperations(
  deps: NamespaceDeps,
  refs: readonly string[],
  all: boolean,
  verb: "cancelling" | "waiting for",
): Promise<string[] | undefined> {
  const explicit = refs.length > 0 ? await deps.resolveRefs(refs) : undefined;
  if (all) {
    if (explicit) deps.ctx.log.warning(`--all overrides explicit UUIDs; ${verb} all active`);
    return (await activeOperations(deps)).map((op) => op.uuid);
  }
  return explicit;
}

export async function cancelOperations(
  deps: NamespaceDeps,
  refs: readonly string[],
  all: boolean,
): Promise<number> {
  const uuids = await selectOperations(deps, refs, all, "cancelling");
  if (!uuids) throw new ContreeError("Provide at least one UUID, or use --all");
  if (uuids.length === 0) {
    deps.ctx.log.info("No active operations to cancel");
    return 0;
  }
  let failed = false;
  for (const uuid of uuids) {
    try {
      await deps.client.cancelOperation(uuid);
      deps.ctx.log.info(`Cancelled operation ${uuid}`);
    } catch (error) {
      rethrowNotAuthenticated(error);
      if (!(error instanceof ContreeError)) throw error;
      deps.ctx.log.error(`Failed to cancel ${uuid}: ${error.message}`);
      failed = true;
    }
  }
  if (failed) throw new Exit(1);
  return 0;
}

// ---- wait ----

export const WAIT_HEAD = ["uuid", "status", "exit_code", "timed_out", "duration"] as const;

/**
 * Poll pacing: a tenth of the time waited so far, between 0.5 and 2 s (bounded by the
 * deadline). The wait then ends within ~10% of the time its last operation took (a fixed 2 s
 * would add 20% to a 10 s wait; docs/BENCHMARKS.md), and a long wait polls every 2 s.
 */
const WAIT_MIN_DELAY_MS = 500;
const WAIT_MAX_DELAY_MS = 2000;
const WAIT_DELAY_FRACTION = 0.1;
/**
 * What requests may take past the `op wait` deadline, all of them together (the last check of
 * what is left); a request is not started with less than MIN_REQUEST_MS left.
 */
const LATE_CHECK_MS = 1000;
const MIN_REQUEST_MS = 50;
/** With more pending operations than this, one listing of active ops replaces per-op GETs. */
const PER_OPERATION_LIMIT = 8;

export interface WaitOptions {
  timeoutSeconds: number;
}

/**
 * A finished operation's row has its process's exit code; a timed-out one has none (as the
 * reference).
 */
function waitRow(operation: Operation, timedOut: boolean): Row {
  const row = operationRow(operation);
  if (!timedOut) row.exit_code = operationExitCode(operation);
  row.timed_out = timedOut;
  return row;
}

/**
 * Waits for every operation at once. Few pending operations are polled one GET each per round;
 * many are checked with one listing of active operations per round, and only those no longer
 * active are fetched. Between rounds the completion streams of pending operations push each
 * completion (src/operations/completion_watch.ts), which is fetched at once. A row is printed
 * as each one finishes; terminal results are cached.
 */
export async function waitOperations(
  deps: NamespaceDeps,
  refs: readonly string[],
  all: boolean,
  options: WaitOptions,
): Promise<number> {
  const uuids = await selectOperations(deps, refs, all, "waiting for");
  if (!uuids) throw new ContreeError("Provide at least one UUID, or use --all");
  if (uuids.length === 0) {
    deps.ctx.log.info("No active operations to wait for");
    return 0;
  }
  const { clock } = deps.ctx;
  const started = clock.monotonic();
  const deadline = started + options.timeoutSeconds * 1000;
  const out = deps.output({ head: WAIT_HEAD, tail: ["error"] });
  const finished: Operation[] = [];
  const pending = new Set(uuids);
  const lastSeen = new Map<string, Operation>();
  /** Why the latest poll of an operation failed (none once one succeeds). */
  const lastFailure = new Map<string, string>();
  // Failed polls are polled again silently; what the user hears about is lost contact (as while
  // `run` follows), and the wait's own --timeout ends it, not CONTREE_FOLLOW_TIMEOUT.
  const contact = new Contact(
    clock,
    deps.ctx.log,
    displayUrl(deps.client),
    uuids.join(" "),
    { ...DEFAULT_CONTACT_POLICY, giveUpAfterMs: 0 },
    "the operations keep running on the server",
  );

  // A server that takes the connection but never answers must not outlast the --timeout: every
  // request ends by the deadline plus one second, shared by all of them (a second each, 8 at a
  // time, kept 500 operations waiting for a minute).
  const hardEnd = deadline + LATE_CHECK_MS;
  const timeLeft = () => hardEnd - clock.monotonic();
  const requestOptions = (): RequestOptions => ({
    maxRetries: 0,
    timeoutMs: Math.max(1, timeLeft()),
  });
  /** Why the latest listing of active operations failed, for operations it left unchecked. */
  let listingFailure: string | undefined;
  // Rows of operations checked at once are printed one by one.
  const print = rowPrinter(out);
  const check = async (uuid: string) => {
    if (timeLeft() < MIN_REQUEST_MS) {
      if (!lastSeen.has(uuid) && !lastFailure.has(uuid)) {
        lastFailure.set(uuid, listingFailure ?? "the --timeout ran out before it was checked");
      }
      return;
    }
    let operation: Operation;
    try {
      // One attempt per round: the loop is the retry (a 5xx is polled again, silently).
      operation = await fetchOperation(deps, uuid, requestOptions());
      contact.reached();
      lastFailure.delete(uuid);
    } catch (error) {
      // Only the server's transient faults are polled again: a refused token, or a failure of
      // this side (not the network), would fail the same way until the --timeout.
      rethrowNotAuthenticated(error);
      const transient = error instanceof ApiError || error instanceof NetworkError ||
        error instanceof DeadlineError; // a request that timed out
      if (!transient) throw error;
      contact.failed(error);
      lastFailure.set(uuid, error.message);
      if (error instanceof ApiError && !isRetryableStatus(error.status, "GET")) {
        pending.delete(uuid);
        deps.ctx.log.error(`Failed to fetch ${uuid}: ${error.message}`);
        finished.push({ uuid, status: "FAILED", error: error.message });
        return;
      }
      deps.ctx.log.debug(`Polling ${uuid} failed: ${error.message}`);
      return;
    }
    lastSeen.set(uuid, operation);
    if (!isTerminalStatus(operation.status) || !pending.has(uuid)) return;
    pending.delete(uuid);
    finished.push(operation);
    await print(waitRow(operation, false));
  };

  // Completions pushed by the watch are checked at once, between the polling rounds. It starts
  // after the first round: operations that had already finished need no stream.
  const pushed = new Set<string>();
  let wake = new AbortController();
  let watch: CompletionWatch | undefined;
  try {
    let nextRound = clock.monotonic();
    while (pending.size > 0) {
      if (pushed.size > 0 && clock.monotonic() < nextRound) {
        const ready = [...pushed].filter((uuid) => pending.has(uuid));
        pushed.clear();
        await mapLimit(ready, deps.concurrency, check);
      } else {
        pushed.clear();
        // Under the watchdog: the lost-contact warning comes on time while a request hangs.
        await contact.watch(async () => {
          let candidates = [...pending];
          if (candidates.length > PER_OPERATION_LIMIT && timeLeft() >= MIN_REQUEST_MS) {
            try {
              const active = new Set<string>();
              for (const op of await activeOperations(deps, requestOptions)) {
                active.add(op.uuid);
                // What the listing says is what was seen of it (a row if the wait ends now).
                if (pending.has(op.uuid)) lastSeen.set(op.uuid, op);
              }
              contact.reached();
              listingFailure = undefined;
              candidates = candidates.filter((uuid) => !active.has(uuid));
            } catch (error) {
              contact.failed(error);
              if (!(error instanceof ContreeError)) throw error;
              listingFailure = error.message;
              deps.ctx.log.debug(`Listing active operations failed: ${error.message}`);
            }
          }
          await mapLimit(candidates, deps.concurrency, check);
        });
        contact.check();
        const paced = Math.round((clock.monotonic() - started) * WAIT_DELAY_FRACTION);
        nextRound = clock.monotonic() +
          Math.min(WAIT_MAX_DELAY_MS, Math.max(WAIT_MIN_DELAY_MS, paced));
      }
      if (pending.size === 0) break;
      const remaining = deadline - clock.monotonic();
      if (remaining <= 0) break;
      watch ??= new CompletionWatch(
        deps.client,
        [...pending],
        (uuid) => pending.has(uuid),
        (uuid) => {
          pushed.add(uuid);
          wake.abort();
        },
      );
      if (pushed.size > 0) continue;
      // Sleep until the next round, or until a completion is pushed.
      wake = new AbortController();
      const signals = [wake.signal, deps.client.signal].filter((s): s is AbortSignal => !!s);
      try {
        await clock.sleep(
          Math.min(nextRound - clock.monotonic(), remaining),
          AbortSignal.any(signals),
        );
      } catch (error) {
        if (!wake.signal.aborted) throw error;
      }
    }
  } finally {
    watch?.stop();
  }

  if (pending.size > 0) {
    const late = [...pending];
    await mapLimit(late, deps.concurrency, check);
    const unfinished = late.filter((uuid) => pending.has(uuid));
    for (const uuid of unfinished) {
      await out.write(waitRow(lastSeen.get(uuid) ?? { uuid, status: "UNKNOWN" }, true));
    }
    await out.flush();
    // A row for an operation that could not be checked says only what was seen before: say why.
    const unchecked = unfinished.filter((uuid) => lastFailure.has(uuid));
    if (unchecked.length > 0) {
      deps.ctx.log.error(
        `Could not check ${unchecked.length} operation(s): ${lastFailure.get(unchecked[0])}`,
      );
    }
    if (unfinished.length > 0) {
      deps.ctx.log.warning(
        `Timeout: ${unfinished.length} operation(s) did not finish in ${options.timeoutSeconds}s`,
      );
      throw new Exit(Math.max(1, composeExitStatus(finished)));
    }
  }
  const status = composeExitStatus(finished);
  if (status !== 0) throw new Exit(status);
  return 0;
}

// ---- events ----

export const EVENT_HEAD = ["uuid", "id", "ts", "type", "spid"] as const;
/**
 * What a buffering format (table) holds before it prints: a long log stays bounded. Output
 * events carry up to 256 KiB each, so their text counts too.
 */
const EVENT_ROWS_PER_FLUSH = 1000;
const EVENT_TEXT_PER_FLUSH = 4 * 1024 * 1024;

/** The size of an event's text, roughly: what an output event's `value` holds. */
function eventText(data: Record<string, unknown>): number {
  return typeof data.value === "string" ? data.value.length : 0;
}

/**
 * `op events`: every event each operation's log holds (read once, not followed: a running
 * operation shows what it has so far), one row per event, `data` kept whole.
 */
export async function printOperationEvents(
  deps: NamespaceDeps,
  refs: readonly string[],
): Promise<number> {
  const uuids = await deps.resolveRefs(refs);
  const out = deps.output({ head: EVENT_HEAD, tail: ["data"] });
  let failed = false;
  let rows = 0;
  let text = 0;
  for (const uuid of uuids) {
    try {
      const response = await deps.client.openEvents(uuid, { follow: false, maxRetries: 3 });
      for await (const item of readSseItems(response.body ?? new Blob([]).stream())) {
        if (item.kind === "error") throw new ContreeError(`the server said: ${item.message}`);
        if (item.kind === "invalid") throw new ContreeError(item.reason);
        if (item.kind !== "event") continue;
        const { id, ts, spid, type, data, ...rest } = item.event;
        await out.write({
          uuid,
          id,
          ts: parseIsoDateTime(ts) ?? ts,
          type,
          spid: spid ?? null,
          ...rest,
          data: new Nested(data),
        });
        text += eventText(data);
        if (++rows >= EVENT_ROWS_PER_FLUSH || text >= EVENT_TEXT_PER_FLUSH) {
          await out.flush();
          rows = text = 0;
        }
      }
    } catch (error) {
      rethrowNotAuthenticated(error);
      let message: string;
      if (error instanceof ContreeError) message = error.message;
      // A body cut off mid-stream fails its read with a TypeError (the fetch contract).
      else if (error instanceof TypeError) message = `the stream broke off (${error.message})`;
      else throw error;
      deps.ctx.log.error(`Failed to fetch events for ${uuid}: ${message}`);
      failed = true;
    }
    await out.flush();
  }
  if (failed) throw new Exit(1);
  return 0;
}
