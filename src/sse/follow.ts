// Follows an operation's event log until its completion (API spec §5.8), resuming with
// Last-Event-Id across any number of reconnects so that every event is delivered exactly
// once, in order, and always ends with the operation's final state.
//
// - `completion` from the log ends the follow; the record is fetched too only when the log may
//   not have carried everything (no spid-1 exit event, no output event at all, an id skipped).
// - `sse_error`, a clean close without completion, a mid-stream drop, a truncated gzip body or
//   an invalid frame → probe `GET /operations/{id}`; terminal → drain the retained log from the
//   cursor until its completion (so output written just before the end is not lost); else
//   reconnect.
// - 410/425/429/5xx → probe, then sleep Retry-After or the ladder, reconnect.
// - 400/404/405/406 → the events route is unusable: poll the operation until terminal.
//   401/403 → fail at once.
// - A drain that cannot finish (the log is gone, or keeps failing) ends with the terminal record
//   the probe fetched: the caller takes what the log did not deliver from it.
// - A cycle without progress waits at least 0.5 s. Every request counts towards contact with
//   the server (src/sse/contact.ts): lost contact is a warning, then LostContact. A stream that
//   stays quiet for the contact threshold gets a heartbeat probe. An optional deadline bounds
//   everything.
// Recovered faults are logged at debug level only: the output is what the sandbox printed.

import type { ContreeClient } from "../api/client.ts";
import { ApiError, DeadlineError, NetworkError } from "../api/errors.ts";
import {
  type CompletionEvent,
  type CompletionEventData,
  type ExitEvent,
  isTerminalStatus,
  type Operation,
  type OperationEvent,
} from "../api/models.ts";
import { isRetryableStatus, ladderDelayMs } from "../api/retry.ts";
import {
  Contact,
  type ContactPolicy,
  DEFAULT_CONTACT_POLICY,
  displayUrl,
  LostContact,
} from "./contact.ts";
import { readSseItems, type SseItem } from "./frames.ts";
import { timerDelay } from "../timer.ts";

/** Minimum wait before reconnecting after a cycle that delivered nothing new. */
export const TIGHT_LOOP_FLOOR_MS = 500;
/** During a long wait before reconnecting, the operation is probed this often. */
const PROBE_WHILE_WAITING_MS = 4_000;
/** Drain passes in a row without a new event before the record stands in for the log. */
const DRAIN_IDLE_PASSES = 3;
/** Re-reads of a record that is not terminal yet although the log completed. */
const RECORD_LAG_RETRIES = 5;

const POLLING_STATUSES = new Set([400, 404, 405, 406]);
const AUTH_STATUSES = new Set([401, 403]);

/** 410/425/429/5xx on a GET: not now, ask again (API spec §5.7 for the events route). */
const retryableStatus = (status: number) => isRetryableStatus(status, "GET");

/** What one connection to the events route asks for. */
export interface EventStreamRequest {
  follow: boolean;
  lastEventId?: number;
  signal: AbortSignal;
  /** Bounds the wait for the answer (not the stream). */
  timeoutMs: number;
}

/**
 * The frame source: resolves once the server answered 2xx, with the stream's items in order;
 * rejects with ApiError for another status, NetworkError/TypeError when the connection fails.
 * Iterating throws the same when the stream breaks. This is the one seam between the
 * follower's control flow and the transport (HTTP body reading and SSE parsing).
 */
export type EventStreamOpener = (
  uuid: string,
  request: EventStreamRequest,
) => Promise<AsyncIterable<SseItem>>;

/** The HTTP events route through the client, parsed by src/sse/frames.ts. */
export function httpEventStream(client: ContreeClient): EventStreamOpener {
  return async (uuid, request) => {
    const response = await client.openEvents(uuid, request);
    return (async function* () {
      yield* readSseItems(response.body ?? new Blob([]).stream());
      // The Response stays reachable while its body is read: Deno's fetch holds it weakly, and
      // once it is collected an abort (Ctrl-C) no longer errors a pending read of the body.
      void response.status;
    })();
  };
}

export interface FollowOptions {
  /** Resume after this event id (the caller's cursor). */
  lastEventId?: number;
  /** Give up after this many milliseconds. */
  timeoutMs?: number;
  /** Called for every event of the log, in order, exactly once; awaited before the next is read. */
  onEvent?: (event: OperationEvent) => void | Promise<void>;
  /** Lost-contact thresholds; DEFAULT_CONTACT_POLICY when undefined. */
  contact?: ContactPolicy;
  /** Given the follow's contact watch once it exists (a caller's progress says contact too). */
  onContact?: (contact: Contact) => void;
  /** The frame source; the HTTP events route when undefined. */
  openStream?: EventStreamOpener;
  /**
   * Fetch the terminal record even when the log carried everything: its summary fields
   * (`created_at`, `image_uuid`, `consumed_cpu`, …) are in no event.
   */
  record?: boolean;
}

export interface FollowResult {
  /** The completion: read from the log, or synthesised from the terminal record. */
  completion: CompletionEvent;
  /** Where the completion came from. "log": every event before it went through `onEvent`. */
  completionFrom: "log" | "record";
  /** The exit event of the main process (spid 1), when one was seen. */
  exit?: ExitEvent;
  /**
   * The terminal operation record, when fetched: always when the completion came from it or
   * `record` was asked for, and when the log may not have carried everything (no spid-1 exit
   * event, no output event, an id skipped or announced by an id-only frame).
   */
  operation?: Operation;
  /** False when the events route was unusable (the polling fallback): no event flowed. */
  streamed: boolean;
  /** Id of the last event processed. */
  lastEventId: number;
  /** Number of connections opened to the events route. */
  connections: number;
}

/** Builds the completion the server would have sent, from an operation record. */
export function completionFromOperation(operation: Operation, id: number): CompletionEvent {
  const data: CompletionEventData = {
    status: operation.status as CompletionEventData["status"],
    result_image_uuid: operation.result_image_uuid ?? operation.result?.image ?? null,
    error: operation.error ?? null,
    duration_ms: Math.round((operation.duration ?? 0) * 1000),
  };
  if (typeof operation.image_size === "number") data.image_size_bytes = operation.image_size;
  return { id, ts: new Date().toISOString(), spid: 0, type: "completion", data };
}

/** Why a heartbeat stopped a stream: the operation is already terminal. */
const TERMINAL_SEEN = Symbol("terminal seen");
/** Why a drain was stopped: the stored log stopped coming (a silent connection). */
const DRAIN_STALLED = Symbol("drain stalled");

class Follower {
  cursor: number;
  exit?: ExitEvent;
  connections = 0;
  streamed = true;
  readonly contact: Contact;
  readonly #deadline?: number;
  readonly #open: EventStreamOpener;
  readonly #requestTimeoutMs: number;
  /** Output events delivered (a log without any may have lost them). */
  #outputEvents = 0;
  /** An id was skipped or announced by an id-only frame: events may be missing. */
  #skipped = false;
  /** A terminal record a heartbeat found while a stream was open. */
  #terminalSeen?: Operation;
  /**
   * The last frame was over the 4 MiB cap: a server's fault that every reconnect meets again
   * (junk between good frames is a passing fault, recovered quietly). Said if it stays.
   */
  #unreadable?: string;

  constructor(
    private readonly client: ContreeClient,
    private readonly uuid: string,
    private readonly options: FollowOptions,
  ) {
    this.cursor = options.lastEventId ?? -1;
    if (options.timeoutMs !== undefined) {
      this.#deadline = client.clock.monotonic() + options.timeoutMs;
    }
    const policy = options.contact ?? DEFAULT_CONTACT_POLICY;
    this.contact = new Contact(client.clock, client.log, displayUrl(client), uuid, policy);
    options.onContact?.(this.contact);
    this.#open = options.openStream ?? httpEventStream(client);
    // Long enough for any answer; short enough that a dead connection is replaced.
    this.#requestTimeoutMs = 3 * policy.lostAfterMs;
  }

  remaining(): number | undefined {
    return this.#deadline === undefined
      ? undefined
      : this.#deadline - this.client.clock.monotonic();
  }

  checkDeadline(): void {
    const remaining = this.remaining();
    if (remaining !== undefined && remaining <= 0) {
      throw new DeadlineError(
        `operation ${this.uuid} events did not complete within ${
          (this.options.timeoutMs ?? 0) / 1000
        }s`,
      );
    }
  }

  /** Contact and deadline, checked between requests. */
  checkLimits(): void {
    this.checkDeadline();
    this.contact.check();
  }

  /** The request timeout, bounded by the deadline. */
  requestTimeout(): number {
    const remaining = this.remaining();
    return remaining === undefined
      ? this.#requestTimeoutMs
      : Math.max(1, Math.min(remaining, this.#requestTimeoutMs));
  }

  /** `signal`, aborted at the deadline too (reads of keepalive-only streams included). */
  withDeadline(signal: AbortSignal): AbortSignal {
    const remaining = this.remaining();
    return remaining === undefined
      ? signal
      : AbortSignal.any([signal, AbortSignal.timeout(timerDelay(Math.max(1, remaining)))]);
  }

  /** Sleeps `ms` (capped by the deadline) in slices, so contact warnings come on time. */
  async sleep(ms: number): Promise<void> {
    const remaining = this.remaining();
    let left = remaining === undefined ? ms : Math.min(ms, Math.max(0, remaining));
    do {
      this.contact.check();
      const slice = Math.min(left, Math.max(1, this.contact.nextDueMs()));
      await this.client.clock.sleep(slice, this.client.signal);
      left -= slice;
      this.checkDeadline();
    } while (left > 0);
    this.contact.check();
  }

  /** The interrupt (or lost contact) wins over whatever error it caused. */
  rethrowFatal(error: unknown): void {
    if (this.client.signal?.aborted) throw this.client.signal.reason;
    if (error instanceof LostContact) throw error;
  }

  /**
   * Reads one connection's stream. Returns the completion when it arrived; undefined when the
   * stream ended without one (cleanly, by `sse_error` or an invalid frame).
   */
  async consume(items: AsyncIterable<SseItem>): Promise<CompletionEvent | undefined> {
    for await (const item of items) {
      this.contact.reached();
      this.checkDeadline();
      if (item.kind === "error" || item.kind === "invalid") {
        if (item.kind === "invalid" && item.overCap) this.#unreadable = item.reason;
        const what = item.kind === "error" ? `stream error: ${item.message}` : item.reason;
        this.client.log.debug(`events of ${this.uuid} (last_id=${this.cursor}): ${what}`);
        return undefined;
      }
      this.#unreadable = undefined;
      const id = item.kind === "id" ? item.id : item.event.id;
      // Never deliver an event twice, whatever the server replays.
      if (id <= this.cursor) continue;
      if (item.kind === "id" || id !== this.cursor + 1) this.#skipped = true;
      this.cursor = id;
      if (item.kind === "id") continue;
      const event = item.event;
      if (event.type === "exit" && event.spid === 1) this.exit = event as ExitEvent;
      if (event.type === "stdout" || event.type === "stderr") this.#outputEvents++;
      const onEvent = this.options.onEvent;
      if (onEvent) await this.contact.busy(() => Promise.resolve(onEvent(event)));
      if (event.type === "completion") return event as CompletionEvent;
    }
    return undefined;
  }

  /** While a live stream is quiet: is the server there, and is the operation still running? */
  async heartbeat(stop: (reason: unknown) => void, signal: AbortSignal): Promise<void> {
    const operation = await this.fetchRecord({ strict: false, signal, watched: false });
    if (operation && isTerminalStatus(operation.status)) {
      this.#terminalSeen = operation;
      stop(TERMINAL_SEEN);
    }
  }

  /**
   * While a drain is quiet: the operation is over and its log is stored, so a connection that
   * has brought nothing for the contact threshold is stuck, not waiting. It is dropped, and
   * the drain goes on with a new one (or, after a few idle passes, from the record).
   */
  stalled(stop: (reason: unknown) => void): Promise<void> {
    if (this.contact.silentMs() >= this.contact.policy.lostAfterMs) stop(DRAIN_STALLED);
    return Promise.resolve();
  }

  /** One connection to the events route; a broken connection ends the cycle quietly. */
  async cycle(follow: boolean): Promise<CompletionEvent | undefined> {
    this.connections++;
    this.#terminalSeen = undefined;
    try {
      return await this.contact.watch(async (signal) => {
        const items = await this.#open(this.uuid, {
          follow,
          lastEventId: this.cursor >= 0 ? this.cursor : undefined,
          signal: this.withDeadline(signal),
          timeoutMs: this.requestTimeout(),
        });
        this.contact.reached();
        return await this.consume(items);
      }, follow ? (stop, signal) => this.heartbeat(stop, signal) : (stop) => this.stalled(stop));
    } catch (error) {
      this.rethrowFatal(error);
      this.checkDeadline();
      if (this.#terminalSeen || error === DRAIN_STALLED) return undefined;
      if (error instanceof ApiError) {
        this.contact.failed(error);
        throw error;
      }
      if (
        error instanceof NetworkError || error instanceof TypeError ||
        error instanceof DeadlineError || (error instanceof DOMException)
      ) {
        this.client.log.debug(
          `event stream of ${this.uuid} broke (last_id=${this.cursor}): ${
            (error as Error).message
          }`,
        );
        return undefined;
      }
      throw error;
    }
  }

  /**
   * One GET of the operation record. Undefined when it failed in a way worth retrying; with
   * `strict`, a status that will not get better (404, 400, …) is thrown, else any API error is
   * "not known". 401/403 are always thrown in strict mode.
   */
  async fetchRecord(
    options: { strict: boolean; signal?: AbortSignal; watched?: boolean },
  ): Promise<Operation | undefined> {
    const get = (signal: AbortSignal) =>
      this.client.getOperation(this.uuid, {
        timeoutMs: this.requestTimeout(),
        maxRetries: 0,
        signal: this.withDeadline(
          options.signal ? AbortSignal.any([signal, options.signal]) : signal,
        ),
      });
    try {
      const operation = options.watched === false
        ? await get(options.signal ?? new AbortController().signal)
        : await this.contact.watch(get);
      this.contact.reached();
      return operation;
    } catch (error) {
      this.rethrowFatal(error);
      if (error instanceof ApiError) {
        this.contact.failed(error);
        if (options.strict && !retryableStatus(error.status)) throw error;
      } else if (!(error instanceof NetworkError || error instanceof DeadlineError)) throw error;
      this.checkDeadline();
      return undefined;
    }
  }

  /** GET /operations/{id} after a broken cycle: the record when terminal. */
  async probe(): Promise<Operation | undefined> {
    const operation = await this.fetchRecord({ strict: false });
    return isTerminalStatus(operation?.status) ? operation : undefined;
  }

  /** The log completed; the record is fetched too when the log may not have carried everything. */
  async complete(completion: CompletionEvent, record?: Operation): Promise<FollowResult> {
    let operation = record;
    const incomplete = !this.exit || this.#skipped || this.#outputEvents === 0;
    if (!operation && (this.options.record || incomplete)) {
      operation = await this.finalRecord();
    }
    return this.result(completion, "log", operation);
  }

  /**
   * The record after the log's completion, retried through faults; a record that lags behind
   * the log is re-read a few times. Undefined when the server no longer has it.
   */
  async finalRecord(): Promise<Operation | undefined> {
    for (let retry = 0;; retry++) {
      this.checkLimits();
      let operation: Operation | undefined;
      try {
        operation = await this.fetchRecord({ strict: true });
      } catch (error) {
        if (error instanceof ApiError && !AUTH_STATUSES.has(error.status)) return undefined;
        throw error;
      }
      if (operation && (isTerminalStatus(operation.status) || retry >= RECORD_LAG_RETRIES)) {
        return operation;
      }
      await this.sleep(ladderDelayMs(retry));
    }
  }

  /**
   * The operation is terminal: drain the retained log without `follow`, reconnecting while
   * each pass makes progress (the drain can break like any stream). When passes bring nothing
   * new a few times in a row, or the log is gone, the record stands in for the rest.
   */
  async finish(operation: Operation): Promise<FollowResult> {
    for (let idle = 0; idle < DRAIN_IDLE_PASSES;) {
      this.checkLimits();
      const before = this.cursor;
      let retryAfterMs: number | undefined;
      try {
        const completion = await this.cycle(false);
        if (completion) return await this.complete(completion, operation);
      } catch (error) {
        if (!(error instanceof ApiError) || AUTH_STATUSES.has(error.status)) throw error;
        if (!retryableStatus(error.status)) break; // the log is not (or no longer) retained
        if (error.retryAfter !== undefined) retryAfterMs = error.retryAfter * 1000;
      }
      if (this.cursor > before) idle = 0;
      else await this.sleep(retryAfterMs ?? ladderDelayMs(idle++));
    }
    return this.fromRecord(operation);
  }

  /** The completion synthesised from a terminal record (not an event of the log). */
  fromRecord(operation: Operation): FollowResult {
    if (this.#unreadable) {
      // A log that cannot be read past a frame is a fault of the server's, not a lost contact.
      this.client.log.warning(
        `The event log of ${this.uuid} cannot be read past event ${this.cursor} ` +
          `(${this.#unreadable}): the rest comes from the operation's record`,
      );
    }
    const completion = completionFromOperation(operation, this.cursor + 1);
    this.cursor = completion.id;
    return this.result(completion, "record", operation);
  }

  /** Polls the record until terminal: the events route is unusable (or not wanted). */
  async poll(delayMs: (retry: number) => number = ladderDelayMs): Promise<FollowResult> {
    this.streamed = false;
    for (let retry = 0;; retry++) {
      this.checkLimits();
      const operation = await this.fetchRecord({ strict: true });
      if (operation && isTerminalStatus(operation.status)) return this.fromRecord(operation);
      await this.sleep(delayMs(retry));
    }
  }

  result(
    completion: CompletionEvent,
    completionFrom: FollowResult["completionFrom"],
    operation?: Operation,
  ): FollowResult {
    return {
      completion,
      completionFrom,
      exit: this.exit,
      operation,
      streamed: this.streamed,
      lastEventId: this.cursor,
      connections: this.connections,
    };
  }

  async run(): Promise<FollowResult> {
    for (let retry = 0;;) {
      this.checkLimits();
      const before = this.cursor;
      let retryAfterMs: number | undefined;
      try {
        const completion = await this.cycle(true);
        if (completion) return await this.complete(completion);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (POLLING_STATUSES.has(error.status)) return await this.poll();
        if (AUTH_STATUSES.has(error.status) || !retryableStatus(error.status)) throw error;
        if (error.retryAfter !== undefined) retryAfterMs = error.retryAfter * 1000;
      }
      const operation = this.#terminalSeen ?? await this.probe();
      if (operation) return await this.finish(operation);
      if (this.cursor > before) {
        retry = 0; // progress: reconnect at once
        continue;
      }
      const delay = Math.max(TIGHT_LOOP_FLOOR_MS, retryAfterMs ?? ladderDelayMs(retry));
      retry++;
      const ended = await this.sleepProbing(delay);
      if (ended) return await this.finish(ended);
    }
  }

  /**
   * Sleeps `ms` before the next connection, probing the operation every few seconds of a long
   * wait (a `Retry-After: 40` on the events route): a run that ends meanwhile is finished at
   * once, and a server that answers the probes is never reported as lost.
   */
  async sleepProbing(ms: number): Promise<Operation | undefined> {
    for (let left = ms; left > 0; left -= PROBE_WHILE_WAITING_MS) {
      await this.sleep(Math.min(left, PROBE_WHILE_WAITING_MS));
      if (left > PROBE_WHILE_WAITING_MS) {
        const operation = await this.probe();
        if (operation) return operation;
      }
    }
    return undefined;
  }
}

/** The server as the user configured it, for messages. */

/** Follows the events of operation `uuid` until its completion. */
export function followOperation(
  client: ContreeClient,
  uuid: string,
  options: FollowOptions = {},
): Promise<FollowResult> {
  return new Follower(client, uuid, options).run();
}

/**
 * Polls `GET /operations/{uuid}` until terminal (first request at once), through transient
 * faults, with the same contact rules as `followOperation`; returns the terminal record.
 */
export async function pollOperation(
  client: ContreeClient,
  uuid: string,
  options: { delayMs?: (retry: number) => number; contact?: ContactPolicy; timeoutMs?: number } =
    {},
): Promise<Operation> {
  const follower = new Follower(client, uuid, options);
  const result = await follower.poll(options.delayMs);
  return result.operation!;
}
