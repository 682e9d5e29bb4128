// Output of runs on disk: one append-only file per process stream of an operation,
// `<dir>/<ab>/<operation uuid>.<spid>.<stream>`, holding exactly the bytes the event log emitted
// for that stream. Events and the operation's result refer to ranges of these files instead of
// carrying the bytes, so output is written once, never held in memory, and read back only when
// someone reads it.

import { bytesToBase64, latin1Text } from "../api/stream_repr.ts";

export type OutputStream = "stdout" | "stderr" | "stdin";

/** The stored output of one process stream, as the operation record refers to it. */
export interface OutputRef {
  spid: number;
  stream: OutputStream;
  /** Bytes stored (the emitted part). */
  bytes: number;
  /** Every stored byte is printable ASCII or TAB/LF/CR (the record's value is then "ascii"). */
  ascii: boolean;
  /** Output was dropped past the cap. */
  truncated: boolean;
}

interface Handle {
  file: Deno.FsFile;
  size: number;
  writable: boolean;
}

export class OutputFiles {
  /** Open files, least recently used first. */
  readonly #open = new Map<string, Handle>();

  constructor(readonly dir: string, private readonly maxOpen = 64) {}

  async init(): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await Deno.chmod(this.dir, 0o700);
  }

  path(opUuid: string, spid: number, stream: OutputStream): string {
    return `${this.dir}/${opUuid.slice(0, 2)}/${opUuid}.${spid}.${stream}`;
  }

  /** Appends `bytes` to the stream's file; returns the offset they were written at. */
  append(opUuid: string, spid: number, stream: OutputStream, bytes: Uint8Array): number {
    const handle = this.#handle(this.path(opUuid, spid, stream), true)!;
    const offset = handle.size;
    handle.file.seekSync(offset, Deno.SeekMode.Start);
    let written = 0;
    try {
      while (written < bytes.length) written += handle.file.writeSync(bytes.subarray(written));
    } finally {
      // A failed write (a full disk) leaves the size where the bytes that did land end.
      handle.size = offset + written;
    }
    return offset;
  }

  /**
   * `length` bytes at `offset` of a stream's file (fewer when the file is shorter), read into
   * `into` when it is large enough (a reused buffer: the result is valid until its next use).
   */
  read(
    opUuid: string,
    spid: number,
    stream: OutputStream,
    offset: number,
    length: number,
    into?: Uint8Array,
  ): Uint8Array {
    const out = into && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
    const handle = this.#handle(this.path(opUuid, spid, stream), false);
    if (!handle) return out.subarray(0, 0);
    handle.file.seekSync(offset, Deno.SeekMode.Start);
    let filled = 0;
    while (filled < length) {
      const n = handle.file.readSync(out.subarray(filled));
      if (n === null || n === 0) break;
      filled += n;
    }
    return out.subarray(0, filled);
  }

  /**
   * The (empty) file of a stream that another process writes — podman, for the output of the
   * sandbox: its path, to hand over as that process's stdout or stderr.
   */
  prepare(opUuid: string, spid: number, stream: OutputStream): string {
    const path = this.path(opUuid, spid, stream);
    Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
    Deno.writeFileSync(path, new Uint8Array(), { mode: 0o600 });
    return path;
  }

  /** The size of a stream's file now (0 when it does not exist). */
  size(opUuid: string, spid: number, stream: OutputStream): number {
    return this.#handle(this.path(opUuid, spid, stream), false)?.file.statSync().size ?? 0;
  }

  /** Cuts a stream's file to `length` bytes (what another process wrote past the cap goes). */
  truncate(opUuid: string, spid: number, stream: OutputStream, length: number): void {
    this.#handle(this.path(opUuid, spid, stream), true)!.file.truncateSync(length);
  }

  /**
   * Cuts the files of an interrupted operation back to what its log refers to (`ends`: where
   * each stream's stored output ends): a run that outlived its server wrote on, unread.
   */
  trim(opUuid: string, ends: { spid: number; stream: string; end: number }[]): void {
    for (const spid of new Set([1, ...ends.map((entry) => entry.spid)])) {
      for (const stream of ["stdout", "stderr"] as const) {
        const end = ends.find((entry) => entry.spid === spid && entry.stream === stream)?.end ?? 0;
        try {
          Deno.truncateSync(this.path(opUuid, spid, stream), end);
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        }
      }
    }
  }

  /** Closes the files of an operation (its output is complete). */
  release(opUuid: string): void {
    for (const [path, handle] of this.#open) {
      if (path.includes(`/${opUuid}.`)) {
        handle.file.close();
        this.#open.delete(path);
      }
    }
  }

  closeAll(): void {
    for (const handle of this.#open.values()) handle.file.close();
    this.#open.clear();
  }

  /** The open file (reopened for writing when `write` and it was opened to read). */
  #handle(path: string, write: boolean): Handle | undefined {
    const open = this.#open.get(path);
    if (open) {
      this.#open.delete(path);
      if (!write || open.writable) {
        this.#open.set(path, open);
        return open;
      }
      open.file.close();
    }
    let file: Deno.FsFile;
    try {
      if (write) {
        Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
      }
      file = Deno.openSync(path, { read: true, write, create: write, mode: 0o600 });
    } catch (error) {
      if (!write && error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
    const handle = { file, size: file.statSync().size, writable: write };
    this.#open.set(path, handle);
    while (this.#open.size > this.maxOpen) {
      const [oldest, { file: old }] = this.#open.entries().next().value!;
      old.close();
      this.#open.delete(oldest);
    }
    return handle;
  }
}

/** Bytes per read when a stored stream is sent whole (a multiple of 3: base64 joins cleanly). */
const READ_BYTES = 3 * 65536;
const scratch = new Uint8Array(READ_BYTES);

/**
 * A stored stream's StreamRepr value, piece by piece: its text when `ref.ascii`, else base64;
 * with `inJson`, as it reads inside a JSON string (escaped, without the quotes).
 */
export function* reprValueChunks(
  files: OutputFiles,
  opUuid: string,
  ref: OutputRef,
  inJson: boolean,
): Generator<string> {
  for (let offset = 0; offset < ref.bytes; offset += READ_BYTES) {
    const bytes = files.read(
      opUuid,
      ref.spid,
      ref.stream,
      offset,
      Math.min(READ_BYTES, ref.bytes - offset),
      scratch,
    );
    if (bytes.length === 0) return;
    if (!ref.ascii) yield bytesToBase64(bytes);
    else yield inJson ? JSON.stringify(latin1Text(bytes)).slice(1, -1) : latin1Text(bytes);
  }
}
