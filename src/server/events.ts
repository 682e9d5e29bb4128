// The per-operation event log (API spec §5): append-only, ids from 0, persisted in the store,
// served as Server-Sent Events.
//
// Output events (stdout, stderr, stdin) keep their bytes in the operation's output files
// (outputs.ts); their rows hold the range, and the frame is built when it is read. Every reader —
// a live follower or a replay — reads the same rows, so all clients receive identical frames; a
// follower that falls behind just reads further back (no per-client buffers).
//
// Readers at the same position share the work: the frames after a position are built (and
// gzip'd) once as a segment, kept in a bounded cache keyed by (operation, filter, position),
// and every reader at that position sends the same bytes. Each segment is its own raw deflate
// stream ending in a sync flush, so segments concatenate into one valid gzip body whatever
// position a reader started from; each reader only adds the gzip header, its own keepalives
// and the trailer (CRC-32 and length of what it sent).

import type { OperationEvent } from "../api/models.ts";
import { isPlainAscii } from "../api/plain_ascii.ts";
import { bytesToBase64, encodeStreamRepr, latin1Text } from "../api/stream_repr.ts";
import { type GzipPiece, gzipPiece, GzipWriter } from "./gzip.ts";
import type { OutputFiles, OutputStream } from "./outputs.ts";
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
  /** Send the stream gzip'd (Content-Encoding: gzip). */
  gzip?: boolean;
}

export interface EventLogOptions {
  now?: () => number;
  /** Where output events keep their bytes (without it, output is stored inline as JSON). */
  outputs?: OutputFiles;
  /**
   * Output bytes one operation's log keeps at most, all streams together; stdin at most a
   * quarter of them, so that a large input never leaves the process's output no room.
   */
  maxOutputBytes?: number;
  /** Memory for shared segments (frames and their gzip), all operations together. */
  cacheBytes?: number;
}

const encoder = new TextEncoder();
const BATCH = 256;
/** A segment stops growing past this many bytes of frames. */
const SEGMENT_BYTES = 1 << 20;
/**
 * Enough for the segments at the live edge, where followers bunch up (they are woken together
 * and ask for the same position). More only kept each 1 MiB segment alive long enough to be
 * promoted to V8's old generation, where it waits for a full collection: with 8 MiB the server's
 * peak RSS streaming 200 MB was 177–186 MB, with 2 MiB 166–171 (medians of three alternating
 * runs), at the same speed for one follower and for 50.
 */
const DEFAULT_CACHE_BYTES = 2 << 20;

export const KEEPALIVE_FRAME = ": keepalive\n\n";
export const SSE_ERROR_FRAME = ": stream ended with error, retry since last event id\n\n" +
  "event: sse_error\ndata: event log unavailable\n\n";

/** One SSE frame: `id:` and `event:` repeat the JSON's own id and type. */
export function sseFrame(event: Pick<EventRow, "id" | "type" | "json">): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${event.json}\n\n`;
}

/** The StreamRepr JSON of stored output bytes (their ascii-ness was decided when stored). */
export function streamReprJson(bytes: Uint8Array, ascii: boolean): string {
  if (ascii) return `{"value":${JSON.stringify(latin1Text(bytes))},"encoding":"ascii"}`;
  return `{"value":"${bytesToBase64(bytes)}","encoding":"base64"}`;
}

// ---- shared segments ----

/**
 * The frames after one position of one log (for one filter and one encoding), built once for
 * every reader at that position: the SSE bytes for plain readers, the deflated piece (with its
 * CRC and length) for gzip readers.
 */
interface Segment {
  /** Id of the last row covered: the next segment starts after it. */
  last: number;
  /** It holds the completion frame (the log ends with it). */
  end: boolean;
  /** Bytes of frames (0 when every row was filtered out). */
  length: number;
  frames?: Uint8Array;
  gzip?: GzipPiece;
}

class SegmentCache {
  /** Least recently used first. */
  readonly #segments = new Map<string, Segment>();
  #bytes = 0;

  constructor(private readonly budget: number) {}

  get(key: string): Segment | undefined {
    const segment = this.#segments.get(key);
    if (segment) {
      this.#segments.delete(key);
      this.#segments.set(key, segment);
    }
    return segment;
  }

  put(key: string, segment: Segment): void {
    this.#segments.set(key, segment);
    this.#bytes += size(segment);
    while (this.#bytes > this.budget && this.#segments.size > 1) {
      const [oldest, old] = this.#segments.entries().next().value!;
      this.#segments.delete(oldest);
      this.#bytes -= size(old);
    }
  }
}

function size(segment: Segment): number {
  return (segment.frames?.length ?? 0) + (segment.gzip?.deflated.length ?? 0);
}

type Wake = () => void;

/** What the log kept of some output. */
export interface StoredOutput {
  kept: number;
  /** The kept bytes are printable ASCII or TAB/LF/CR. */
  ascii: boolean;
}

export class EventLog {
  readonly #nextId = new Map<string, number>();
  readonly #outputBytes = new Map<string, number>();
  /** The stdin bytes among them. */
  readonly #stdinBytes = new Map<string, number>();
  readonly #waiters = new Map<string, Set<Wake>>();
  readonly #cache: SegmentCache;
  readonly #now: () => number;
  readonly #keepalive = {
    frames: encoder.encode(KEEPALIVE_FRAME),
    gzip: gzipPiece(encoder.encode(KEEPALIVE_FRAME)),
  };
  #closed = false;
  /** Output bytes of the event being framed (framing is synchronous: one buffer serves all). */
  #scratch = new Uint8Array(256 * 1024);
  /** The encoded frames of the segment being deflated (gzip readers keep only the piece). */
  #frameBuffer = new Uint8Array(0);

  constructor(private readonly store: Store, private readonly options: EventLogOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#cache = new SegmentCache(options.cacheBytes ?? DEFAULT_CACHE_BYTES);
  }

  /** Appends an event and wakes the followers of the operation. */
  append(
    opUuid: string,
    spid: number,
    type: string,
    data: Record<string, unknown>,
  ): OperationEvent {
    const id = this.#takeId(opUuid, type);
    const event: OperationEvent = { id, ts: new Date(this.#now()).toISOString(), spid, type, data };
    this.store.insertEvent(opUuid, { id, spid, type, json: JSON.stringify(event) });
    this.#wake(opUuid);
    return event;
  }

  /**
   * Appends an output event (`stdout`, `stderr`, `stdin`) with its bytes stored in the output
   * file of the stream. The operation's log keeps at most `maxOutputBytes` of output in all:
   * `kept` says how many of `bytes` were kept (the rest is the caller's to count as dropped),
   * `ascii` whether they travel as plain text.
   */
  appendOutput(
    opUuid: string,
    spid: number,
    stream: OutputStream,
    bytes: Uint8Array,
  ): StoredOutput {
    const kept = bytes.subarray(0, this.#room(opUuid, stream, bytes.length));
    if (kept.length === 0) return { kept: 0, ascii: true };
    const ascii = isPlainAscii(kept);
    const outputs = this.options.outputs;
    if (!outputs) {
      this.append(opUuid, spid, stream, { ...encodeStreamRepr(kept) });
      this.#use(opUuid, stream, kept.length);
    } else {
      const offset = outputs.append(opUuid, spid, stream, kept);
      this.appendStored(opUuid, spid, stream, { offset, length: kept.length, ascii });
    }
    return { kept: kept.length, ascii };
  }

  /**
   * Appends an output event for bytes already in the stream's output file (written there by
   * podman): `range.length` of them from `range.offset`, within the log's bound. Returns how
   * many the event covers.
   */
  appendStored(
    opUuid: string,
    spid: number,
    stream: OutputStream,
    range: { offset: number; length: number; ascii: boolean },
  ): number {
    const length = this.#room(opUuid, stream, range.length);
    if (length === 0) return 0;
    const id = this.#takeId(opUuid, stream);
    const ts = new Date(this.#now()).toISOString();
    this.store.insertEvent(opUuid, {
      id,
      spid,
      type: stream,
      json: `{"id":${id},"ts":"${ts}","spid":${spid},"type":"${stream}","data":`,
      output: { offset: range.offset, length, ascii: range.ascii },
    });
    this.#use(opUuid, stream, length);
    this.#wake(opUuid);
    return length;
  }

  /** How many of `wanted` bytes of `stream` the operation's log still takes. */
  #room(opUuid: string, stream: OutputStream, wanted: number): number {
    const max = this.options.maxOutputBytes ?? Infinity;
    let room = max - (this.#outputBytes.get(opUuid) ?? 0);
    if (stream === "stdin") room = Math.min(room, max / 4 - (this.#stdinBytes.get(opUuid) ?? 0));
    return Math.min(wanted, Math.max(0, Math.floor(room)));
  }

  #use(opUuid: string, stream: OutputStream, bytes: number): void {
    this.#outputBytes.set(opUuid, (this.#outputBytes.get(opUuid) ?? 0) + bytes);
    if (stream === "stdin") {
      this.#stdinBytes.set(opUuid, (this.#stdinBytes.get(opUuid) ?? 0) + bytes);
    }
  }

  /** Whether the operation's log has started (its first event was appended). */
  exists(opUuid: string): boolean {
    return this.#nextId.has(opUuid) || this.store.lastEventId(opUuid) >= 0;
  }

  /** Whether the operation's log is complete: its last event is the completion. */
  #ended(opUuid: string): boolean {
    const last = this.store.lastEventId(opUuid);
    return last >= 0 && this.store.events(opUuid, last - 1, 1)[0]?.type === "completion";
  }

  /** Ends every open stream (server shutdown); followers see EOF without completion. */
  close(): void {
    this.#closed = true;
    for (const waiters of this.#waiters.values()) for (const wake of waiters) wake();
    this.#waiters.clear();
  }

  #takeId(opUuid: string, type: string): number {
    const id = this.#nextId.get(opUuid) ?? this.store.lastEventId(opUuid) + 1;
    if (type === "completion") {
      this.#nextId.delete(opUuid);
      this.#outputBytes.delete(opUuid);
      this.#stdinBytes.delete(opUuid);
    } else this.#nextId.set(opUuid, id + 1);
    return id;
  }

  #wake(opUuid: string): void {
    const waiters = this.#waiters.get(opUuid);
    if (waiters) {
      this.#waiters.delete(opUuid);
      for (const wake of waiters) wake();
    }
  }

  /** The whole JSON text of one stored event (an output event's bytes read from its file). */
  #json(opUuid: string, row: EventRow): string {
    if (!row.output) return row.json;
    const bytes = this.options.outputs!.read(
      opUuid,
      row.spid,
      row.type as OutputStream,
      row.output.offset,
      row.output.length,
      this.#scratch,
    );
    return `${row.json}${streamReprJson(bytes, row.output.ascii)}}`;
  }

  /** The SSE text of one stored event. */
  #frame(opUuid: string, row: EventRow): string {
    return row.output ? sseFrame({ ...row, json: this.#json(opUuid, row) }) : sseFrame(row);
  }

  /** The events of one process (`spid`) of an operation, in id order, output included. */
  processEvents(opUuid: string, spid: number): OperationEvent[] {
    return this.store.processEvents(opUuid, spid)
      .map((row) => JSON.parse(this.#json(opUuid, row)) as OperationEvent);
  }

  /**
   * The segment after `after` (shared by every reader at that position with the same filter
   * and encoding), if rows follow.
   */
  #segment(
    opUuid: string,
    spid: number | undefined,
    after: number,
    gzip: boolean,
  ): Segment | undefined {
    const key = `${opUuid}\n${spid ?? ""}\n${after}\n${gzip ? "gzip" : ""}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const rows = this.store.events(opUuid, after, BATCH);
    if (rows.length === 0) return undefined;
    const parts: string[] = [];
    let chars = 0;
    let last = after;
    let end = false;
    for (const row of rows) {
      if (chars >= SEGMENT_BYTES) break;
      last = row.id;
      end = row.type === "completion";
      if (spid === undefined || row.spid === spid || end) {
        const frame = this.#frame(opUuid, row);
        parts.push(frame);
        chars += frame.length;
      }
      if (end) break;
    }
    const text = parts.join("");
    // A gzip reader needs the frames only to deflate them: they are encoded into a reused buffer.
    if (this.#frameBuffer.length < text.length * 3) {
      this.#frameBuffer = new Uint8Array(Math.max(text.length * 3, SEGMENT_BYTES * 2));
    }
    const frames = gzip
      ? this.#frameBuffer.subarray(0, encoder.encodeInto(text, this.#frameBuffer).written)
      : encoder.encode(text);
    const segment: Segment = {
      last,
      end,
      length: frames.length,
      ...(gzip ? { gzip: gzipPiece(frames) } : { frames }),
    };
    this.#cache.put(key, segment);
    return segment;
  }

  /** The SSE byte stream of one operation's log. Each chunk ends on a frame boundary. */
  stream(opUuid: string, options: EventStreamOptions): ReadableStream<Uint8Array> {
    let cursor = options.after;
    let wakeReader: Wake | undefined;
    let cancelled = false;
    const gzip = options.gzip ? new GzipWriter() : undefined;
    /** What this response sends for a segment (or the keepalive). */
    const send = (piece: Pick<Segment, "frames" | "gzip">) =>
      gzip ? gzip.made(piece.gzip!) : piece.frames!;

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

    const finish = (controller: ReadableStreamDefaultController<Uint8Array>) => {
      if (gzip) controller.enqueue(gzip.end());
      controller.close();
    };

    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        for (;;) {
          if (cancelled) return;
          let segment: Segment | undefined;
          try {
            segment = this.#segment(opUuid, options.spid, cursor, gzip !== undefined);
          } catch {
            const frames = encoder.encode(SSE_ERROR_FRAME);
            controller.enqueue(gzip ? gzip.piece(frames) : frames);
            finish(controller);
            return;
          }
          if (segment) {
            cursor = segment.last;
            if (segment.length > 0) controller.enqueue(send(segment));
            if (segment.end) {
              finish(controller);
              return;
            }
            if (segment.length > 0) return;
            continue;
          }
          // A follower at or past the completion (it resumed from there) has nothing to wait for.
          if (!options.follow || this.#closed || this.#ended(opUuid)) {
            finish(controller);
            return;
          }
          if (await waitForEvent(options.keepaliveMs) === "idle") {
            const keepalive = this.#keepalive;
            controller.enqueue(send(keepalive));
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
