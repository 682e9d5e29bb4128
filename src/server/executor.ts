// Runs instance operations as podman containers (one container `contree-op-<uuid>` per run).
//
// Cheap path: one `podman run` (with `--rm` when disposable). When files must be injected (or
// the working directory is missing from the image), the container is created first, a tar of
// the files is streamed into `podman cp`, and `podman start -a` runs it. stdout and stderr of
// the podman client are the process's own streams; each chunk becomes an event as it arrives.
// A successful non-disposable run is committed to a new image.

import type { InstanceResult } from "../api/models.ts";
import { decodeStreamRepr } from "../api/stream_repr.ts";
import type { Logger } from "../log.ts";
import {
  parsePodmanMessage,
  type PodmanProcess,
  type PodmanRunner,
  runChecked,
} from "../podman.ts";
import type { BlobStore } from "./blobs.ts";
import { storageError } from "./errors.ts";
import { type ImageCatalog, LABEL_OPERATION, LABEL_SERVER } from "./images.ts";
import { type ImageMounts, resolveInImage } from "./inspect.ts";
import type { OutputRef } from "./outputs.ts";
import {
  type OperationRunner,
  type Outcome,
  type RunContext,
  stoppedOutcome,
} from "./operations.ts";
import { commandLine, type InstanceSpec } from "./spawn.ts";
import type { ImageRow, Store } from "./store.ts";
import { iteratorStream, tarChunks, type TarMember } from "../tar/write.ts";

export interface ExecutorDeps {
  podman: PodmanRunner;
  store: Store;
  blobs: BlobStore;
  images: ImageCatalog;
  mounts: ImageMounts;
  log: Logger;
  now?: () => number;
}

/** podman's default PATH, restored when an earlier run's PATH leaked into a committed image. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Variables podman sets in every container itself. */
const PODMAN_ENV = new Set(["TERM", "container", "HOSTNAME"]);
const SECRET_NAME = /(token|secret|password|api_key|credentials|authorization)$/i;
const RESOURCE_KEYS = [
  "user_time_us",
  "sys_time_us",
  "max_rss_kb",
  "shared_memory",
  "unshared_memory",
  "swaps",
  "minor_faults",
  "major_faults",
  "voluntary_ctx_switches",
  "involuntary_ctx_switches",
  "block_input_ops",
  "block_output_ops",
  "ipc_msgs_sent",
  "ipc_msgs_received",
  "signals_received",
];
const TAIL_BYTES = 4096;

/** True when `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The container of a run (one per operation). */
export function sandboxContainerName(opUuid: string): string {
  return `contree-op-${opUuid}`;
}

/**
 * `podman commit` keeps a run's environment in the new image. A run therefore gets its
 * effective environment (the image's preserved env overlaid with the request's) explicitly, and
 * every other variable left in the image's config by earlier runs is unset.
 */
export function environmentArgs(
  image: Pick<ImageRow, "env" | "config_env">,
  requested: Record<string, string> | null,
): { args: string[]; effective: Record<string, string> } {
  const effective = { ...image.env, ...requested };
  const args = Object.entries(effective).flatMap(([name, value]) => ["--env", `${name}=${value}`]);
  for (const entry of image.config_env) {
    const split = entry.indexOf("=");
    const name = split < 0 ? entry : entry.slice(0, split);
    if (name in effective || PODMAN_ENV.has(name)) continue;
    if (name === "PATH") {
      if (entry.slice(split + 1) !== DEFAULT_PATH) args.push("--env", `PATH=${DEFAULT_PATH}`);
    } else args.push("--unsetenv", name);
  }
  return { args, effective };
}

/**
 * What a spawn hands the executor without storing it: the environment in clear (the stored
 * metadata and the spawn event show secret-looking values masked, see `redactEnv`).
 */
export interface InstanceInput {
  env: Record<string, string> | null;
}

/** The environment as stored and shown: values of secret-looking names are `<MASKED>`. */
export function redactEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [name, SECRET_NAME.test(name) ? "<MASKED>" : value]),
  );
}

/** `podman run`/`create` options of a run (everything but the image and the command). */
function containerOptions(
  serverId: string,
  opUuid: string,
  spec: InstanceSpec,
  envArgs: string[],
): string[] {
  return [
    ...["--name", sandboxContainerName(opUuid)],
    ...["--label", `${LABEL_SERVER}=${serverId}`, "--label", `${LABEL_OPERATION}=${opUuid}`],
    // passthrough: the process writes straight into the pipes the server reads (no copy
    // through conmon and the podman client); podman keeps no log.
    ...["--pull", "never", "--log-driver", "passthrough"],
    ...["--user", `${spec.uid}:${spec.gid}`, "--hostname", spec.hostname, "--workdir", spec.cwd],
    ...(spec.networking.enabled ? [] : ["--network", "none"]),
    ...envArgs,
  ];
}

/**
 * Output of one process stream: each chunk goes to the event log as it arrives (stored once, in
 * the operation's output files) up to the cap; the rest is counted as dropped. Nothing is held
 * but the last few bytes (podman's own error message ends stderr).
 */
export class OutputCapture {
  #emitted = 0;
  #dropped = 0;
  #ascii = true;
  #tail = new Uint8Array();
  #storeError: Error | undefined;

  constructor(
    readonly stream: "stdout" | "stderr",
    private readonly cap: number,
    private readonly ctx: Pick<RunContext, "emit" | "output">,
    readonly spid = 1,
  ) {}

  push(chunk: Uint8Array): void {
    const kept = chunk.subarray(0, Math.max(0, this.cap - this.#emitted));
    let stored = 0;
    if (kept.length > 0 && !this.#storeError) {
      try {
        const output = this.ctx.output(this.spid, this.stream, kept);
        stored = output.kept;
        this.#ascii &&= output.ascii;
      } catch (error) {
        this.#storeError = error as Error; // e.g. a full disk: the rest is dropped
      }
    }
    this.#emitted += stored;
    this.#dropped += chunk.length - stored;
    const recent = chunk.subarray(Math.max(0, chunk.length - TAIL_BYTES));
    const joined = new Uint8Array(this.#tail.length + recent.length);
    joined.set(this.#tail);
    joined.set(recent, this.#tail.length);
    this.#tail = joined.slice(Math.max(0, joined.length - TAIL_BYTES));
  }

  /** Why output could not be stored, if it could not. */
  get storeError(): Error | undefined {
    return this.#storeError;
  }

  /** Emits the `truncated` event when output was dropped (with the reason when not the cap). */
  finish(): void {
    if (this.#dropped > 0) {
      const failure = this.#storeError && storageError(this.#storeError);
      this.ctx.emit(this.spid, "truncated", {
        stream: this.stream,
        bytes_emitted: this.#emitted,
        bytes_dropped: this.#dropped,
        ...(this.#storeError
          ? { reason: `output could not be stored: ${failure?.message ?? "storage error"}` }
          : {}),
      });
    }
  }

  /** The last bytes written (whether emitted or dropped), as text. */
  tail(): string {
    return new TextDecoder().decode(this.#tail);
  }

  /** Where the captured record of this stream is stored. */
  ref(): OutputRef {
    return {
      spid: this.spid,
      stream: this.stream,
      bytes: this.#emitted,
      ascii: this.#ascii,
      truncated: this.#dropped > 0,
    };
  }
}

/** Output is gathered into events of up to this many bytes… */
const EVENT_BYTES = 256 * 1024;
/** …or of what arrived within this long (so a trickle of output is still live). */
const EVENT_DELAY_MS = 5;
const READ_BYTES = 64 * 1024;

/**
 * Gathers the small reads of a process's pipes (a few KiB each) into fewer, larger events, in
 * the order the bytes arrived: bytes of one stream flush the other stream's pending ones first.
 * Reads go into reused buffers and events are stored synchronously from one reused buffer, so
 * output of any size passes through a fixed amount of memory.
 */
export class OutputGatherer {
  readonly #pending = new Uint8Array(EVENT_BYTES);
  #size = 0;
  #stream?: "stdout" | "stderr";
  #timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly captures: Record<"stdout" | "stderr", OutputCapture>) {}

  /** Reads `readable` (one of the process's pipes) to its end. */
  async drain(stream: "stdout" | "stderr", readable: ReadableStream<Uint8Array>): Promise<void> {
    let reader: ReadableStreamBYOBReader | undefined;
    try {
      reader = readable.getReader({ mode: "byob" });
    } catch {
      // Not a byte stream (a test double): its own chunks.
      for await (const chunk of readable) this.#push(stream, chunk);
      this.flush();
      return;
    }
    let buffer = new ArrayBuffer(READ_BYTES);
    for (;;) {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      if (done || !value) break;
      this.#push(stream, value);
      buffer = value.buffer as ArrayBuffer;
    }
    this.flush();
  }

  #push(stream: "stdout" | "stderr", chunk: Uint8Array): void {
    if (this.#stream !== stream) this.flush();
    this.#stream = stream;
    for (let at = 0; at < chunk.length;) {
      const part = chunk.subarray(at, at + EVENT_BYTES - this.#size);
      this.#pending.set(part, this.#size);
      this.#size += part.length;
      at += part.length;
      if (this.#size === EVENT_BYTES) this.flush();
    }
    if (this.#size > 0) this.#timer ??= setTimeout(() => this.flush(), EVENT_DELAY_MS);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#size === 0 || !this.#stream) return;
    const size = this.#size;
    this.#size = 0;
    this.captures[this.#stream].push(this.#pending.subarray(0, size));
  }
}

export class InstanceExecutor {
  readonly #cleanups = new Set<Promise<unknown>>();
  readonly #now: () => number;

  constructor(private readonly deps: ExecutorDeps) {
    this.#now = deps.now ?? Date.now;
  }

  get runner(): OperationRunner {
    return (ctx) => this.#run(ctx);
  }

  /** Waits for background container removals (shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#cleanups]);
  }

  #background(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => {}).finally(() => this.#cleanups.delete(tracked));
    this.#cleanups.add(tracked);
  }

  async #cwdMissing(image: ImageRow, cwd: string): Promise<boolean> {
    try {
      return await this.deps.mounts.use(image.podman_id, async (lease) => {
        return (await resolveInImage(lease.root, cwd)) === undefined;
      });
    } catch {
      return false; // cannot look (e.g. rootless podman): let podman report a missing cwd
    }
  }

  #injection(spec: InstanceSpec, withCwd: boolean): TarMember[] {
    const mtime = Math.trunc(this.#now() / 1000);
    const members: TarMember[] = [];
    if (withCwd) {
      members.push({
        entry: {
          name: spec.cwd.slice(1),
          type: "directory",
          mode: 0o755,
          uid: spec.uid,
          gid: spec.gid,
          mtime,
        },
      });
    }
    for (const [path, file] of Object.entries(spec.files)) {
      const record = this.deps.store.file(file.uuid);
      if (!record) throw new Error(`file not found: ${file.uuid}`);
      members.push({
        entry: {
          name: path.slice(1),
          type: "file",
          mode: parseInt(file.mode, 8),
          uid: file.uid,
          gid: file.gid,
          size: record.size,
          mtime,
        },
        source: this.deps.blobs.path(record.sha256),
      });
    }
    return members;
  }

  async #run(ctx: RunContext): Promise<Outcome> {
    const { podman, store, images } = this.deps;
    const spec = ctx.op.metadata as unknown as InstanceSpec;
    const image = store.image(spec.image);
    if (!image) return { status: "FAILED", error: `image not found: ${spec.image}` };
    const name = sandboxContainerName(ctx.op.uuid);
    const requestedEnv = (ctx.transient as InstanceInput | undefined)?.env ?? spec.env;
    const environment = environmentArgs(image, requestedEnv);
    const cwdMissing = await this.#cwdMissing(image, spec.cwd);
    const members = this.#injection(spec, cwdMissing);
    const stdin = spec.stdin ? decodeStreamRepr(spec.stdin) : undefined;
    const options = containerOptions(images.serverId, ctx.op.uuid, spec, environment.args);
    if (stdin) options.push("--interactive");
    const argv = commandLine(spec);
    if (ctx.signal.aborted) return stoppedOutcome(ctx.signal);

    const created = members.length > 0;
    let child: PodmanProcess;
    try {
      if (created) {
        await runChecked(podman, ["create", ...options, image.podman_id, ...argv], {
          signal: ctx.signal,
        });
        await runChecked(podman, ["cp", "--archive=false", "-", `${name}:/`], {
          stdin: iteratorStream(tarChunks(members)),
          timeoutMs: 600_000,
          signal: ctx.signal,
        });
      }
      if (ctx.signal.aborted) throw ctx.signal.reason;
      ctx.executing();
      ctx.emit(1, "spawn", {
        pid: 1,
        command: spec.command,
        args: spec.args,
        shell: spec.shell,
        cwd: spec.cwd,
        uid: spec.uid,
        gid: spec.gid,
        timeout: spec.timeout,
        truncate_at: spec.truncate_output_at,
        env: redactEnv(environment.effective),
      });
      for (let at = 0; stdin && at < stdin.length; at += EVENT_BYTES) {
        ctx.output(1, "stdin", stdin.subarray(at, at + EVENT_BYTES));
      }
      child = podman.spawn(
        created
          ? ["start", "--attach", ...(stdin ? ["--interactive"] : []), name]
          : ["run", ...(spec.disposable ? ["--rm"] : []), ...options, image.podman_id, ...argv],
        { stdin },
      );
    } catch (error) {
      if (created) this.#background(this.#remove(name));
      if (ctx.signal.aborted) return stoppedOutcome(ctx.signal);
      return { status: "FAILED", error: (error as Error).message };
    }

    const started = this.#now();
    const stdout = new OutputCapture("stdout", spec.truncate_output_at, ctx);
    const stderr = new OutputCapture("stderr", spec.truncate_output_at, ctx);
    const gatherer = new OutputGatherer({ stdout, stderr });
    const pumps = Promise.all([
      gatherer.drain("stdout", child.stdout),
      gatherer.drain("stderr", child.stderr),
    ]);
    let timedOut = false;
    let stopping: Promise<void> | undefined;
    const stop = () => stopping ??= this.#kill(name, child);
    const timer = setTimeout(() => {
      timedOut = true;
      void stop();
    }, spec.timeout * 1000);
    ctx.signal.addEventListener("abort", stop, { once: true });
    if (ctx.signal.aborted) void stop();
    let exitCode: number;
    try {
      exitCode = await child.exitCode;
      await pumps;
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", stop);
    }
    const durationMs = this.#now() - started;
    const killed = stopping !== undefined;
    stdout.finish();
    stderr.finish();
    ctx.emit(1, "exit", {
      pid: 1,
      code: exitCode,
      signal: killed ? 9 : -1,
      core_dump: false,
      timed_out: timedOut,
      duration_ms: durationMs,
      resources: Object.fromEntries(RESOURCE_KEYS.map((key) => [key, -1])),
    });
    const result: InstanceResult = {
      state: {
        exit_code: exitCode,
        pid: 1,
        signal: killed ? 9 : -1,
        timed_out: timedOut,
        core_dump: false,
        stopped: false,
        continued: false,
      },
      resources: { elapsed_time: durationMs / 1000 },
    };
    const outputs = { stdout: stdout.ref(), stderr: stderr.ref() };

    let outcome: Outcome;
    const removeAfter = created || !spec.disposable || killed;
    try {
      outcome = await this.#outcome(ctx, spec, image, {
        exitCode,
        timedOut,
        stderr,
        name,
        env: requestedEnv,
      });
    } finally {
      if (removeAfter) this.#background(this.#remove(name));
    }
    ctx.emit(0, "shutdown", {
      stopped_at: new Date(this.#now()).toISOString(),
      reason: timedOut
        ? "timeout"
        : ctx.signal.reason === "cancel"
        ? "cancelled"
        : ctx.signal.aborted
        ? "server_shutdown"
        : "job_complete",
    });
    return { ...outcome, result, outputs };
  }

  async #outcome(
    ctx: RunContext,
    spec: InstanceSpec,
    image: ImageRow,
    run: {
      exitCode: number;
      timedOut: boolean;
      stderr: OutputCapture;
      name: string;
      env: Record<string, string> | null;
    },
  ): Promise<Outcome> {
    if (ctx.signal.aborted) return stoppedOutcome(ctx.signal);
    if (run.timedOut) {
      return { status: "FAILED", error: `timed out after ${spec.timeout}s` };
    }
    // 125 is podman's own failure (the process never ran); its message ends stderr.
    const podmanError = run.exitCode === 125 && /(^|\n)Error: /.test(run.stderr.tail())
      ? parsePodmanMessage(run.stderr.tail())
      : undefined;
    if (podmanError) return { status: "FAILED", error: `podman: ${podmanError}` };
    if (spec.disposable) {
      return { status: "SUCCESS", resultImageUuid: image.uuid, imageSize: 0 };
    }
    const uuid = crypto.randomUUID();
    const newImage = { uuid, operationUuid: ctx.op.uuid, tag: null };
    const { podman, images } = this.deps;
    try {
      // A cancel (or shutdown) stops the commit too.
      await runChecked(
        podman,
        ["commit", "--quiet", ...images.labelChanges(newImage), run.name, images.podmanName(uuid)],
        { timeoutMs: 600_000, signal: ctx.signal },
      );
      const env = spec.preserve_env ? { ...image.env, ...run.env } : image.env;
      const row = await images.register(newImage, env, ctx.signal);
      return { status: "SUCCESS", resultImageUuid: row.uuid, imageSize: row.size };
    } catch (error) {
      // Whatever the commit left (an image nobody will register) goes.
      const left = await images.discard(uuid);
      if (left) this.deps.log.warning(`could not remove unregistered image ${uuid}: ${left}`);
      if (ctx.signal.aborted) return stoppedOutcome(ctx.signal);
      return { status: "FAILED", error: `snapshot failed: ${(error as Error).message}` };
    }
  }

  /** Kills the container, retrying while podman is still creating it; last resort: the client. */
  async #kill(name: string, child: PodmanProcess): Promise<void> {
    const exited = child.exitCode.then(() => true, () => true);
    for (let attempt = 0; attempt < 20; attempt++) {
      await this.deps.podman.run(["kill", name], { timeoutMs: 10_000 }).catch(() => {});
      if (await settlesWithin(exited, 500)) return;
    }
    this.deps.log.warning(`podman did not stop ${name}; stopping the podman client`);
    child.stop();
  }

  /** Removes a run's container; a failure is logged (the start-up sweep removes it then). */
  async #remove(name: string): Promise<void> {
    const result = await this.deps.podman.run(["rm", "--force", "--time", "0", name], {
      timeoutMs: 60_000,
    }).catch((error: Error) => ({ code: -1, stdout: "", stderr: error.message }));
    if (result.code !== 0) {
      this.deps.log.warning(`could not remove ${name}: ${parsePodmanMessage(result.stderr)}`);
    }
  }
}
