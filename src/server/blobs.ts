// Content-addressed blob directory: `<dir>/<first two hex digits>/<sha256>`. An upload streams
// into a temporary file while it is hashed, then is renamed into place, so a blob on disk is
// always complete and named by its own digest.

import { createHash } from "node:crypto";
import { writeAll } from "../bytes.ts";

export class BlobStore {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await Deno.mkdir(`${this.dir}/tmp`, { recursive: true, mode: 0o700 });
    // Leftovers of uploads interrupted by a crash.
    for await (const entry of Deno.readDir(`${this.dir}/tmp`)) {
      await Deno.remove(`${this.dir}/tmp/${entry.name}`).catch(() => {});
    }
  }

  path(sha256: string): string {
    return `${this.dir}/${sha256.slice(0, 2)}/${sha256}`;
  }

  /** Stores a stream; resolves with its digest and size once it is durable on disk. */
  async put(body: ReadableStream<Uint8Array> | null): Promise<{ sha256: string; size: number }> {
    const temp = `${this.dir}/tmp/${crypto.randomUUID()}`;
    const hash = createHash("sha256");
    let size = 0;
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
    try {
      if (body) {
        for await (const chunk of body) {
          hash.update(chunk);
          size += chunk.length;
          await writeAll(file, chunk);
        }
      }
      await file.sync();
    } catch (error) {
      file.close();
      await Deno.remove(temp).catch(() => {});
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
