// Output kept for later without holding it all in memory: `-f json run` prints a sandbox's whole
// stdout inside a row that can only be written once the operation has ended, and that output
// may be larger than memory.

import { writeAll } from "./bytes.ts";
import { ContreeError } from "./errors.ts";
import type { Sink } from "./io.ts";

/** Bytes kept in memory before the spool moves to a temporary file. */
export const SPOOL_MEMORY_BYTES = 4 * 1024 * 1024;
/** Size of the pieces a spilled spool is read back in. */
const READ_BYTES = 1024 * 1024;

/**
 * A Sink that keeps everything written to it: in memory up to a limit, then in a temporary
 * file (mode 0600, unlinked at once where the system allows it, so nothing is left behind even
 * when the process is killed). Read it back with `chunks()`; `close()` releases it.
 */
export class ByteSpool implements Sink {
  readonly isTerminal = false;
  #memory: Uint8Array[] = [];
  #size = 0;
  #file?: Deno.FsFile;
  #path?: string;
  #tail: Promise<void> = Promise.resolve();

  readonly #memoryBytes: number;
  readonly #dir: string | undefined;

  /**
   * `dir` is the directory of the temporary file: the caller's TMPDIR, passed in because the
   * process environment is not the command's (tests, the MCP server); the system's by default.
   */
  constructor(options: { memoryBytes?: number; dir?: string } = {}) {
    this.#memoryBytes = options.memoryBytes ?? SPOOL_MEMORY_BYTES;
    this.#dir = options.dir || undefined;
  }

  get size(): number {
    return this.#size;
  }

  write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const next = this.#tail.then(() => this.#append(bytes));
    this.#tail = next.catch(() => {});
    return next;
  }

  drain(): Promise<void> {
    return this.#tail;
  }

  columns(): number | undefined {
    return undefined;
  }

  async #append(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    if (!this.#file && this.#size + bytes.length <= this.#memoryBytes) {
      this.#memory.push(bytes.slice());
      this.#size += bytes.length;
      return;
    }
    const file = this.#file ?? await this.#spill();
    try {
      await writeAll(file, bytes);
    } catch (error) {
      throw new ContreeError(`Cannot keep the output in a temporary file: ${reason(error)}`);
    }
    this.#size += bytes.length;
  }

  async #spill(): Promise<Deno.FsFile> {
    try {
      const path = await Deno.makeTempFile({ dir: this.#dir, prefix: "contree-output-" });
      const file = await Deno.open(path, { read: true, write: true });
      this.#file = file;
      if (Deno.build.os !== "windows") await Deno.chmod(path, 0o600);
      // An open file stays readable after its name is gone (not on Windows: removed at close).
      this.#path = await Deno.remove(path).then(() => undefined, () => path);
      for (const chunk of this.#memory) await writeAll(file, chunk);
      this.#memory = [];
      return file;
    } catch (error) {
      throw new ContreeError(
        `Cannot keep the output in a temporary file (${reason(error)}); ` +
          "set TMPDIR to a writable directory",
      );
    }
  }

  /**
   * Everything written so far, in order (waits for pending writes). Read back from the file,
   * each piece is the same buffer refilled: use it before asking for the next.
   */
  async *chunks(): AsyncGenerator<Uint8Array> {
    await this.#tail;
    if (!this.#file) {
      yield* this.#memory;
      return;
    }
    const file = this.#file;
    const size = this.#size;
    await file.seek(0, Deno.SeekMode.Start);
    try {
      yield* readExactly(file, size);
    } finally {
      await file.seek(0, Deno.SeekMode.End); // later writes append
    }
  }

  /** Frees the memory and the temporary file. */
  async close(): Promise<void> {
    await this.#tail;
    this.#memory = [];
    this.#file?.close();
    this.#file = undefined;
    if (this.#path) await Deno.remove(this.#path).catch(() => {});
    this.#path = undefined;
  }
}

/** `size` bytes from the file's position, in pieces of READ_BYTES (one reused buffer). */
async function* readExactly(file: Deno.FsFile, size: number): AsyncGenerator<Uint8Array> {
  const reused = new Uint8Array(Math.min(READ_BYTES, size));
  for (let read = 0; read < size;) {
    const buffer = reused.subarray(0, Math.min(READ_BYTES, size - read));
    let filled = 0;
    while (filled < buffer.length) {
      const n = await file.read(buffer.subarray(filled));
      if (n === null) throw new ContreeError("The temporary output file was cut short");
      filled += n;
    }
    read += filled;
    yield buffer;
  }
}

/** An error's kind without its text (Deno's messages name the path). */
function reason(error: unknown): string {
  return error instanceof Error ? error.name : String(error);
}
