// Following a spawned instance with its output shown live — shared by `run` and `build`'s RUN
// steps: stdout/stderr events are written as they arrive (or collected for a result row), the
// operation record is taken from the completion (no GET needed) or from the follower's probe,
// and an interrupt or a closed stdout cancels the operation before the error goes on.

import type { ContreeClient } from "../api/client.ts";
import type { Operation, OperationEvent } from "../api/models.ts";
import { decodeStreamRepr, streamReprChunk } from "../api/stream_repr.ts";
import type { Context } from "../context.ts";
import { BrokenPipe, Interrupted, isBrokenPipe } from "../errors.ts";
import { concatBytes } from "../bytes.ts";
import { CoalescingWriter, type Sink } from "../io.ts";
import { followOperation, type FollowResult } from "../sse/follow.ts";
import { sanitiseTerminalText } from "./sanitize.ts";

/** How long cancelling may take after an interrupt or a broken pipe. */
const CANCEL_TIMEOUT_MS = 10_000;

export interface OutputTargets {
  stdout: Sink;
  stderr: Sink;
}

/** Writes live output as it arrives (to `targets`), or collects it for a result row. */
export class OutputSink {
  readonly stdout: Uint8Array[] = [];
  readonly stderr: Uint8Array[] = [];
  readonly #live?: { stdout: CoalescingWriter; stderr: CoalescingWriter };
  #lastStream?: "stdout" | "stderr";

  /**
   * @param targets where live output goes; undefined collects it instead
   * @param truncateHint appended to the warning about output the server dropped
   */
  constructor(
    private readonly ctx: Context,
    targets: OutputTargets | undefined,
    private readonly truncateHint = "",
  ) {
    if (targets) {
      this.#live = {
        stdout: new CoalescingWriter(targets.stdout),
        stderr: new CoalescingWriter(targets.stderr),
      };
    }
  }

  get live(): boolean {
    return this.#live !== undefined;
  }

  async onEvent(event: OperationEvent): Promise<void> {
    if (event.type === "stdout" || event.type === "stderr") {
      if (!this.#live) {
        const bytes = decodeStreamRepr(event.data);
        if (bytes.length > 0) this[event.type].push(bytes);
        return;
      }
      // Text goes to the writer as it is (encoded straight into its buffer).
      const chunk = streamReprChunk(event.data);
      if (chunk.length === 0) return;
      // Output keeps its order across the two streams (they often share a terminal).
      if (this.#lastStream && this.#lastStream !== event.type) {
        await this.#live[this.#lastStream].drain();
      }
      this.#lastStream = event.type;
      await this.#live[event.type].write(chunk);
    } else if (event.type === "truncated") {
      await this.drain();
      const data = event.data as { stream?: string; bytes_dropped?: number };
      this.ctx.log.warning(
        `${data.stream ?? "output"} truncated: ${data.bytes_dropped ?? "some"} bytes dropped${
          this.truncateHint ? ` ${this.truncateHint}` : ""
        }`,
      );
    }
  }

  /** Waits until the live output is written; throws a failed write (a broken pipe). */
  async drain(): Promise<void> {
    if (!this.#live) return;
    await this.#live.stdout.drain();
    await this.#live.stderr.drain();
  }

  static text(chunks: Uint8Array[]): string {
    return new TextDecoder().decode(concatBytes(chunks));
  }
}

/** The operation record a completion stands for (no GET needed). */
export function operationFromFollow(
  uuid: string,
  result: FollowResult,
  output: OutputSink,
): Operation {
  const data = result.completion.data;
  const exit = result.exit?.data;
  return {
    uuid,
    kind: "instance",
    status: data.status,
    error: data.error ?? null,
    duration: (data.duration_ms ?? 0) / 1000,
    image_size: data.image_size_bytes,
    result_image_uuid: data.result_image_uuid ?? null,
    metadata: {
      result: {
        stdout: { value: OutputSink.text(output.stdout), encoding: "ascii", truncated: false },
        stderr: { value: OutputSink.text(output.stderr), encoding: "ascii", truncated: false },
        state: exit ? { exit_code: exit.code, timed_out: exit.timed_out } : null,
      },
    },
    result: { image: data.result_image_uuid ?? null, tag: null },
  };
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
  /** False when output could not be streamed and must be shown from the record (see showCaptured). */
  streamed: boolean;
  /** The whole stdout/stderr: what was collected, or the record's when not streamed. */
  stdout: string;
  stderr: string;
}

function reprText(repr: unknown): string {
  return new TextDecoder().decode(decodeStreamRepr(repr));
}

/**
 * Follows operation `uuid` to its end, writing output through `output`. SIGINT/SIGTERM and a
 * closed stdout cancel the operation first, then throw (Interrupted / BrokenPipe).
 */
export async function followRun(
  ctx: Context,
  client: ContreeClient,
  uuid: string,
  output: OutputSink,
  options: { timeoutMs?: number } = {},
): Promise<FollowedRun> {
  let result: FollowResult;
  try {
    result = await followOperation(client, uuid, {
      onEvent: (event) => output.onEvent(event),
      timeoutMs: options.timeoutMs,
    });
    await output.drain();
  } catch (error) {
    if (isBrokenPipe(error)) {
      await cancelQuietly(ctx, client, uuid);
      throw new BrokenPipe({ cause: error });
    }
    if (error instanceof Interrupted) await cancelQuietly(ctx, client, uuid);
    throw error;
  }
  const operation = result.streamed || !result.operation
    ? operationFromFollow(uuid, result, output)
    : result.operation;
  return {
    operation,
    result,
    streamed: result.streamed,
    stdout: result.streamed
      ? OutputSink.text(output.stdout)
      : reprText(operation.metadata?.result?.stdout),
    stderr: result.streamed
      ? OutputSink.text(output.stderr)
      : reprText(operation.metadata?.result?.stderr),
  };
}

/** Shows output that could not be streamed live, once, sanitised (never output already shown). */
export async function showCaptured(followed: FollowedRun, targets: OutputTargets): Promise<void> {
  if (followed.streamed) return;
  if (followed.stdout) await targets.stdout.write(sanitiseTerminalText(followed.stdout));
  if (followed.stderr) await targets.stderr.write(sanitiseTerminalText(followed.stderr));
}
