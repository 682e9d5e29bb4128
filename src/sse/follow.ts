// Follows an operation's event log until its completion (API spec §5.8), resuming with
// Last-Event-Id across any number of reconnects so that every event is delivered exactly
// once, in order.
//
// - `completion` ends the follow at once; no GET is needed.
// - `sse_error`, a clean close without completion, a mid-stream drop, a truncated gzip body or
//   an invalid frame → probe `GET /operations/{id}`; terminal → drain the retained log from the
//   cursor until its completion (so output written just before the end is not lost); else
//   reconnect.
// - 410/425/429/5xx → probe, then sleep Retry-After or the ladder, reconnect.
// - 400/404/405/406 → the events route is unusable: poll the operation until terminal and
//   synthesise the completion. 401/403 → fail at once.
// - A cycle without progress waits at least 0.5 s. An optional deadline bounds everything.

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
import { ladderDelayMs } from "../api/retry.ts";
import { readSseItems } from "./frames.ts";

/** Minimum wait before reconnecting after a cycle that delivered nothing new. */
export const TIGHT_LOOP_FLOOR_MS = 500;
/** Drain passes in a row without a new event before the completion is synthesised. */
const DRAIN_IDLE_PASSES = 3;

const POLLING_STATUSES = new Set([400, 404, 405, 406]);
const AUTH_STATUSES = new Set([401, 403]);

export interface FollowOptions {
  /** Resume after this event id (the caller's cursor). */
  lastEventId?: number;
  /** Give up after this many milliseconds. */
  timeoutMs?: number;
  /** Called for every event, in order, exactly once; awaited before the next is read. */
  onEvent?: (event: OperationEvent) => void | Promise<void>;
}

export interface FollowResult {
  /** The completion: received, drained after a terminal probe, or synthesised. */
  completion: CompletionEvent;
  /** The exit event of the main process (spid 1), when one was seen. */
  exit?: ExitEvent;
  /** The operation record, when the follower fetched it (terminal probe or polling). */
  operation?: Operation;
  /**
   * False when events never flowed (the polling fallback): the output was not delivered through
   * `onEvent` and must be taken from `operation`.
   */
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

class Follower {
  cursor: number;
  exit?: ExitEvent;
  connections = 0;
  readonly #deadline?: number;

  constructor(
    private readonly client: ContreeClient,
    private readonly uuid: string,
    private readonly options: FollowOptions,
  ) {
    this.cursor = options.lastEventId ?? -1;
    if (options.timeoutMs !== undefined) {
      this.#deadline = client.clock.monotonic() + options.timeoutMs;
    }
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

  /** A signal that aborts at the deadline (reads of keepalive-only streams included). */
  deadlineSignal(): AbortSignal | undefined {
    const remaining = this.remaining();
    return remaining === undefined ? undefined : AbortSignal.timeout(Math.max(1, remaining));
  }

  async sleep(ms: number): Promise<void> {
    const remaining = this.remaining();
    const capped = remaining === undefined ? ms : Math.min(ms, Math.max(0, remaining));
    await this.client.clock.sleep(capped, this.client.signal);
    this.checkDeadline();
  }

  /**
   * Reads one connection's stream. Returns the completion when it arrived; undefined when the
   * stream ended without one (cleanly, by `sse_error` or an invalid frame).
   */
  async consume(response: Response): Promise<CompletionEvent | undefined> {
    if (!response.body) return undefined;
    for await (const item of readSseItems(response.body)) {
      this.checkDeadline();
      if (item.kind === "error") {
        this.client.log.warning(
          `server-side stream error (last_id=${this.cursor}): ${item.message}`,
        );
        return undefined;
      }
      if (item.kind === "invalid") {
        this.client.log.warning(`invalid event stream (last_id=${this.cursor}): ${item.reason}`);
        return undefined;
      }
      const id = item.kind === "id" ? item.id : item.event.id;
      // Never deliver an event twice, whatever the server replays.
      if (id <= this.cursor) continue;
      this.cursor = id;
      if (item.kind === "id") continue;
      const event = item.event;
      if (event.type === "exit" && event.spid === 1) this.exit = event as ExitEvent;
      await this.options.onEvent?.(event);
      if (event.type === "completion") return event as CompletionEvent;
    }
    return undefined;
  }

  /** One connection to the events route; network failures end the cycle quietly. */
  async cycle(follow: boolean): Promise<CompletionEvent | undefined> {
    const signal = this.deadlineSignal();
    this.connections++;
    try {
      const response = await this.client.openEvents(this.uuid, {
        follow,
        lastEventId: this.cursor >= 0 ? this.cursor : undefined,
        signal,
      });
      return await this.consume(response);
    } catch (error) {
      if (signal?.aborted) this.checkDeadline();
      if (error instanceof NetworkError || error instanceof TypeError) {
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

  /** GET /operations/{id}, bounded by the deadline; any failure means "not known to be terminal". */
  async probe(): Promise<Operation | undefined> {
    try {
      const remaining = this.remaining();
      const operation = await this.client.getOperation(this.uuid, {
        timeoutMs: remaining === undefined ? undefined : Math.max(1, remaining),
        maxRetries: 0,
      });
      return isTerminalStatus(operation?.status) ? operation : undefined;
    } catch (error) {
      if (
        error instanceof ApiError || error instanceof NetworkError || error instanceof DeadlineError
      ) {
        this.checkDeadline();
        return undefined;
      }
      throw error;
    }
  }

  /**
   * The operation is terminal: drain the retained log without `follow`, reconnecting while
   * each pass makes progress (the drain can break like any stream). When a pass brings
   * nothing new a few times in a row, or the log is gone, the completion is synthesised.
   */
  async finish(operation: Operation): Promise<FollowResult> {
    let completion: CompletionEvent | undefined;
    for (let idle = 0; !completion && idle < DRAIN_IDLE_PASSES;) {
      const before = this.cursor;
      try {
        completion = await this.cycle(false);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        break; // the log is not (or no longer) retained
      }
      if (completion) break;
      if (this.cursor > before) idle = 0;
      else await this.sleep(ladderDelayMs(idle++));
    }
    if (!completion) {
      completion = completionFromOperation(operation, this.cursor + 1);
      this.cursor = completion.id;
      await this.options.onEvent?.(completion);
    }
    return this.result(completion, true, operation);
  }

  /** The events route is unusable: poll until terminal, then synthesise the completion. */
  async poll(): Promise<FollowResult> {
    for (let retry = 0;; retry++) {
      this.checkDeadline();
      const operation = await this.probe();
      if (operation) {
        const completion = completionFromOperation(operation, this.cursor + 1);
        this.cursor = completion.id;
        return this.result(completion, false, operation);
      }
      await this.sleep(ladderDelayMs(retry));
    }
  }

  result(completion: CompletionEvent, streamed: boolean, operation?: Operation): FollowResult {
    return {
      completion,
      exit: this.exit,
      operation,
      streamed,
      lastEventId: this.cursor,
      connections: this.connections,
    };
  }

  async run(): Promise<FollowResult> {
    for (let retry = 0;;) {
      this.checkDeadline();
      const before = this.cursor;
      let retryAfterMs: number | undefined;
      try {
        const completion = await this.cycle(true);
        if (completion) return this.result(completion, true);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (POLLING_STATUSES.has(error.status)) return await this.poll();
        if (AUTH_STATUSES.has(error.status)) throw error;
        const retryable = error.status === 410 || error.status === 425 || error.status === 429 ||
          error.status >= 500;
        if (!retryable) throw error;
        if (error.retryAfter !== undefined) retryAfterMs = error.retryAfter * 1000;
      }
      const operation = await this.probe();
      if (operation) return await this.finish(operation);
      if (this.cursor > before) {
        retry = 0; // progress: reconnect at once
        continue;
      }
      const delay = Math.max(TIGHT_LOOP_FLOOR_MS, retryAfterMs ?? ladderDelayMs(retry));
      retry++;
      await this.sleep(delay);
    }
  }
}

/** Follows the events of operation `uuid` until its completion. */
export function followOperation(
  client: ContreeClient,
  uuid: string,
  options: FollowOptions = {},
): Promise<FollowResult> {
  return new Follower(client, uuid, options).run();
}
