// gzip as the server sends it (API spec §1.4). A body is a gzip header, raw deflate pieces that
// each end in a sync flush and make no reference to earlier ones, a final empty block and the
// trailer (CRC-32 and length of the plain bytes). Independent pieces decode as soon as they
// arrive, can be computed once and sent to many clients (the event log's shared segments), and
// each one picks its own level: fast deflate (level 1) for what shrinks, stored blocks (level 0:
// a copy) for what does not — random bytes, compressed files, base64 — decided on a sample.

import { constants as zlibConstants, crc32, deflateRawSync } from "node:zlib";

const GZIP_HEADER = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** A final, empty fixed-Huffman block: ends the deflate stream. */
const DEFLATE_END = new Uint8Array([0x03, 0x00]);
/** Data whose sample does not shrink below this share of its size is not compressed. */
const INCOMPRESSIBLE = 0.9;
const SAMPLE_BYTES = 8192;
const FLUSHED = { finishFlush: zlibConstants.Z_SYNC_FLUSH };

/** Whether a sample of `bytes` shrinks under fast deflate (short data always counts as yes). */
export function compresses(bytes: Uint8Array): boolean {
  if (bytes.length < 256) return true;
  const sample = bytes.subarray(0, SAMPLE_BYTES);
  return deflateRawSync(sample, { ...FLUSHED, level: 1 }).length <= sample.length * INCOMPRESSIBLE;
}

/** One independent raw deflate piece of `bytes`, ending in a sync flush. */
export function deflatePiece(bytes: Uint8Array): Uint8Array {
  const level = bytes.length > SAMPLE_BYTES * 2 && !compresses(bytes) ? 0 : 1;
  const deflated = deflateRawSync(bytes, { ...FLUSHED, level });
  return new Uint8Array(
    level === 1 && deflated.length > bytes.length
      ? deflateRawSync(bytes, { ...FLUSHED, level: 0 })
      : deflated,
  );
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Frames one gzip body out of pieces: the header before the first, the trailer at the end. */
export class GzipWriter {
  #crc = 0;
  #length = 0;
  #started = false;

  /** The bytes to send for `plain`; `deflated` gives its piece when it was made elsewhere. */
  piece(plain: Uint8Array, deflated?: () => Uint8Array): Uint8Array {
    this.#crc = crc32(plain, this.#crc);
    this.#length += plain.length;
    return this.#start(deflated ? deflated() : deflatePiece(plain));
  }

  /** The end block and the trailer. */
  end(): Uint8Array {
    const trailer = new Uint8Array(DEFLATE_END.length + 8);
    trailer.set(DEFLATE_END);
    const view = new DataView(trailer.buffer);
    view.setUint32(DEFLATE_END.length, this.#crc >>> 0, true);
    view.setUint32(DEFLATE_END.length + 4, this.#length % 2 ** 32, true);
    return this.#start(trailer);
  }

  #start(bytes: Uint8Array): Uint8Array {
    if (this.#started) return bytes;
    this.#started = true;
    return concat(GZIP_HEADER, bytes);
  }
}

/** A whole buffered body, gzip'd. */
export function gzipBytes(bytes: Uint8Array): Uint8Array {
  const writer = new GzipWriter();
  return concat(writer.piece(bytes), writer.end());
}

/** A stream gzip'd chunk by chunk (each chunk decodable on arrival). */
export function gzipStream(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const writer = new GzipWriter();
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform: (chunk, controller) => {
        if (chunk.length > 0) controller.enqueue(writer.piece(chunk));
      },
      flush: (controller) => controller.enqueue(writer.end()),
    }),
  );
}
