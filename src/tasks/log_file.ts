// A task's log snapshot (`logs/container.log`, task-lifecycle spec §2.3): made from podman's own
// k8s-file log with each line whole, and printed from the file in bounded memory, any size.
//
// `podman logs --timestamps` stamps every record, and a record is whatever conmon read at once:
// a line cut by a read boundary is two records, so its second half began with a timestamp in
// the middle of the line, where no printer can tell it from the program's own text. The
// k8s-file says which records are pieces (`P`) and which end a line (`F`).

import { concatBytes, writeAll } from "../bytes.ts";
import type { Sink } from "../io.ts";

const NEWLINE = 0x0a;
const SPACE = 0x20;
/** k8s-file flags: `F` ends a line, `P` is a piece of one that goes on in the next record. */
const FULL = 0x46;
const PIECE = 0x50;
const READ_BYTES = 64 * 1024;
/** A timestamp with its space is at most this long (`2026-12-02T00:57:00.346391752+00:00 `). */
const STAMP_MAX = 40;
/** podman's prefix on each line of `podman logs --timestamps`, and of our snapshot. */
export const LOG_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}) /;

const ascii = new TextDecoder("latin1");
/** How much of the k8s-file is read, joined and written at once. */
const JOIN_BYTES = 1024 * 1024;
/** podman shows UTC as `Z`; the k8s-file has `+00:00`. */
const UTC_OFFSET = new TextEncoder().encode("+00:00");
const UTC_Z = new TextEncoder().encode("Z ");

/**
 * Bytes gathered for one write: a 50 MB log is a few dozen writes, not one (or three) per line
 * (a syscall each made a capture twenty times slower than `podman logs`).
 */
class Gathered {
  #buffer = new Uint8Array(2 * JOIN_BYTES);
  #size = 0;

  add(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#size);
    this.#size += bytes.length;
  }

  addByte(byte: number): void {
    this.#reserve(1);
    this.#buffer[this.#size++] = byte;
  }

  #reserve(length: number): void {
    if (this.#size + length <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(2 * this.#buffer.length, this.#size + length));
    grown.set(this.#buffer.subarray(0, this.#size));
    this.#buffer = grown;
  }

  async writeTo(file: { write(p: Uint8Array): Promise<number> }): Promise<void> {
    await writeAll(file, this.#buffer.subarray(0, this.#size));
    this.#size = 0;
  }
}

function endsWith(bytes: Uint8Array, suffix: Uint8Array): boolean {
  if (bytes.length < suffix.length) return false;
  const at = bytes.length - suffix.length;
  return suffix.every((byte, i) => bytes[at + i] === byte);
}

/**
 * One k8s-file record (`TIMESTAMP STREAM P|F CONTENT`, without its newline) added to `out`;
 * `inLine` says a piece of the line is already out. Returns whether the line goes on.
 */
function joinRecord(line: Uint8Array, inLine: boolean, out: Gathered): boolean {
  const stampEnd = line.indexOf(SPACE);
  const streamEnd = stampEnd === -1 ? -1 : line.indexOf(SPACE, stampEnd + 1);
  const flag = streamEnd === -1 ? undefined : line[streamEnd + 1];
  const contentAt = streamEnd + 3;
  const separated = line.length <= contentAt - 1 || line[contentAt - 1] === SPACE;
  if ((flag !== FULL && flag !== PIECE) || !separated) {
    // Not a record (a log rotated mid-line): kept as it is, a line of its own.
    if (inLine) out.addByte(NEWLINE);
    out.add(line);
    out.addByte(NEWLINE);
    return false;
  }
  if (!inLine) {
    const stamp = line.subarray(0, stampEnd);
    if (endsWith(stamp, UTC_OFFSET)) {
      out.add(stamp.subarray(0, stamp.length - UTC_OFFSET.length));
      out.add(UTC_Z);
    } else out.add(line.subarray(0, stampEnd + 1));
  }
  out.add(line.subarray(Math.min(contentAt, line.length)));
  if (flag === PIECE) return true;
  out.addByte(NEWLINE);
  return false;
}

/**
 * The k8s-file log at `source` written to `target` as `podman logs --timestamps` prints it, but
 * one timestamp per line: the pieces of a line are joined under the first one's. stdout and
 * stderr stay in the order they were logged. Read and written 1 MiB at a time; `signal`
 * (Ctrl-C) stops it between two of them, with its reason.
 */
export async function joinLogRecords(
  source: string,
  target: string,
  signal?: AbortSignal,
): Promise<void> {
  signal?.throwIfAborted();
  using input = await Deno.open(source, { read: true });
  using file = await Deno.open(target, { write: true, create: true, truncate: true, mode: 0o600 });
  await joinRecordsInto(input, file, signal);
}

/** joinLogRecords from an open log into a writer (with partial-write semantics). */
export async function joinRecordsInto(
  input: { read(p: Uint8Array): Promise<number | null> },
  file: { write(p: Uint8Array): Promise<number> },
  signal?: AbortSignal,
): Promise<void> {
  const out = new Gathered();
  const chunk = new Uint8Array(JOIN_BYTES);
  let carry = new Uint8Array(0);
  let inLine = false;
  for (;;) {
    signal?.throwIfAborted();
    const read = await input.read(chunk);
    if (read === null) break;
    const bytes = carry.length > 0
      ? concatBytes([carry, chunk.subarray(0, read)])
      : chunk.subarray(0, read);
    let start = 0;
    for (let nl = bytes.indexOf(NEWLINE, start); nl !== -1; nl = bytes.indexOf(NEWLINE, start)) {
      inLine = joinRecord(bytes.subarray(start, nl), inLine, out);
      start = nl + 1;
    }
    carry = bytes.slice(start); // `chunk` is read into again
    await out.writeTo(file);
  }
  if (carry.length > 0) joinRecord(carry, inLine, out);
  await out.writeTo(file);
}

/** Where the last `count` lines of the file begin (0 when it has fewer). */
async function tailOffset(file: Deno.FsFile, count: number): Promise<number> {
  const size = (await file.stat()).size;
  const block = new Uint8Array(READ_BYTES);
  // A final newline ends the last line; it does not begin another one.
  let end = size;
  let seen = 0;
  let skipFinal = true;
  while (end > 0) {
    const start = Math.max(0, end - block.length);
    await file.seek(start, Deno.SeekMode.Start);
    const view = block.subarray(0, end - start);
    let filled = 0;
    while (filled < view.length) {
      const read = await file.read(view.subarray(filled));
      if (read === null) break;
      filled += read;
    }
    for (let i = filled - 1; i >= 0; i--) {
      if (view[i] !== NEWLINE) continue;
      if (skipFinal && start + i === size - 1) continue;
      if (++seen === count) return start + i + 1;
    }
    skipFinal = false;
    end = start;
  }
  return 0;
}

/** How long the timestamp at the start of `bytes` is (with its space); 0 when there is none. */
function stampLength(bytes: Uint8Array): number {
  return LOG_TIMESTAMP.exec(ascii.decode(bytes.subarray(0, STAMP_MAX)))?.[0].length ?? 0;
}

/**
 * Prints the snapshot at `path`: its last `tail` lines (all when undefined), each line's
 * timestamp removed unless `timestamps`, and a final newline when the log lacks one. Reads
 * the file in pieces: memory does not grow with the log or with a line; `signal` stops it
 * between two pieces.
 */
export async function printLog(
  path: string,
  sink: Sink,
  options: { tail?: number; timestamps?: boolean; signal?: AbortSignal },
): Promise<void> {
  if (options.tail === 0) return;
  const file = await Deno.open(path, { read: true });
  try {
    if (options.tail !== undefined) {
      await file.seek(await tailOffset(file, options.tail), Deno.SeekMode.Start);
    }
    let atLineStart = true;
    let head = new Uint8Array(0);
    let last = NEWLINE;
    const chunk = new Uint8Array(READ_BYTES);
    for (;;) {
      options.signal?.throwIfAborted();
      const read = await file.read(chunk);
      const done = read === null;
      const fresh = done ? head : chunk.subarray(0, read);
      const bytes = !done && head.length > 0 ? concatBytes([head, fresh]) : fresh;
      head = new Uint8Array(0);
      const out: Uint8Array[] = [];
      let i = 0;
      while (i < bytes.length) {
        if (atLineStart && !options.timestamps) {
          const nl = bytes.indexOf(NEWLINE, i);
          const lineEnd = nl === -1 ? bytes.length : nl;
          if (!done && nl === -1 && lineEnd - i < STAMP_MAX) {
            // Too little of the line to know whether it starts with a timestamp: read on.
            head = bytes.slice(i);
            break;
          }
          i += stampLength(bytes.subarray(i, lineEnd));
        }
        const nl = bytes.indexOf(NEWLINE, i);
        const end = nl === -1 ? bytes.length : nl + 1;
        out.push(bytes.subarray(i, end));
        atLineStart = nl !== -1;
        i = end;
      }
      const printed = concatBytes(out);
      if (printed.length > 0) {
        last = printed[printed.length - 1];
        await sink.write(printed);
      }
      if (done) break;
    }
    if (last !== NEWLINE) await sink.write("\n");
  } finally {
    file.close();
  }
}
