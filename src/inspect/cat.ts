// `contree cat PATH` (CLI spec §8.7): a file's bytes on stdout, streamed chunk by chunk as they
// arrive (a file of any size needs no more memory than a chunk). Files up to 1 MiB are cached per
// (image, `download:<path>`) as base64, as the reference does, and later cats are served from
// the cache. On a terminal, content that is not valid UTF-8 is refused: the first 8 KiB decide
// before anything is written; a later invalid sequence stops the output with the same error.

import { ApiError, isLinkLoop } from "../api/errors.ts";
import { base64ToBytes, bytesToBase64 } from "../api/stream_repr.ts";
import { ContreeError } from "../errors.ts";
import { CoalescingWriter, LineEndSink } from "../io.ts";
import type { InspectDeps } from "./deps.ts";
import { bodyChunks } from "./download.ts";
import { requireWholeDownload } from "./ls.ts";

/** Files up to this size are cached. */
export const CAT_CACHE_LIMIT = 1 << 20;
/** On a terminal, this much is held back to decide whether the content is text. */
const TEXT_PROBE_BYTES = 8192;

export const BINARY_MESSAGE =
  "Binary content - refusing to write to terminal. Use shell redirection or `contree cp`.";

export interface CatOptions {
  path: string;
  image?: string;
}

/** Refuses bytes that are not UTF-8 (for terminals). */
class TextGuard {
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });

  check(bytes: Uint8Array, final: boolean): void {
    try {
      this.#decoder.decode(bytes, { stream: !final });
    } catch {
      throw new ContreeError(BINARY_MESSAGE);
    }
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Writes to stdout in few large writes (chunks arriving while a write is in flight are written
 * together after it); on a terminal, holds the first bytes back until they prove to be text.
 */
class CatWriter {
  readonly #guard?: TextGuard;
  readonly #out: CoalescingWriter;
  /** On a terminal: text shown before the refusal gets its line ended first. */
  readonly #lines?: LineEndSink;
  #held: Uint8Array[] = [];
  #heldSize = 0;
  #decided: boolean;

  constructor(private readonly deps: InspectDeps) {
    const terminal = deps.ctx.stdout.isTerminal;
    if (terminal) {
      this.#guard = new TextGuard();
      this.#lines = new LineEndSink(deps.ctx.stdout);
    }
    this.#decided = !terminal;
    this.#out = new CoalescingWriter(this.#lines ?? deps.ctx.stdout);
  }

  /** The guard's check; a refusal after text was shown starts on a line of its own. */
  async #check(bytes: Uint8Array, final: boolean): Promise<void> {
    try {
      this.#guard?.check(bytes, final);
    } catch (error) {
      await this.#out.drain();
      await this.#lines?.endLine();
      throw error;
    }
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#decided) {
      await this.#check(chunk, false);
      await this.#out.write(chunk);
      return;
    }
    this.#held.push(chunk.slice());
    this.#heldSize += chunk.length;
    if (this.#heldSize >= TEXT_PROBE_BYTES) await this.#release(false);
  }

  async #release(final: boolean): Promise<void> {
    const held = concat(this.#held, this.#heldSize);
    this.#held = [];
    this.#heldSize = 0;
    this.#decided = true;
    await this.#check(held, final);
    if (held.length > 0) await this.#out.write(held);
  }

  async end(): Promise<void> {
    if (!this.#decided) await this.#release(true);
    else await this.#check(new Uint8Array(0), true);
    await this.#out.drain();
  }
}

export async function catCommand(deps: InspectDeps, options: CatOptions): Promise<number> {
  if (deps.format !== "default") {
    deps.ctx.log.warning("cat always outputs raw content; --format is ignored");
  }
  const { image, path } = await deps.locate(options.path, options.image);
  const cache = await deps.cache();
  const kind = `download:${path}`;
  const writer = new CatWriter(deps);
  const cached = await cache.get<string>(image, kind);
  if (typeof cached === "string") {
    await writer.write(base64ToBytes(cached));
    await writer.end();
    return 0;
  }

  let response: Response;
  try {
    response = await deps.client.download(image, path, { stream: true });
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      // A link loop is no directory: the server's words.
      if (isLinkLoop(error)) throw new ContreeError(`cat: ${error.detail}`);
      throw new ContreeError(
        `cat: ${path}: not a regular file (list directories with \`contree ls\`, copy them with \`contree cp\`)`,
      );
    }
    throw error;
  }
  // Small files are kept for the cache; past the limit the copy is dropped.
  let kept: Uint8Array[] | undefined = [];
  let size = 0;
  // Borrowed chunks: the writer copies what it gathers or holds, and so does `kept`.
  for await (const chunk of bodyChunks(response, deps.ctx.signal, "download", { borrowed: true })) {
    size += chunk.length;
    if (kept && size <= CAT_CACHE_LIMIT) kept.push(chunk.slice());
    else kept = undefined;
    await writer.write(chunk);
  }
  await writer.end();
  // Before the copy is cached: a cut one would be served from the cache from then on.
  await requireWholeDownload(deps, response, image, path, size);
  if (kept) await cache.set(image, kind, bytesToBase64(concat(kept, size)));
  return 0;
}
