// `contree run` (CLI spec §8.1): spawn an instance from the session image, stream its output
// live over the event log, and advance the session on success.
//
// Deviations from the reference (docs/DEVIATIONS.md): output is never printed twice when the
// follower ends through a status probe; `-f table|csv|tsv` print the result row; Ctrl-C exits
// 130 (SIGTERM 143) after cancelling the operation; a synthesised operation is not cached.

import type { ContreeClient } from "../api/client.ts";
import type { FileSpec, InstanceSpawnRequest, Operation, OperationEvent } from "../api/models.ts";
import { decodeStreamRepr } from "../api/stream_repr.ts";
import type { Context } from "../context.ts";
import { BrokenPipe, ContreeError, Exit, ExitCode, Interrupted, isBrokenPipe } from "../errors.ts";
import { concatBytes, type Sink } from "../io.ts";
import type { FormatName, Formatter, Row } from "../output/formatter.ts";
import { followOperation, type FollowResult } from "../sse/follow.ts";
import { expandFileSpecs, type MappedFile } from "./file_spec.ts";
import { buildSpawnRequest, octalMode, parseEnvPairs } from "./payload.ts";
import { sanitizeTerminalText } from "./sanitize.ts";
import { readAvailableStdin } from "./stdin.ts";

export interface RunOptions {
  command: string[];
  timeout: number;
  cwd?: string;
  env: string[];
  hostname: string;
  disposable: boolean;
  interpreter: boolean;
  shell: boolean;
  files: string[];
  fileExcludes: string[];
  truncate: number;
  preserveEnv: boolean;
  detach: boolean;
  use?: string;
}

/** What `run` needs from the session store. */
export interface RunSession {
  /** Records `use IMAGE` (kind "use") on the active branch. */
  useImage(image: string, title: string): void;
  /** The active branch's image; throws the "No active session" error without one. */
  currentImage(): string;
  /** The session cwd ("" when never changed). */
  cwd(): string;
  env(): Record<string, string>;
  /** Staged files waiting for the next run, by sandbox path. */
  pendingFiles(): Record<string, FileSpec>;
  preservedEnv(image: string): Record<string, string> | undefined;
  setPreservedEnv(image: string, env: Record<string, string>): void;
  /** A successful non-disposable run: the branch moves to its image. */
  advance(image: string, title: string, operation: string): void;
  disposableBranch(operation: string, title: string): void;
  detachedBranch(operation: string, title: string): void;
  addPendingOperation(
    entry: { op: string; title: string; disposable: boolean; branch: string },
  ): void;
}

export interface RunDeps {
  ctx: Context;
  client: ContreeClient;
  session: RunSession;
  format: FormatName;
  output(): Formatter;
  resolveImage(ref: string): Promise<string>;
  /** Uploads (deduplicated) and returns the file UUID of each host path. */
  uploadFiles(files: MappedFile[]): Promise<Map<string, string>>;
}

/** How long cancelling may take after an interrupt or a broken pipe. */
const CANCEL_TIMEOUT_MS = 10_000;

/** Bytes a live stream may hold while a write is in flight before the reader waits. */
const MAX_QUEUED_BYTES = 1024 * 1024;

/**
 * Hands bytes to a sink without waiting for each write: the first write starts at once, and
 * while it is in flight later bytes are gathered and written together after it. An idle stream
 * is written at once; a fast one in few large writes (one per event would cost a syscall each).
 * A failed write (a broken pipe) is thrown by the next `write` or by `drain`.
 */
export class CoalescingWriter {
  #queued: Uint8Array[] = [];
  #queuedBytes = 0;
  #inFlight?: Promise<void>;
  #failure?: { error: unknown };

  constructor(private readonly sink: Sink) {}

  async write(bytes: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    this.#queued.push(bytes);
    this.#queuedBytes += bytes.length;
    this.#inFlight ??= this.#pump();
    if (this.#queuedBytes >= MAX_QUEUED_BYTES) await this.#inFlight;
    this.#throwIfFailed();
  }

  /** Resolves once everything handed over is written; throws a write's failure. */
  async drain(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
    this.#throwIfFailed();
  }

  async #pump(): Promise<void> {
    try {
      while (this.#queued.length > 0) {
        const data = this.#queued.length === 1 ? this.#queued[0] : concatBytes(this.#queued);
        this.#queued = [];
        this.#queuedBytes = 0;
        await this.sink.write(data);
      }
    } catch (error) {
      this.#failure = { error };
      this.#queued = [];
      this.#queuedBytes = 0;
    } finally {
      this.#inFlight = undefined;
    }
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}

/** Writes live output as it arrives, or collects it for a result row. */
export class OutputSink {
  readonly stdout: Uint8Array[] = [];
  readonly stderr: Uint8Array[] = [];
  readonly #live?: { stdout: CoalescingWriter; stderr: CoalescingWriter };
  #lastStream?: "stdout" | "stderr";

  constructor(private readonly ctx: Context, live: boolean) {
    if (live) {
      this.#live = {
        stdout: new CoalescingWriter(ctx.stdout),
        stderr: new CoalescingWriter(ctx.stderr),
      };
    }
  }

  async onEvent(event: OperationEvent): Promise<void> {
    if (event.type === "stdout" || event.type === "stderr") {
      const bytes = decodeStreamRepr(event.data);
      if (bytes.length === 0) return;
      if (!this.#live) {
        this[event.type].push(bytes);
        return;
      }
      // Output keeps its order across the two streams (they often share a terminal).
      if (this.#lastStream && this.#lastStream !== event.type) {
        await this.#live[this.#lastStream].drain();
      }
      this.#lastStream = event.type;
      await this.#live[event.type].write(bytes);
    } else if (event.type === "truncated") {
      await this.drain();
      const data = event.data as { stream?: string; bytes_dropped?: number };
      this.ctx.log.warning(
        `${data.stream ?? "output"} truncated: ${
          data.bytes_dropped ?? "some"
        } bytes dropped (raise -T/--truncate)`,
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

async function readScript(ctx: Context, path: string | undefined): Promise<Uint8Array> {
  if (!path) throw new ContreeError("-I/--interpreter needs a script path as the command");
  const full = path.startsWith("/") ? path : `${ctx.cwd}/${path}`;
  try {
    return await Deno.readFile(full);
  } catch (error) {
    throw new ContreeError(`Cannot read script ${path}: ${(error as Error).message}`);
  }
}

/** The files of the request: `-F` first, then staged files for paths not already present. */
async function requestFiles(deps: RunDeps, options: RunOptions): Promise<Record<string, FileSpec>> {
  const files: Record<string, FileSpec> = {};
  if (options.files.length > 0) {
    const mapped = await expandFileSpecs(options.files, {
      cwd: deps.session.cwd() || "/",
      hostCwd: deps.ctx.cwd,
      excludes: options.fileExcludes,
      log: deps.ctx.log,
    });
    const uuids = await deps.uploadFiles(mapped);
    for (const file of mapped) {
      files[file.instancePath] = {
        uuid: uuids.get(file.hostPath),
        uid: file.uid,
        gid: file.gid,
        mode: octalMode(file.mode),
      };
    }
  }
  for (const [path, spec] of Object.entries(deps.session.pendingFiles())) {
    if (!(path in files)) files[path] = spec;
  }
  return files;
}

/** The operation record a completion stands for (no GET needed). */
function operationFromFollow(uuid: string, result: FollowResult, output: OutputSink): Operation {
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

/** Exit code of a finished run: the process's own code when known. */
export function runExitCode(operation: Operation): number {
  const code = operation.metadata?.result?.state?.exit_code;
  if (Number.isInteger(code)) return code as number;
  return operation.status === "SUCCESS" ? 0 : 1;
}

/** One row for the non-default formatters: scalar fields + exit_code, image, tag, output. */
export function runResultRow(operation: Operation, stdout: string, stderr: string): Row {
  const row: Row = {};
  for (const [key, value] of Object.entries(operation)) {
    if (key !== "error" && (value === null || typeof value !== "object")) row[key] = value;
  }
  const state = operation.metadata?.result?.state;
  row.exit_code = Number.isInteger(state?.exit_code) ? state!.exit_code : null;
  row.image = operation.result?.image ?? operation.result_image_uuid ?? "";
  row.tag = operation.result?.tag ?? "";
  row.stdout = stdout;
  row.stderr = stderr;
  row.error = operation.error ?? null;
  return row;
}

async function cancelQuietly(deps: RunDeps, uuid: string): Promise<void> {
  try {
    await deps.client.cancelOperation(uuid, {
      ignoreInterrupt: true,
      timeoutMs: CANCEL_TIMEOUT_MS,
      maxRetries: 1,
    });
    deps.ctx.log.info(`Cancelled operation ${uuid}`);
  } catch (error) {
    deps.ctx.log.debug(`Cancelling ${uuid} failed: ${(error as Error).message}`);
  }
}

export async function runCommand(deps: RunDeps, options: RunOptions): Promise<number> {
  const { ctx, client, session } = deps;
  let image: string;
  if (options.use) {
    image = await deps.resolveImage(options.use);
    session.useImage(image, options.use);
  } else {
    image = session.currentImage();
  }
  const files = await requestFiles(deps, options);
  const env = { ...session.env(), ...parseEnvPairs(options.env) };
  const interpreter = options.interpreter
    ? { script: await readScript(ctx, options.command[0]) }
    : undefined;
  const stdin = interpreter ? undefined : await readAvailableStdin(ctx.stdin);
  const request: InstanceSpawnRequest = buildSpawnRequest({
    image,
    command: options.command,
    shell: options.shell,
    timeout: options.timeout,
    hostname: options.hostname,
    truncateAt: options.truncate,
    disposable: options.disposable,
    preserveEnv: options.preserveEnv,
    cwd: options.cwd || session.cwd() || undefined,
    env,
    preservedEnv: session.preservedEnv(image),
    files,
    stdin,
    interpreter,
  });
  const title = options.command.join(" ");
  const spawned = await client.spawn(request);
  const uuid = spawned.uuid;
  ctx.log.debug(`Spawned operation ${uuid}`);

  if (options.detach) {
    const branch = `${options.disposable ? "disposable" : "detached"}-${uuid}`;
    session.addPendingOperation({ op: uuid, title, disposable: options.disposable, branch });
    if (options.disposable) session.disposableBranch(uuid, title);
    else session.detachedBranch(uuid, title);
    const out = deps.output();
    await out.write({
      uuid,
      status: typeof spawned.status === "string" ? spawned.status : "PENDING",
    });
    await out.flush();
    return ExitCode.OK;
  }

  const live = deps.format === "default";
  const output = new OutputSink(ctx, live);
  let result: FollowResult;
  try {
    result = await followOperation(client, uuid, { onEvent: (event) => output.onEvent(event) });
    await output.drain();
  } catch (error) {
    if (isBrokenPipe(error)) {
      await cancelQuietly(deps, uuid);
      throw new BrokenPipe({ cause: error });
    }
    if (error instanceof Interrupted) {
      await cancelQuietly(deps, uuid);
    }
    throw error;
  }

  const operation = result.streamed || !result.operation
    ? operationFromFollow(uuid, result, output)
    : result.operation;
  const state = operation.metadata?.result?.state;
  if (state?.timed_out) ctx.log.warning(`Operation ${uuid} timed out after ${options.timeout}s`);
  else if (operation.status !== "SUCCESS") {
    ctx.log.critical(
      `Operation ${uuid} ended with status ${operation.status}${
        operation.error ? `: ${operation.error}` : ""
      }`,
    );
  }

  const capturedStdout = result.streamed
    ? OutputSink.text(output.stdout)
    : text(operation.metadata?.result?.stdout);
  const capturedStderr = result.streamed
    ? OutputSink.text(output.stderr)
    : text(operation.metadata?.result?.stderr);
  if (live) {
    // Only output that was not streamed live is printed here (never twice).
    if (!result.streamed) {
      if (capturedStdout) await ctx.stdout.write(sanitizeTerminalText(capturedStdout));
      if (capturedStderr) await ctx.stderr.write(sanitizeTerminalText(capturedStderr));
    }
  } else {
    const out = deps.output();
    await out.write(runResultRow(operation, capturedStdout, capturedStderr));
    await out.flush();
  }

  const resultImage = operation.result?.image ?? operation.result_image_uuid;
  if (operation.status === "SUCCESS" && resultImage) {
    if (options.disposable) session.disposableBranch(uuid, title);
    else {
      session.advance(resultImage, title, uuid);
      if (options.preserveEnv) session.setPreservedEnv(resultImage, env);
    }
  }
  const code = runExitCode(operation);
  if (code !== ExitCode.OK) throw new Exit(code);
  return code;
}

function text(repr: unknown): string {
  return new TextDecoder().decode(decodeStreamRepr(repr));
}
