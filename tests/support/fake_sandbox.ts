// Running sandboxes on the FakeApi, with the local server's event-log semantics, so a test can
// put the same fault between the CLI and either backend: `POST /instances` starts an operation
// whose program (looked up by its script) prints its chunks over time; `GET …/events` follows
// the log live (`follow=1`) or replays it and closes, resumes strictly after `Last-Event-Id`,
// ends with `completion`; the record turns terminal when the completion is in the log and keeps
// the captured output up to `truncate_output_at` (a `truncated` event reports the rest), like
// src/server/executor.ts. `crash()` is a restart: running operations end FAILED with the
// server's reason. A program may `hold` after some chunks (a run still in progress).

import type { InstanceSpawnRequest, Operation, OperationEvent } from "../../src/api/models.ts";
import { encodeStreamRepr } from "../../src/api/stream_repr.ts";
import { concatBytes } from "../../src/bytes.ts";
import { RESTARTED_ERROR } from "../../src/server/operations.ts";
import { type FakeApi, sseFrame } from "./fake_api.ts";

export interface Chunk {
  stream: "stdout" | "stderr";
  bytes: Uint8Array;
}

export interface Program {
  /** The shell script a real sandbox runs (`sh -c`) to print exactly `chunks`. */
  script: string;
  chunks: Chunk[];
  exit: number;
  /** Stop after this many chunks until `release()` (a run still in progress). */
  holdAfter?: number;
}

interface RunningOp {
  record: Operation;
  events: OperationEvent[];
  /** Resolves (and is replaced) whenever the log grows. */
  changed: Promise<void>;
  grew: () => void;
  done: boolean;
  release?: () => void;
}

const encoder = new TextEncoder();

/** The script a program is registered under: `sh -c SCRIPT` or a shell-form RUN. */
function scriptOf(request: InstanceSpawnRequest): string {
  return request.shell ? request.command : request.args?.at(-1) ?? request.command;
}

export class FakeSandbox {
  readonly ops = new Map<string, RunningOp>();
  readonly cancelled: string[] = [];
  readonly #programs = new Map<string, Program>();

  constructor(private readonly fake: FakeApi) {
    fake.on("POST", "/v1/instances", (request) => {
      const spawn = JSON.parse(new TextDecoder().decode(request.body)) as InstanceSpawnRequest;
      const program = this.#programs.get(scriptOf(spawn));
      if (!program) {
        return { status: 400, json: { error: `no fake program for ${scriptOf(spawn)}` } };
      }
      const uuid = crypto.randomUUID();
      this.#start(uuid, spawn, program);
      return { status: 201, json: { uuid, status: "PENDING" } };
    });
    // Any image runs here: each one a build's FROM asks about exists.
    fake.on("GET", "/v1/inspect/:uuid/", (_request, params) => ({
      json: { uuid: params.uuid, tag: null, created_at: "2026-01-01T00:00:00Z" },
    }));
    fake.on("GET", "/v1/operations/:uuid", (_request, params) => {
      const op = this.ops.get(params.uuid);
      return op
        ? { json: op.record }
        : { status: 404, json: { error: "operation not found", status: 404 } };
    });
    fake.on("DELETE", "/v1/operations/:uuid", (_request, params) => {
      const op = this.ops.get(params.uuid);
      if (!op) return { status: 404, json: { error: "operation not found", status: 404 } };
      if (op.done) return { status: 409, json: { error: "operation is not cancellable" } };
      this.cancelled.push(params.uuid);
      this.#finish(op, "CANCELLED", "operation was cancelled");
      return { status: 202 };
    });
    fake.on("GET", "/v1/operations/:uuid/events", (request, params) => {
      const op = this.ops.get(params.uuid);
      if (!op) return { status: 404, json: { error: "operation not found", status: 404 } };
      const after = Number(request.headers.get("last-event-id") ?? -1);
      const follow = ["1", "true"].includes(request.query.get("follow") ?? "");
      const gzip = /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
      return this.#stream(op, after, follow, gzip);
    });
  }

  /** Registers a program (by its script). */
  program(program: Program): this {
    this.#programs.set(program.script, program);
    return this;
  }

  /** Lets held programs go on. */
  release(): void {
    for (const op of this.ops.values()) op.release?.();
  }

  /** A restart after a crash: every running operation ends FAILED, its log completed. */
  crash(): void {
    for (const op of this.ops.values()) {
      if (!op.done) this.#finish(op, "FAILED", RESTARTED_ERROR);
    }
  }

  #append(op: RunningOp, spid: number, type: string, data: Record<string, unknown>): void {
    op.events.push({ id: op.events.length, ts: new Date().toISOString(), spid, type, data });
    op.grew();
    op.changed = new Promise((resolve) => (op.grew = resolve));
  }

  #finish(op: RunningOp, status: string, error: string | null, imageUuid?: string): void {
    op.done = true;
    op.release?.();
    Object.assign(op.record, {
      status,
      error,
      duration: 0.25,
      result_image_uuid: imageUuid ?? null,
      result: { image: imageUuid ?? null, tag: null },
    });
    this.#append(op, 0, "completion", {
      status,
      result_image_uuid: imageUuid ?? null,
      error,
      duration_ms: 250,
    });
  }

  #start(uuid: string, spawn: InstanceSpawnRequest, program: Program): void {
    let grew!: () => void;
    const changed = new Promise<void>((resolve) => (grew = resolve));
    const record: Operation = {
      uuid,
      kind: "instance",
      status: "EXECUTING",
      error: null,
      created_at: new Date().toISOString(),
      duration: null,
      image_uuid: spawn.image,
      result_image_uuid: null,
      metadata: { ...spawn, result: {} },
      result: { image: null, tag: null },
    };
    const op: RunningOp = { record, events: [], changed, grew, done: false };
    this.ops.set(uuid, op);
    const cap = spawn.truncate_output_at ?? 1024 * 1024;
    void (async () => {
      const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
      this.#append(op, 0, "init", { init_pid: 1 });
      this.#append(op, 1, "spawn", { pid: 1, command: spawn.command });
      const kept = { stdout: [] as Uint8Array[], stderr: [] as Uint8Array[] };
      const emitted = { stdout: 0, stderr: 0 };
      const dropped = { stdout: 0, stderr: 0 };
      for (const [index, chunk] of program.chunks.entries()) {
        if (program.holdAfter === index) {
          await new Promise<void>((resolve) => (op.release = resolve));
          op.release = undefined;
        }
        if (op.done) return;
        // Over time, not all at once: a follower sees the run while it is running.
        if (index % 20 === 0) await tick();
        const piece = chunk.bytes.subarray(0, Math.max(0, cap - emitted[chunk.stream]));
        dropped[chunk.stream] += chunk.bytes.length - piece.length;
        if (piece.length === 0) continue;
        emitted[chunk.stream] += piece.length;
        kept[chunk.stream].push(piece);
        this.#append(op, 1, chunk.stream, { ...encodeStreamRepr(piece) });
      }
      if (op.done) return;
      for (const stream of ["stdout", "stderr"] as const) {
        if (dropped[stream] > 0) {
          this.#append(op, 1, "truncated", {
            stream,
            bytes_emitted: emitted[stream],
            bytes_dropped: dropped[stream],
          });
        }
      }
      this.#append(op, 1, "exit", {
        pid: 1,
        code: program.exit,
        signal: -1,
        timed_out: false,
        duration_ms: 5,
        resources: {},
      });
      record.metadata!.result = {
        state: { exit_code: program.exit, timed_out: false, pid: 1, signal: -1 },
        stdout: { ...encodeStreamRepr(concatBytes(kept.stdout)), truncated: dropped.stdout > 0 },
        stderr: { ...encodeStreamRepr(concatBytes(kept.stderr)), truncated: dropped.stderr > 0 },
      };
      this.#append(op, 0, "shutdown", { reason: "job_complete" });
      const image = spawn.disposable ? spawn.image : crypto.randomUUID();
      this.#finish(op, "SUCCESS", null, image);
    })();
  }

  /** The log from `after`, live while `follow` and the operation runs, then closed. */
  #stream(op: RunningOp, after: number, follow: boolean, gzip: boolean): Response {
    let cursor = after;
    let stopped = false;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        const compressor = gzip ? new CompressionStream("gzip") : undefined;
        const writer = compressor?.writable.getWriter();
        const pump = compressor
          ? (async () => {
            for await (const bytes of compressor.readable) {
              if (stopped) return;
              controller.enqueue(bytes);
            }
          })().catch(() => {})
          : Promise.resolve();
        const send = async (text: string) => {
          if (writer) await writer.write(encoder.encode(text));
          else controller.enqueue(encoder.encode(text));
        };
        try {
          for (;;) {
            const next = op.events[Math.max(0, cursor + 1)]; // ids are positions in the log
            if (!next) {
              if (op.done || !follow) break;
              await op.changed;
              continue;
            }
            if (stopped) return;
            await send(sseFrame(next));
            cursor = next.id;
            if (next.type === "completion") break;
          }
          if (writer) await writer.close();
          await pump;
          controller.close();
        } catch {
          // the client went away
        }
      },
      cancel() {
        stopped = true;
      },
    });
    const headers = new Headers({
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
    });
    if (gzip) headers.set("content-encoding", "gzip");
    return new Response(body, { headers });
  }
}

/** Text chunks (UTF-8) of a program. */
export function textChunks(...parts: [Chunk["stream"], string][]): Chunk[] {
  return parts.map(([stream, text]) => ({ stream, bytes: encoder.encode(text) }));
}

/** What a program prints on one stream. */
export function streamText(program: Program, stream: Chunk["stream"]): string {
  return new TextDecoder().decode(
    concatBytes(program.chunks.filter((c) => c.stream === stream).map((c) => c.bytes)),
  );
}
