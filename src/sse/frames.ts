// Turns an event-stream body into ordered items: events, id-only cursor advances and in-band
// `sse_error`s. Frames are parsed by eventsource-parser's `createParser`; its stream wrapper
// (EventSourceParserStream) is not used because it cannot report id-only frames in order with
// the events around them, and the resume cursor must advance on those too (API spec §5.2).

import { loadEventSourceParser } from "../deps.ts";
import type { OperationEvent } from "../api/models.ts";

/** Clients cap one pending line/frame at 4 MiB (API spec §5.2). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

export type SseItem =
  | { kind: "event"; event: OperationEvent }
  | { kind: "id"; id: number }
  | { kind: "error"; message: string }
  | { kind: "invalid"; reason: string; overCap?: boolean };

function parseId(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text.trim());
}

/** Decodes the JSON payload of one frame; the JSON `id`/`type` win over the SSE fields. */
function toItem(message: { event?: string; data: string; id?: string }): SseItem {
  if (message.event === "sse_error") return { kind: "error", message: message.data };
  let payload: unknown;
  try {
    payload = JSON.parse(message.data);
  } catch {
    return { kind: "invalid", reason: `invalid JSON in event data: ${message.data.slice(0, 80)}` };
  }
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
    return { kind: "invalid", reason: "event data is not a JSON object" };
  }
  // The object is fresh from JSON.parse: normalised in place (a copy per event costs time).
  const event = payload as Record<string, unknown>;
  const id = Number.isInteger(event.id) ? event.id as number : parseId(message.id);
  if (id === undefined) return { kind: "invalid", reason: "event without an integer id" };
  event.id = id;
  if (typeof event.type !== "string") event.type = message.event ?? "message";
  if (typeof event.ts !== "string") event.ts = "";
  if (!event.data || typeof event.data !== "object") event.data = {};
  return { kind: "event", event: event as unknown as OperationEvent };
}

/** Reads an event-stream body (already inflated by fetch) and yields items in stream order. */
export async function* readSseItems(body: ReadableStream<Uint8Array>): AsyncGenerator<SseItem> {
  const { createParser } = await loadEventSourceParser();
  const pending: SseItem[] = [];
  let pendingId: string | undefined;
  const flushIdOnly = () => {
    const id = parseId(pendingId);
    if (id !== undefined) pending.push({ kind: "id", id });
    pendingId = undefined;
  };
  // The parser refuses any feed after a frame over the cap: the stream ends at that frame.
  let overCap = false;
  const parser = createParser({
    maxBufferSize: MAX_FRAME_BYTES,
    onId(id) {
      // onId precedes onEvent for frames with data; a second onId first means the previous
      // frame had no data (an id-only frame).
      if (pendingId !== undefined) flushIdOnly();
      pendingId = id;
    },
    onEvent(message) {
      pendingId = undefined;
      pending.push(toItem(message));
    },
    onError(error) {
      if (error.type === "max-buffer-size-exceeded") {
        overCap = true;
        pending.push({
          kind: "invalid",
          reason: `event frame larger than ${MAX_FRAME_BYTES} bytes`,
          overCap: true,
        });
      }
    },
  });
  const decoder = new TextDecoder();
  const source = byteSource(body);
  try {
    for (;;) {
      const chunk = await source.read();
      if (!chunk) break;
      // Strings past ~128 KiB are born in V8's large-object space, which only a full GC
      // frees: decoding large chunks whole makes a long stream's memory balloon.
      for (let at = 0; at < chunk.length && !overCap; at += DECODE_PIECE_BYTES) {
        parser.feed(decoder.decode(chunk.subarray(at, at + DECODE_PIECE_BYTES), { stream: true }));
      }
      flushIdOnly();
      while (pending.length > 0) {
        const item = pending.shift()!;
        yield item;
        if (item.kind === "invalid") return;
      }
    }
    // A frame at EOF without its blank line is still dispatched.
    parser.feed(decoder.decode() + "\n\n");
    flushIdOnly();
    yield* pending.splice(0);
  } finally {
    await source.cancel();
  }
}

/** Bytes decoded to one string (well below V8's 128 KiB regular-object limit). */
const DECODE_PIECE_BYTES = 32 * 1024;

/** Size of the buffer a byte stream is read into. */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * Reads a body chunk by chunk. A byte stream (fetch bodies) is read into one reused buffer:
 * fetch inflates gzip in 4 KiB pieces, and a fresh array per piece makes a long stream's
 * memory balloon between garbage collections (and costs time). A chunk is valid until the next
 * read.
 */
function byteSource(body: ReadableStream<Uint8Array>): {
  read(): Promise<Uint8Array | undefined>;
  cancel(): Promise<void>;
} {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    // not a byte stream: read its own chunks
  }
  if (byob) {
    const reader = byob;
    let buffer = new Uint8Array(READ_BUFFER_BYTES);
    return {
      async read() {
        const { value, done } = await reader.read(buffer);
        if (done || !value) return undefined;
        buffer = new Uint8Array(value.buffer);
        return value;
      },
      cancel: () => reader.cancel().catch(() => {}),
    };
  }
  const reader = body.getReader();
  return {
    async read() {
      const { value, done } = await reader.read();
      return done ? undefined : value;
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}
