// A streaming tar reader (POSIX ustar and pax, plus the GNU long-name/long-link records):
// members are yielded one at a time and their data is read straight from the network stream, so
// an archive of any size needs only a block or two of memory. Which member names may be
// extracted is src/sandbox_path.ts's policy; links are checked by src/inspect/extract.ts.

import { ContreeError } from "../errors.ts";

const BLOCK = 512;

export type TarHeaderType = "file" | "directory" | "symlink" | "hardlink" | "other";

export interface TarHeader {
  /** Member name as stored (a pax `path` or GNU long name wins over the header field). */
  name: string;
  type: TarHeaderType;
  /** The raw typeflag (for messages about unsupported members). */
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
  size: number;
  /** Target of a symlink, or the member a hard link points at. */
  linkname: string;
}

export class TarFormatError extends ContreeError {
  constructor(detail: string) {
    super(`Invalid tar archive: ${detail}`);
  }
}

/** Reads exact byte counts from a stream, handing out slices of the chunks it receives. */
class ByteReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunk: Uint8Array = new Uint8Array(0);
  #offset = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Up to `max` bytes (at least one), or undefined at the end of the stream. */
  async next(max: number): Promise<Uint8Array | undefined> {
    while (this.#offset >= this.#chunk.length) {
      const { value, done } = await this.#reader.read();
      if (done) return undefined;
      this.#chunk = value;
      this.#offset = 0;
    }
    const end = Math.min(this.#chunk.length, this.#offset + max);
    const slice = this.#chunk.subarray(this.#offset, end);
    this.#offset = end;
    return slice;
  }

  /** Exactly `count` bytes; undefined at a clean end (no byte read); TarFormatError when cut. */
  async exact(count: number): Promise<Uint8Array | undefined> {
    const first = await this.next(count);
    if (!first) return undefined;
    if (first.length === count) return first;
    const out = new Uint8Array(count);
    out.set(first);
    let at = first.length;
    while (at < count) {
      const more = await this.next(count - at);
      if (!more) throw new TarFormatError("the archive ends in the middle of a member");
      out.set(more, at);
      at += more.length;
    }
    return out;
  }

  async *chunks(count: number): AsyncGenerator<Uint8Array> {
    let left = count;
    while (left > 0) {
      const chunk = await this.next(left);
      if (!chunk) throw new TarFormatError("the archive ends in the middle of a member");
      left -= chunk.length;
      yield chunk;
    }
  }

  async skip(count: number): Promise<void> {
    for await (const _ of this.chunks(count)) {
      // discarded
    }
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

const decoder = new TextDecoder();

function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end === -1 ? field : field.subarray(0, end));
}

/** An octal number field, or a GNU base-256 one (high bit of the first byte set). */
function number(block: Uint8Array, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return value;
  }
  const digits = text(block, start, length).trim();
  if (digits === "") return 0;
  if (!/^[0-7]+$/.test(digits)) throw new TarFormatError(`bad number field '${digits}'`);
  return Number.parseInt(digits, 8);
}

function checksumMatches(block: Uint8Array): boolean {
  const stored = number(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

function entryType(flag: string): TarHeaderType {
  switch (flag) {
    case "0":
    case "\0":
    case "":
    case "7":
      return "file";
    case "1":
      return "hardlink";
    case "2":
      return "symlink";
    case "5":
    case "D": // GNU dump directory
      return "directory";
    default:
      return "other";
  }
}

/** Pax records: `<len> <key>=<value>\n`. */
function parsePax(data: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const length = Number.parseInt(decoder.decode(data.subarray(at, space)), 10);
    if (!Number.isFinite(length) || length <= 0 || at + length > data.length) {
      throw new TarFormatError("bad pax header record");
    }
    const record = decoder.decode(data.subarray(space + 1, at + length - 1));
    const equals = record.indexOf("=");
    if (equals > 0) records.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return records;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Metadata records larger than this are refused (they are held in memory). */
const MAX_META_SIZE = 1 << 20;

/**
 * Yields each member with a reader of its data. The data must be read (or left alone: it is
 * skipped) before asking for the next member. The stream is cancelled when the loop ends early.
 */
export async function* readTar(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<{ entry: TarHeader; data: AsyncIterable<Uint8Array> }> {
  const reader = new ByteReader(stream);
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      const block = await reader.exact(BLOCK);
      if (!block) return; // no end-of-archive blocks: tolerated, like most readers
      if (block.every((byte) => byte === 0)) return; // end-of-archive marker
      if (!checksumMatches(block)) throw new TarFormatError("header checksum mismatch");
      const typeflag = String.fromCharCode(block[156]);
      const headerSize = number(block, 124, 12);
      const size = pax.has("size") ? Number(pax.get("size")) : headerSize;
      if (!Number.isSafeInteger(size) || size < 0) throw new TarFormatError("bad member size");

      if (typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K") {
        if (size > MAX_META_SIZE) throw new TarFormatError("oversized extended header");
        const data = size === 0 ? new Uint8Array(0) : await reader.exact(size);
        if (!data) throw new TarFormatError("the archive ends in the middle of a member");
        await reader.skip(padding(size));
        if (typeflag === "x") pax = parsePax(data);
        else if (typeflag === "L") longName = text(data, 0, data.length);
        else if (typeflag === "K") longLink = text(data, 0, data.length);
        // "g" (global pax header): nothing we use
        continue;
      }

      let name = text(block, 0, 100);
      const magic = text(block, 257, 6);
      const prefix = magic === "ustar" ? text(block, 345, 155) : "";
      if (prefix) name = `${prefix}/${name}`;
      const entry: TarHeader = {
        name: pax.get("path") ?? longName ?? name,
        type: entryType(typeflag),
        typeflag,
        mode: number(block, 100, 8),
        uid: pax.has("uid") ? Number(pax.get("uid")) : number(block, 108, 8),
        gid: pax.has("gid") ? Number(pax.get("gid")) : number(block, 116, 8),
        mtime: pax.has("mtime") ? Number(pax.get("mtime")) : number(block, 136, 12),
        size,
        linkname: pax.get("linkpath") ?? longLink ?? text(block, 157, 100),
      };
      pax = new Map();
      longName = undefined;
      longLink = undefined;
      // Links and directories carry no data whatever the size field says (pax allows it).
      const dataSize = entry.type === "file" || entry.type === "other" ? size : 0;
      let consumed = 0;
      const data = (async function* () {
        for await (const chunk of reader.chunks(dataSize - consumed)) {
          consumed += chunk.length;
          yield chunk;
        }
      })();
      yield { entry, data };
      await reader.skip(dataSize - consumed);
      await reader.skip(padding(dataSize));
    }
  } finally {
    await reader.cancel();
  }
}
