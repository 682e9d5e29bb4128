// Following a spawned instance with its output shown live — shared by `run` and `build`'s RUN
// steps: stdout/stderr events are written as they arrive (or collected for a result row); what
// the log did not carry is completed from the operation record, by byte count per stream, so
// every byte the sandbox printed is written once whatever path the follower took; the final
// state comes from the completion (no GET needed) or the record; an interrupt or a closed
// stdout cancels the operation before the error goes on.

import type { ContreeClient } from "../api/client.ts";
import type { Operation, OperationEvent } from "../api/models.ts";
import { decodeStreamRepr, streamReprChunk } from "../api/stream_repr.ts";
import type { Context } from "../context.ts";
import { BrokenPipe, Interrupted, isBrokenPipe } from "../errors.ts";
import { CoalescingWriter, type Sink } from "../io.ts";
import { followOperation, type FollowOptions, type FollowResult } from "../sse/follow.ts";

/** How long cancelling may take after an interrupt or a broken pipe. */
const CANCEL_TIMEOUT_MS = 10_000;

export interface OutputTargets {
  stdout: Sink;
  stderr: Sink;
}

type StreamName = "stdout" | "stderr";
const STREAMS: readonly StreamName[] = ["stdout", "stderr"];

/**
 * Writes output as it arrives to `targets` (a terminal, or spools for a result row), and counts
 * the main process's bytes per stream so that output the log did not carry can be completed
 * from the operation record, never twice (`recover`).
 */
export class OutputSink {
  readonly #live: { stdout: CoalescingWriter; stderr: CoalescingWriter };
  #lastStream?: StreamName;
  /** Bytes of the main process (spid 1) delivered per stream: what the record is compared with. */
  readonly #delivered = { stdout: 0, stderr: 0 };
  /** Streams whose truncation was already reported. */
  readonly #truncationReported = new Set<string>();

  /**
   * @param targets where the output goes
   * @param truncateHint appended to the warning about output the server dropped
   */
  constructor(
    private readonly ctx: Context,
    targets: OutputTargets,
    private readonly truncateHint = "",
  ) {
    this.#live = {
      stdout: new CoalescingWriter(targets.stdout),
      stderr: new CoalescingWriter(targets.stderr),
    };
  }

  async onEvent(event: OperationEvent): Promise<void> {
    if (event.type === "stdout" || event.type === "stderr") {
      // Text goes to the writer as it is (encoded straight into its buffer).
      const chunk = streamReprChunk(event.data);
      if (chunk.length === 0) return;
      const written = await this.#deliver(event.type, chunk);
      if ((event.spid ?? 1) === 1) this.#delivered[event.type] += written;
    } else if (event.type === "truncated") {
      await this.drain();
      const data = event.data as { stream?: string; bytes_dropped?: number };
      this.#truncationReported.add(data.stream ?? "output");
      this.ctx.log.warning(
        `${data.stream ?? "output"} truncated: ${data.bytes_dropped ?? "some"} bytes dropped${
          this.truncateHint ? ` ${this.truncateHint}` : ""
        }`,
      );
    }
  }

  /** Writes one chunk; resolves to its length in bytes (counted as the writer encodes it). */
  async #deliver(stream: StreamName, bytes: Uint8Array | string): Promise<number> {
    // Output keeps its order across the two streams (they often share a terminal).
    if (this.#lastStream && this.#lastStream !== stream) {
      await this.#live[this.#lastStream].drain();
    }
    this.#lastStream = stream;
    return await this.#live[stream].write(bytes);
  }

  /**
   * Completes the output from the operation's record: what the record captured beyond the
   * bytes delivered (per stream) is written, raw, exactly as a live event would have been. When
   * the record is truncated and the log did not report it (the stream was cut), one warning
   * says how much is shown; the rest is lost beyond recovery.
   */
  async recover(record: Operation | undefined, logComplete: boolean): Promise<void> {
    const result = record?.metadata?.result;
    for (const stream of STREAMS) {
      const repr = result?.[stream];
      const captured = decodeStreamRepr(repr);
      const delivered = this.#delivered[stream];
      if (captured.length > delivered) {
        this.#delivered[stream] = captured.length;
        await this.#deliver(stream, captured.subarray(delivered));
      }
      if (repr?.truncated === true && !logComplete && !this.#truncationReported.has(stream)) {
        await this.drain();
        this.#truncationReported.add(stream);
        this.ctx.log.warning(
          `${stream} truncated: only the first ${this.#delivered[stream]} bytes were kept; ` +
            `the rest is lost${this.truncateHint ? ` ${this.truncateHint}` : ""}`,
        );
      }
    }
    await this.drain();
  }

  /** Waits until the live output is written; throws a failed write (a broken pipe). */
  async drain(): Promise<void> {
    await this.#live.stdout.drain();
    await this.#live.stderr.drain();
  }
}

/**
 * The finished operation: the terminal record when the follower has one (the completion from
 * the log wins for status, error and result image), else synthesised from the completion; the
 * process state from the spid-1 exit event, else the record's.
 */
export function finalOperation(uuid: string, result: FollowResult): Operation {
  const data = result.completion.data;
  const exit = result.exit?.data;
  const record = result.operation;
  const recorded = record?.metadata?.result;
  const state = exit
    ? {
      ...recorded?.state,
      exit_code: exit.code,
      timed_out: exit.timed_out,
      ...(exit.signal !== undefined ? { signal: exit.signal } : {}),
    }
    : recorded?.state ?? null;
  const fromLog = result.completionFrom === "log";
  const image = fromLog
    ? data.result_image_uuid ?? record?.result?.image ?? record?.result_image_uuid ?? null
    : record?.result?.image ?? record?.result_image_uuid ?? data.result_image_uuid ?? null;
  return {
    ...(record ?? {}),
    uuid,
    kind: record?.kind ?? "instance",
    status: fromLog || !record ? data.status : record.status,
    error: fromLog || !record ? data.error ?? record?.error ?? null : record.error ?? null,
    duration: record?.duration ?? (data.duration_ms ?? 0) / 1000,
    image_size: record?.image_size ?? data.image_size_bytes,
    result_image_uuid: image,
    metadata: {
      ...(record?.metadata ?? {}),
      result: { ...(recorded ?? {}), state },
    },
    result: { ...(record?.result ?? {}), image, tag: record?.result?.tag ?? null },
  } as Operation;
}

/** Cancels an operation after an interrupt or a broken pipe; failures are only logged. */
export async function cancelQuietly(
  ctx: Context,
  client: ContreeClient,
  uuid: string,
): Promise<void> {
  try {
    await client.cancelOperation(uuid, {
      ignoreInterrupt: true,
      timeoutMs: CANCEL_TIMEOUT_MS,
      maxRetries: 1,
    });
    ctx.log.info(`Cancelled operation ${uuid}`);
  } catch (error) {
    ctx.log.debug(`Cancelling ${uuid} failed: ${(error as Error).message}`);
  }
}

export interface FollowedRun {
  operation: Operation;
  result: FollowResult;
}

/**
 * Follows operation `uuid` to its end, writing output through `output`: what the log carried,
 * then what only the record holds. SIGINT/SIGTERM and a closed stdout cancel the operation
 * first, then throw (Interrupted / BrokenPipe). Lost contact (LostContact) leaves it running.
 */
export async function followRun(
  ctx: Context,
  client: ContreeClient,
  uuid: string,
  output: OutputSink,
  options: Pick<FollowOptions, "timeoutMs" | "contact" | "record" | "onContact"> = {},
): Promise<FollowedRun> {
  let result: FollowResult;
  try {
    result = await followOperation(client, uuid, {
      ...options,
      onEvent: (event) => output.onEvent(event),
    });
    await output.drain();
    await output.recover(result.operation, result.completionFrom === "log");
  } catch (error) {
    if (isBrokenPipe(error)) {
      await cancelQuietly(ctx, client, uuid);
      throw new BrokenPipe({ cause: error });
    }
    if (error instanceof Interrupted) await cancelQuietly(ctx, client, uuid);
    throw error;
  }
  return {
    operation: finalOperation(uuid, result),
    result,
  };
}
