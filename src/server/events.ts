// The per-operation event log (API spec §5): append-only, ids from 0, persisted in the store,
// served as Server-Sent Events. Every reader — a live follower or a replay — reads the same
// stored JSON text, so all clients receive identical frames; a follower that falls behind just
// reads further back in the store (no per-client buffers).

import type { OperationEvent } from "../api/models.ts";
import type { EventRow, Store } from "./store.ts";

export interface EventStreamOptions {
  /** Only events with a greater id (Last-Event-Id / since); -1 = from the beginning. */
  after: number;
  /** Only events of this process (the completion frame is always sent). */
  spid?: number;
  /** Keep the stream open and push new events until completion. */
  follow: boolean;
  /** Idle time after which a `: keepalive` comment is sent (follow mode). */
  keepaliveMs: number;
}

const encoder = new TextEncoder();
const BATCH = 256;
export const KEEPALIVE_FRAME = ": keepalive\n\n";
export const SSE_ERROR_FRAME = ": stream ended with error, retry since last event id\n\n" +
  "event: sse_error\ndata: event log unavailable\n\n";

/** One SSE frame: `id:` and `event:` repeat the JSON's own id and type. */
export function sseFrame(event: Pick<EventRow, "id" | "type" | "json">): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${event.json}\n\n`;
}

type Wake = () => void;

export class EventLog {
  readonly #nextId = new Map<string, number>();
  readonly #waiters = new Map<string, Set<Wake>>();
  #closed = false;

  constructor(private readonly store: Store, private readonly now: () => number = Date.now) {}

  /** Appends an event and wakes the followers of the operation. */
  append(
    opUuid: string,
    spid: number,
    type: string,
    data: Record<string, unknown>,
  ): OperationEvent {
    const id = this.#nextId.get(opUuid) ?? this.store.lastEventId(opUuid) + 1;
    const event: OperationEvent = { id, ts: new Date(this.now()).toISOString(), spid, type, data };
    this.store.insertEvent(opUuid, { id, spid, type, json: JSON.stringify(event) });
    if (type === "completion") this.#nextId.delete(opUuid);
    else this.#nextId.set(opUuid, id + 1);
    const waiters = this.#waiters.get(opUuid);
    if (waiters) {
      this.#waiters.delete(opUuid);
      for (const wake of waiters) wake();
    }
    return event;
  }

  /** Whether the operation's log has started (its first event was appended). */
  exists(opUuid: string): boolean {
    return this.#nextId.has(opUuid) || this.store.lastEventId(opUuid) >= 0;
  }

  /** Ends every open stream (server shutdown); followers see EOF without completion. */
  close(): void {
    this.#closed = true;
    for (const waiters of this.#waiters.values()) for (const wake of waiters) wake();
    this.#waiters.clear();
  }

  /** The SSE byte stream of one operation's log. Each chunk ends on a frame boundary. */
  stream(opUuid: string, options: EventStreamOptions): ReadableStream<Uint8Array> {
    let cursor = options.after;
    let wakeReader: Wake | undefined;
    let cancelled = false;
    const wanted = (row: EventRow) =>
      options.spid === undefined || row.spid === options.spid || row.type === "completion";

    /** Resolves on a new event, on close/cancel, or after `ms` (then with "idle"). */
    const waitForEvent = (ms: number): Promise<"event" | "idle"> =>
      new Promise((resolve) => {
        let waiters = this.#waiters.get(opUuid);
        if (!waiters) this.#waiters.set(opUuid, waiters = new Set());
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          wakeReader = undefined;
          resolve("event");
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          wakeReader = undefined;
          resolve("idle");
        }, ms);
        waiters.add(wake);
        wakeReader = wake;
      });

    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        for (;;) {
          if (cancelled) return;
          let rows: EventRow[];
          try {
            rows = this.store.events(opUuid, cursor, BATCH);
          } catch {
            controller.enqueue(encoder.encode(SSE_ERROR_FRAME));
            controller.close();
            return;
          }
          if (rows.length > 0) {
            cursor = rows[rows.length - 1].id;
            const frames = rows.filter(wanted).map(sseFrame).join("");
            if (frames) controller.enqueue(encoder.encode(frames));
            if (rows[rows.length - 1].type === "completion") {
              controller.close();
              return;
            }
            if (frames) return;
            continue;
          }
          if (!options.follow || this.#closed) {
            controller.close();
            return;
          }
          if (await waitForEvent(options.keepaliveMs) === "idle") {
            controller.enqueue(encoder.encode(KEEPALIVE_FRAME));
            return;
          }
        }
      },
      cancel: () => {
        cancelled = true;
        wakeReader?.();
      },
    });
  }
}
