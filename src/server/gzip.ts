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

/** A deflated piece with what the trailer needs of its plain bytes. */
export interface GzipPiece {
  deflated: Uint8Array;
  crc: number;
  length: number;
}

/** `plain` as a piece: its deflate, CRC-32 and length. */
export function gzipPiece(plain: Uint8Array): GzipPiece {
  return { deflated: deflatePiece(plain), crc: crc32(plain), length: plain.length };
}

// CRC-32 of two concatenated pieces from theirs (zlib's crc32_combine): a piece computed once
// serves every reader, whatever each one sent before it.

function gf2Times(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0; vector !== 0; i++, vector >>>= 1) if (vector & 1) sum ^= matrix[i];
  return sum >>> 0;
}

function gf2Square(square: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(matrix, matrix[n]);
}

export function crc32Combine(crc1: number, crc2: number, length2: number): number {
  if (length2 <= 0) return crc1 >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = 0xedb88320; // the CRC-32 polynomial: the operator for one zero bit
  for (let n = 1, row = 1; n < 32; n++, row *= 2) odd[n] = row;
  gf2Square(even, odd); // two zero bits
  gf2Square(odd, even); // four
  let crc = crc1 >>> 0;
  let length = length2;
  for (;;) {
    gf2Square(even, odd);
    if (length % 2) crc = gf2Times(even, crc);
    length = Math.floor(length / 2);
    if (length === 0) break;
    gf2Square(odd, even);
    if (length % 2) crc = gf2Times(odd, crc);
    length = Math.floor(length / 2);
    if (length === 0) break;
  }
  return (crc ^ crc2) >>> 0;
}

/** Frames one gzip body out of pieces: the header before the first, the trailer at the end. */
export class GzipWriter {
  #crc = 0;
  #length = 0;
  #started = false;

  /** The bytes to send for `plain`. */
  piece(plain: Uint8Array): Uint8Array {
    this.#crc = crc32(plain, this.#crc);
    this.#length += plain.length;
    return this.#start(deflatePiece(plain));
  }

  /** The bytes to send for a piece made beforehand (see `gzipPiece`). */
  made(piece: GzipPiece): Uint8Array {
    this.#crc = crc32Combine(this.#crc, piece.crc, piece.length);
    this.#length += piece.length;
    return this.#start(piece.deflated);
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
