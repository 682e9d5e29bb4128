// Piped stdin for `run`, streamed as the reference's StdInReader and StdinForwarder do: the
// first burst goes in the spawn request; when stdin has not ended by then, the process starts
// with its stdin open (`close: false`) and the rest follows through POST
// /operations/{id}/subprocesses/1/stdin, one piece at a time, closed at EOF. So
// `yes | contree run -- head -1` ends when head does, and a stdin of any size is held one piece
// at a time. An idle, never-closed pipe (agents, CI jobs) is not waited for: it counts as no stdin.

import { isRefusedConnection } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import type { ClosableStreamRepr } from "../api/models.ts";
import { bytesToBase64 } from "../api/stream_repr.ts";
import { concatBytes } from "../bytes.ts";
import type { Context } from "../context.ts";
import type { Source } from "../io.ts";

/** How long the first bytes (or EOF) may take before stdin counts as idle. */
export const STDIN_GRACE_MS = 100;
/** How long stdin may stay quiet before what was read is sent (so a slow producer streams). */
export const STDIN_QUIET_MS = 50;
/** The most bytes sent in one request: the spawn request, or one write. */
export const STDIN_PIECE_BYTES = 512 * 1024;

export interface StdinPiece {
  bytes: Uint8Array;
  /** Stdin ended with this piece. */
  ended: boolean;
}

type ReadResult = ReadableStreamReadResult<Uint8Array>;

/** Reads stdin in bursts: what arrives until a size, EOF, or a quiet moment. */
export class PipedStdin {
  #pending?: Promise<ReadResult>;
  #carry?: Uint8Array;
  #ended = false;
  #cancelled = false;
  #first: StdinPiece = { bytes: new Uint8Array(), ended: false };

  private constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly quietMs: number,
    private readonly pieceBytes: number,
  ) {}

  /** The bytes for the spawn request. */
  get first(): StdinPiece {
    return this.#first;
  }

  /**
   * Piped stdin with its first burst read, or undefined for a terminal, an idle pipe or an
   * empty one (nothing to send, and the process gets a closed stdin either way).
   */
  static async open(
    stdin: Source,
    options: {
      graceMs?: number;
      quietMs?: number;
      pieceBytes?: number;
      /**
       * Called when a pipe that counted as idle brings data after all (a producer slower than
       * the grace time): that data is not sent, and nothing should be lost silently.
       */
      onLate?: () => void;
    } = {},
  ): Promise<PipedStdin | undefined> {
    if (stdin.isTerminal || stdin.knownEmpty?.()) return undefined;
    const piped = new PipedStdin(
      stdin.readable().getReader(),
      options.quietMs ?? STDIN_QUIET_MS,
      options.pieceBytes ?? STDIN_PIECE_BYTES,
    );
    const first = await piped.#burst(options.graceMs ?? STDIN_GRACE_MS);
    if (first === undefined && options.onLate && piped.#pending) {
      const onLate = options.onLate;
      piped.#pending.then((late) => {
        if (!late.done && late.value.length > 0) onLate();
      }, () => {});
      return undefined; // the lock stays: the read pending on it is the watch
    }
    if (first === undefined || (first.ended && first.bytes.length === 0)) {
      // Idle or empty: never read again (a read still pending stays with the stream).
      piped.reader.releaseLock();
      return undefined;
    }
    piped.#first = first;
    return piped;
  }

  /** The rest of stdin after `first`, in pieces; the last one says `ended`. */
  async *rest(): AsyncGenerator<StdinPiece> {
    while (!this.#ended && !this.#cancelled) {
      const piece = await this.#burst(undefined);
      if (!piece || this.#cancelled) return;
      yield piece;
    }
  }

  /** Stops reading: the process no longer takes stdin, or the run is over. */
  async cancel(): Promise<void> {
    if (this.#cancelled) return;
    this.#cancelled = true;
    await this.reader.cancel().catch(() => {});
  }

  /**
   * Bytes until `pieceBytes`, EOF, or `quietMs` without more once some arrived. The first
   * bytes are waited for `firstWaitMs` (undefined: as long as it takes); undefined when they
   * did not come in that time.
   */
  async #burst(firstWaitMs: number | undefined): Promise<StdinPiece | undefined> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const take = (bytes: Uint8Array) => {
      const room = this.pieceBytes - size;
      if (bytes.length > room) {
        this.#carry = bytes.subarray(room);
        bytes = bytes.subarray(0, room);
      }
      chunks.push(bytes);
      size += bytes.length;
    };
    if (this.#carry) {
      const carried = this.#carry;
      this.#carry = undefined;
      take(carried);
    }
    while (size < this.pieceBytes && !this.#ended) {
      const waitMs = size > 0 ? this.quietMs : firstWaitMs;
      const result = await this.#read(waitMs);
      if (result === "quiet") {
        if (size > 0) break;
        return undefined;
      }
      if (result.done) this.#ended = true;
      else take(result.value);
    }
    return { bytes: concatBytes(chunks), ended: this.#ended && !this.#carry };
  }

  /** The next read, or "quiet" when nothing came in `waitMs` (the read stays pending). */
  async #read(waitMs: number | undefined): Promise<ReadResult | "quiet"> {
    const next = this.#pending ??= this.reader.read();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = waitMs === undefined ? await next : await Promise.race([
      next,
      new Promise<"quiet">((resolve) => timer = setTimeout(() => resolve("quiet"), waitMs)),
    ]);
    clearTimeout(timer);
    if (result !== "quiet") this.#pending = undefined;
    return result;
  }
}

/** What the forwarder needs from the API client. */
export interface StdinWriter {
  writeStdin(
    uuid: string,
    spid: number,
    body: ClosableStreamRepr,
    options?: { signal?: AbortSignal; maxRetries?: number; timeoutMs?: number },
  ): Promise<void>;
  cancelOperation(uuid: string): Promise<void>;
}

const STDIN_WRITE_TIMEOUT_MS = 60_000;
/** Refused connections (a server restarting) tried again, a second apart. */
const REFUSED_RETRIES = 30;

/**
 * Sends the rest of `piped` to the main process of `uuid`, closing its stdin with the last
 * piece. While the operation is queued the server answers 425 (429 when busy): the write waits
 * (Retry-After, else 1 s) and tries again.
 * It stops (and stops reading) when the process no longer takes stdin (409: it ended, or closed
 * it), when `signal` aborts (the run is over), or after a write failed for another reason: then
 * the operation is cancelled, said once on stderr. Its process would wait for the rest of its
 * input until its timeout, or work on a part of it (half a SQL dump); a write is not retried,
 * since one the server applied before its answer was lost would be sent twice.
 */
export async function forwardStdin(
  api: StdinWriter,
  uuid: string,
  piped: PipedStdin,
  ctx: Pick<Context, "log" | "clock">,
  signal: AbortSignal,
): Promise<void> {
  const write = async (piece: StdinPiece): Promise<boolean> => {
    const body: ClosableStreamRepr = {
      value: bytesToBase64(piece.bytes),
      encoding: "base64",
      close: piece.ended,
    };
    for (let refused = 0;;) {
      try {
        // Retried here, quietly: 425 is the expected answer while the operation is queued. A
        // write unanswered for a minute (the connection stalled) fails: waiting on would hold
        // the process until its timeout.
        await api.writeStdin(uuid, 1, body, {
          signal,
          maxRetries: 0,
          timeoutMs: STDIN_WRITE_TIMEOUT_MS,
        });
        return true;
      } catch (error) {
        if (signal.aborted) return false;
        if (error instanceof ApiError && (error.status === 425 || error.status === 429)) {
          await ctx.clock.sleep((error.retryAfter ?? 1) * 1000, signal).catch(() => {});
          continue;
        }
        // A refused connection sent nothing: trying again cannot send the piece twice.
        if (isRefusedConnection(error) && refused++ < REFUSED_RETRIES) {
          await ctx.clock.sleep(1000, signal).catch(() => {});
          continue;
        }
        if (error instanceof ApiError && error.status === 409) {
          ctx.log.debug(`stdin of ${uuid}: the process takes no more (${error.message})`);
        } else {
          ctx.log.warning(
            `Could not write stdin of operation ${uuid}: ${(error as Error).message}; ` +
              "cancelling it, as its input would be incomplete",
          );
          await api.cancelOperation(uuid).catch((cancel) =>
            ctx.log.warning(`Could not cancel operation ${uuid}: ${(cancel as Error).message}`)
          );
        }
        return false;
      }
    }
  };
  // A read may be waiting on a quiet pipe when the run ends: cancelling ends it.
  const stop = () => void piped.cancel();
  signal.addEventListener("abort", stop, { once: true });
  try {
    for await (const piece of piped.rest()) {
      if (!(await write(piece)) || piece.ended) break;
    }
  } finally {
    signal.removeEventListener("abort", stop);
    await piped.cancel();
  }
}
