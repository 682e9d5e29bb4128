// Operation lifecycle: PENDING → ASSIGNED → EXECUTING → SUCCESS | FAILED | CANCELLED.
// Operations wait in a FIFO queue until one of `concurrency` slots is free; the kind's runner
// does the work. Finishing is one transaction: the terminal status is stored and the
// `completion` event appended together, so a client that sees completion and then asks for the
// operation always reads a terminal status.

import {
  ACTIVE_STATUSES,
  type InstanceResult,
  type OperationKind,
  type TerminalStatus,
} from "../api/models.ts";
import type { Logger } from "../log.ts";
import { type HostPaths, storageError } from "./errors.ts";
import type { EventLog, StoredOutput } from "./events.ts";
import type { OutputRef, OutputStream } from "./outputs.ts";
import type { OperationRow, Store } from "./store.ts";

/** Why a running operation's signal was aborted. */
export type StopReason = "cancel" | "shutdown";

export interface RunContext {
  readonly op: OperationRow;
  /** Aborted on cancel or server shutdown; `signal.reason` is a StopReason. */
  readonly signal: AbortSignal;
  /** Appends an event to the operation's log. */
  emit(spid: number, type: string, data: Record<string, unknown>): void;
  /**
   * Appends output of a process as an event, its bytes stored once in the operation's output
   * files; says how many bytes the log kept (the operation's log is bounded as a whole).
   */
  output(spid: number, stream: OutputStream, bytes: Uint8Array): StoredOutput;
  /**
   * Appends an output event for bytes another process (podman) wrote into the stream's output
   * file; returns how many of them the log kept.
   */
  stored(
    spid: number,
    stream: OutputStream,
    range: { offset: number; length: number; ascii: boolean },
  ): number;
  /** Marks the operation EXECUTING (the process is about to start). */
  executing(): void;
  /** In-memory input given to `submit` that is never stored (e.g. registry credentials). */
  readonly transient?: unknown;
}

export interface Outcome {
  status: TerminalStatus;
  error?: string | null;
  resultImageUuid?: string | null;
  resultTag?: string | null;
  imageSize?: number;
  /** Instance runs: the folded process result stored as `metadata.result` (without output). */
  result?: InstanceResult;
  /** Where `metadata.result.stdout`/`stderr` are stored. */
  outputs?: Partial<Record<"stdout" | "stderr", OutputRef>>;
}

export type OperationRunner = (ctx: RunContext) => Promise<Outcome>;

export interface ManagerOptions {
  concurrency: number;
  log: Logger;
  now?: () => number;
  /** Data of the `init` event that opens every log (runtime, kernel, …). */
  initData: () => Record<string, unknown>;
  /** Host paths an operation's error must not show. */
  hostPaths?: HostPaths;
}

export const RESTARTED_ERROR = "server restarted while the operation was running";
export const STOPPED_ERROR = "server stopped while the operation was running";

/** The outcome for a runner whose signal was aborted. */
export function stoppedOutcome(signal: AbortSignal): Outcome {
  return signal.reason === "cancel"
    ? { status: "CANCELLED", error: "operation was cancelled" }
    : { status: "FAILED", error: STOPPED_ERROR };
}

/** Nanosecond-precision ISO timestamp (the `init.started_at` format). */
export function isoNanos(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
}

interface Queued {
  op: OperationRow;
  transient?: unknown;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

export class OperationManager {
  readonly #queue: Queued[] = [];
  readonly #running = new Map<string, Running>();
  readonly #now: () => number;
  #closing = false;

  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly runners: Record<OperationKind, OperationRunner>,
    private readonly options: ManagerOptions,
  ) {
    this.#now = options.now ?? Date.now;
  }

  get closing(): boolean {
    return this.#closing;
  }

  /**
   * Operations active in the store but not in this process (a crash): FAILED, with completion.
   * Returns them.
   */
  recover(): OperationRow[] {
    const stale = this.store.operationsWithStatus(ACTIVE_STATUSES);
    for (const op of stale) {
      // The output its log holds stays in its record, as a clean stop keeps it.
      const outputs = op.kind === "instance" ? this.store.loggedOutputs(op.uuid) : undefined;
      this.#finish(op, { status: "FAILED", error: RESTARTED_ERROR, outputs });
    }
    return stale;
  }

  /** Records a new PENDING operation and queues it; `transient` reaches the runner unstored. */
  submit(
    kind: OperationKind,
    metadata: Record<string, unknown>,
    imageUuid: string | null,
    transient?: unknown,
  ): OperationRow {
    const op: OperationRow = {
      uuid: crypto.randomUUID(),
      kind,
      status: "PENDING",
      error: null,
      created_at: new Date(this.#now()).toISOString(),
      started_at: null,
      finished_at: null,
      duration: null,
      image_uuid: imageUuid,
      result_image_uuid: null,
      result_tag: null,
      image_size: null,
      metadata,
    };
    this.store.insertOperation(op);
    this.#queue.push({ op, transient });
    this.#pump();
    return op;
  }

  /** Cancels an operation: "terminal" when it already ended (409), "missing" when unknown. */
  cancel(uuid: string): "cancelling" | "terminal" | "missing" {
    const queued = this.#queue.findIndex(({ op }) => op.uuid === uuid);
    if (queued >= 0) {
      const [{ op }] = this.#queue.splice(queued, 1);
      this.#finish(op, { status: "CANCELLED", error: "operation was cancelled before it started" });
      return "cancelling";
    }
    const running = this.#running.get(uuid);
    if (running) {
      if (!running.controller.signal.aborted) running.controller.abort("cancel");
      return "cancelling";
    }
    return this.store.operation(uuid) ? "terminal" : "missing";
  }

  /**
   * Stops everything: queued operations fail at once; running ones are aborted (their runners
   * kill the containers) and awaited for up to `graceMs`.
   */
  async shutdown(graceMs = 20_000): Promise<void> {
    this.#closing = true;
    for (const { op } of this.#queue.splice(0)) {
      this.#finish(op, { status: "FAILED", error: STOPPED_ERROR });
    }
    const running = [...this.#running.values()];
    for (const { controller } of running) controller.abort("shutdown");
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled(running.map((r) => r.done)),
      new Promise((resolve) => timer = setTimeout(resolve, graceMs)),
    ]);
    clearTimeout(timer);
  }

  #pump(): void {
    while (!this.#closing && this.#running.size < this.options.concurrency && this.#queue.length) {
      this.#start(this.#queue.shift()!);
    }
  }

  #start({ op: queued, transient }: Queued): void {
    const controller = new AbortController();
    const startedAt = new Date(this.#now()).toISOString();
    this.store.updateOperation(queued.uuid, { status: "ASSIGNED", started_at: startedAt });
    const op: OperationRow = { ...queued, status: "ASSIGNED", started_at: startedAt };
    this.events.append(op.uuid, 0, "init", {
      started_at: isoNanos(this.#now()),
      ...this.options.initData(),
    });
    const ctx: RunContext = {
      op,
      transient,
      signal: controller.signal,
      emit: (spid, type, data) => void this.events.append(op.uuid, spid, type, data),
      output: (spid, stream, bytes) => this.events.appendOutput(op.uuid, spid, stream, bytes),
      stored: (spid, stream, range) => this.events.appendStored(op.uuid, spid, stream, range),
      executing: () => this.store.updateOperation(op.uuid, { status: "EXECUTING" }),
    };
    const done = (async () => {
      let outcome: Outcome;
      try {
        outcome = await this.runners[op.kind](ctx);
      } catch (error) {
        this.options.log.error(`operation ${op.uuid} failed: ${(error as Error).message}`);
        outcome = controller.signal.aborted
          ? stoppedOutcome(controller.signal)
          : { status: "FAILED", error: (storageError(error) ?? error as Error).message };
      }
      await this.#record(op, outcome);
    })().catch((error) => {
      // Only when the store went away under a run that outlived the shutdown grace period.
      this.options.log.error(`operation ${op.uuid} not recorded: ${(error as Error).message}`);
    }).finally(() => {
      this.#running.delete(op.uuid);
      this.#pump();
    });
    this.#running.set(op.uuid, { controller, done });
  }

  /**
   * Records the outcome. When the store cannot take it (a full disk) it is tried again every
   * few seconds until it can, or until the server stops (the next start fails the operation):
   * an operation whose completion was lost stayed EXECUTING, its followers waiting for ever.
   */
  async #record(op: OperationRow, outcome: Outcome): Promise<void> {
    for (let attempt = 0;; attempt++) {
      try {
        this.#finish(op, outcome);
        if (attempt > 0) this.options.log.info(`operation ${op.uuid} recorded at last`);
        return;
      } catch (error) {
        const reason = (error as Error).message;
        if (this.#closing) throw error;
        if (attempt === 0) {
          this.options.log.error(`operation ${op.uuid} not recorded yet (${reason}); retrying`);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** attempt)));
      }
    }
  }

  #finish(op: OperationRow, result: Outcome): void {
    const now = this.#now();
    const error = result.error && this.options.hostPaths
      ? this.options.hostPaths.scrub(result.error)
      : result.error;
    const outcome = { ...result, error };
    // One that never started (cancelled in the queue, or at shutdown) ran for no time.
    const durationMs = op.started_at ? Math.max(0, now - Date.parse(op.started_at)) : 0;
    const metadata = outcome.result ? { ...op.metadata, result: outcome.result } : op.metadata;
    this.store.transaction(() => {
      this.store.updateOperation(op.uuid, {
        status: outcome.status,
        error: outcome.error ?? null,
        finished_at: new Date(now).toISOString(),
        duration: durationMs / 1000,
        result_image_uuid: outcome.resultImageUuid ?? null,
        result_tag: outcome.resultTag ?? null,
        image_size: outcome.imageSize ?? 0,
        metadata,
        ...(outcome.outputs ? { outputs: outcome.outputs } : {}),
      });
      this.events.append(op.uuid, 0, "completion", {
        status: outcome.status,
        result_image_uuid: outcome.resultImageUuid ?? null,
        error: outcome.error ?? null,
        duration_ms: durationMs,
        image_size_bytes: outcome.imageSize ?? 0,
      });
    });
    this.options.log.info(
      `operation ${op.uuid} (${op.kind}) ${outcome.status}${
        outcome.error ? `: ${outcome.error}` : ""
      } in ${(durationMs / 1000).toFixed(3)}s`,
    );
  }
}
