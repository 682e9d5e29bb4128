// Content-addressed blob directory: `<dir>/<first two hex digits>/<sha256>`. An upload streams
// into a temporary file while it is hashed, then is renamed into place, so a blob on disk is
// always complete and named by its own digest.

import { createHash } from "node:crypto";
import { writeAllSync } from "../bytes.ts";
import { cutOffBody } from "./errors.ts";

/**
 * An upload is gathered into pieces of this size and each piece written with a synchronous
 * write. A request body comes in pieces of a few bytes to 64 KiB, and while an asynchronous
 * file write is pending Deno's request body slows to a crawl: a 200 MB upload from a streaming
 * client took 15–20 s with a write per piece and 4 s with an awaited write per MiB, against
 * 0.4–1.2 s with synchronous ones (scripts/bench/upload.ts). A 1 MiB write into the page cache
 * holds the event loop for about a millisecond.
 */
const WRITE_BYTES = 1024 * 1024;

export class BlobStore {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await Deno.mkdir(`${this.dir}/tmp`, { recursive: true, mode: 0o700 });
    await Deno.chmod(this.dir, 0o700);
    // Leftovers of uploads interrupted by a crash.
    for await (const entry of Deno.readDir(`${this.dir}/tmp`)) {
      await Deno.remove(`${this.dir}/tmp/${entry.name}`).catch(() => {});
    }
  }

  path(sha256: string): string {
    return `${this.dir}/${sha256.slice(0, 2)}/${sha256}`;
  }

  /**
   * Stores a stream; resolves with its digest and size once it is durable on disk. When the
   * store cannot take it (a full disk), the temporary file is removed and the rest of the body is
   * read and dropped before the error is thrown, so that the client receives the answer.
   */
  async put(body: ReadableStream<Uint8Array> | null): Promise<{ sha256: string; size: number }> {
    const temp = `${this.dir}/tmp/${crypto.randomUUID()}`;
    const hash = createHash("sha256");
    let size = 0;
    const reader = body?.getReader();
    let file: Deno.FsFile | undefined;
    try {
      file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
      const gathered = new Uint8Array(WRITE_BYTES);
      let filled = 0;
      for (;;) {
        let read: ReadableStreamReadResult<Uint8Array>;
        try {
          read = reader ? await reader.read() : { done: true, value: undefined };
        } catch (error) {
          throw cutOffBody(error); // the client's fault: not a 500
        }
        const { value, done } = read;
        if (done) break;
        hash.update(value);
        size += value.length;
        for (let offset = 0; offset < value.length;) {
          const taken = Math.min(WRITE_BYTES - filled, value.length - offset);
          gathered.set(value.subarray(offset, offset + taken), filled);
          filled += taken;
          offset += taken;
          if (filled === WRITE_BYTES) {
            writeAllSync(file, gathered);
            filled = 0;
          }
        }
      }
      writeAllSync(file, gathered.subarray(0, filled));
      await file.sync();
    } catch (error) {
      file?.close();
      file = undefined;
      await Deno.remove(temp).catch(() => {});
      if (reader) await drain(reader);
      throw error;
    }
    file.close();
    const sha256 = hash.digest("hex");
    const target = this.path(sha256);
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true, mode: 0o700 });
    await Deno.rename(temp, target);
    return { sha256, size };
  }
}

/** Reads a body to its end, dropping it (a broken body ends the draining, silently). */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done) { /* dropped */ }
  } catch {
    // the client went away
  }
}
