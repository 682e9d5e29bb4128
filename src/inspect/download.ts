// Reading download and archive bodies incrementally: chunk by chunk, with interrupts and broken
// connections turned into the usual typed errors.

import { NetworkError } from "../api/errors.ts";

/** Bytes a chunk of a download gathers at most (fetch delivers some 64 KiB per read). */
const CHUNK_BYTES = 1 << 20;

/**
 * The chunks of a response body, as they arrive; a byte stream (a fetch body) is read into
 * chunks of up to 1 MiB — each one whatever arrived while the last was written out, so a fast
 * download costs a fraction of the reads and writes. Cancels the body when the consumer stops.
 * With `borrowed`, a chunk is a view of the one read buffer, valid until the next is asked
 * for: for a consumer that copies what it keeps (a fresh copy of each chunk was a third of
 * `cat`'s CPU for 50 MB, most of it the new memory's page faults).
 */
export async function* bodyChunks(
  response: Response,
  signal: AbortSignal,
  what = "download",
  { borrowed = false } = {},
): AsyncGenerator<Uint8Array> {
  if (!response.body) return;
  const byob = byobReader(response.body);
  const plain = byob ? undefined : response.body.getReader();
  const broke = (error: unknown) => {
    if (signal.aborted) return signal.reason;
    return new NetworkError(`the ${what} broke: ${(error as Error).message}`, { cause: error });
  };
  // One buffer serves every read (a BYOB read hands its memory back in the result); the
  // consumer gets a copy of what arrived, which it may keep. A fresh 1 MiB buffer per read cost
  // more than the bytes: fetch delivers an inflated body in ~4 KiB pieces, so 20 MB took 5,000
  // reads and zeroed 5 GB.
  let buffer = new Uint8Array(CHUNK_BYTES);
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = byob ? await byob.read(buffer) : await plain!.read();
      } catch (error) {
        throw broke(error);
      }
      if (result.done) return;
      if (!byob) {
        yield result.value;
        continue;
      }
      buffer = new Uint8Array(result.value.buffer as ArrayBuffer);
      yield borrowed ? result.value : result.value.slice();
    }
  } finally {
    await (byob ?? plain)!.cancel().catch(() => {});
  }
}

function byobReader(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return body.getReader({ mode: "byob" });
  } catch {
    return undefined; // not a byte stream
  }
}

/** A stream over `chunks` that reports each chunk to `onChunk` as it passes. */
export function countedStream(
  chunks: AsyncIterator<Uint8Array>,
  onChunk: (bytes: number) => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await chunks.next();
      if (done) controller.close();
      else {
        onChunk(value.length);
        controller.enqueue(value);
      }
    },
    async cancel() {
      await chunks.return?.(undefined);
    },
  }, { highWaterMark: 0 });
}

/**
 * The body size, when the headers tell it. A `Content-Length` next to `Content-Encoding: gzip`
 * counts compressed bytes while fetch yields inflated ones, so it is not a size then.
 */
export function declaredSize(response: Response): number | undefined {
  const encoding = (response.headers.get("content-encoding") ?? "identity").toLowerCase();
  if (encoding !== "identity") return undefined;
  const length = Number(response.headers.get("content-length") ?? "");
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/** Inflates a stream that starts with the gzip magic (a raw `.tar.gz`); others pass as they are. */
export async function inflateIfGzip(
  stream: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  const first = await reader.read();
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      if (!first.done) controller.enqueue(first.value);
      if (first.done) controller.close();
    },
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel(reason) {
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  const gzip = !first.done && first.value.length >= 2 && first.value[0] === 0x1f &&
    first.value[1] === 0x8b;
  return gzip
    ? rest.pipeThrough(
      new DecompressionStream("gzip") as ReadableWritablePair<Uint8Array, Uint8Array>,
    )
    : rest;
}
