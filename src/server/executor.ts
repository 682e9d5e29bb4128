// Runs instance operations as podman containers (one container `contree-op-<uuid>` per run).
//
// Cheap path: one `podman run` (with `--rm` when disposable). When files must be injected (or
// the working directory is missing from the image), the container is created first, a tar of
// the files is streamed into `podman cp`, and `podman start -a` runs it. stdout and stderr of
// the podman client are the process's own streams; each chunk becomes an event as it arrives.
// A successful non-disposable run is committed to a new image.

import type { InstanceResult } from "../api/models.ts";
import { isPlainAscii } from "../api/plain_ascii.ts";
import { decodeStreamRepr } from "../api/stream_repr.ts";
import type { Logger } from "../log.ts";
import { DEFAULT_SANDBOX_PATH } from "../sandbox_path.ts";
import {
  parsePodmanMessage,
  type PodmanProcess,
  type PodmanRunner,
  runChecked,
  UNKNOWN_IMAGE,
} from "../podman.ts";
import type { BlobStore } from "./blobs.ts";
import type { ContainerExit, ContainerExits } from "./container_exits.ts";
import { HttpError, storageError } from "./errors.ts";
import { type ImageCatalog, LABEL_OPERATION, LABEL_SERVER } from "./images.ts";
import { type ImageMounts, resolveInImage } from "./inspect.ts";
import type { OutputFiles, OutputRef } from "./outputs.ts";
import {
  limitArgs,
  oomKillCount,
  outOfMemoryError,
  runUserNamespace,
  type SandboxLimits,
  userNamespaceArgs,
} from "./limits.ts";
import {
  type OperationRunner,
  type Outcome,
  type RunContext,
  stoppedOutcome,
} from "./operations.ts";
import {
  commandLine,
  type InstanceSpec,
  type ProcessSpec,
  type RequestEnv,
  setVariables,
} from "./spawn.ts";
import type { ImageRow, Store } from "./store.ts";
import { iteratorStream, tarChunks, type TarMember } from "../tar/write.ts";
import type { RunUsage, UsageMeter } from "./usage.ts";

export interface ExecutorDeps {
  podman: PodmanRunner;
  store: Store;
  blobs: BlobStore;
  /** Where podman writes the output of runs. */
  outputs: OutputFiles;
  /**
   * A directory of the server's own for podman's temporary files: `podman cp -` (4.3) leaves
   * a copy of its input in TMPDIR after every call (containers/podman#19496).
   */
  scratch: string;
  images: ImageCatalog;
  mounts: ImageMounts;
  log: Logger;
  /** Memory, CPU and pids limits and the user namespace of sandboxes (default: none). */
  limits?: SandboxLimits;
  /** Reads what each run used (usage.ts), once it is known whether this host allows it. */
  usage?: Promise<UsageMeter | undefined>;
  /**
   * The subprocesses of runs (subprocesses.ts): given a main process's open stdin, told when a
   * run's main process has exited.
   */
  subprocesses?: {
    openMainStdin(opUuid: string, stdin: WritableStreamDefaultWriter<Uint8Array>): void;
    end(opUuid: string): Promise<void>;
  };
  /** conmon's exit files: a disposable run ends when its process does (container_exits.ts). */
  exits?: ContainerExits;
  now?: () => number;
}

const NO_LIMITS: SandboxLimits = { memoryBytes: 0, cpus: 0, pids: 0 };

/** Variables podman sets in every container itself. */
const PODMAN_ENV = new Set(["TERM", "container", "HOSTNAME"]);
const SECRET_NAME = /(token|secret|password|api_key|credentials|authorization)$/i;
/** Variables podman itself reads (or its libraries): never handed to it in its environment. */
const PODMAN_READS =
  /^(PATH|HOME|TMPDIR|USER|SHELL|LANG|LC_\w*|LD_\w*|XDG_\w*|GO\w*|(CONTAINERS|REGISTRY|PODMAN|BUILDAH|STORAGE|DOCKER)_\w*)$/;

/**
 * `--env` flags for `variables`. A secret-looking value goes to podman in its own environment
 * (`--env NAME`, podman takes the value from there), never on its command line, which any
 * local user reads (`ps`); `passed` is what podman's environment gets for them.
 */
export function envFlags(
  variables: Record<string, string>,
): { args: string[]; passed: Record<string, string> } {
  const args: string[] = [];
  const passed: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    if (SECRET_NAME.test(name) && !PODMAN_READS.test(name)) {
      args.push("--env", name);
      passed[name] = value;
    } else args.push("--env", `${name}=${value}`);
  }
  return { args, passed };
}

export const RESOURCE_KEYS = [
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
/** Seconds past its timeout that podman itself gives a run (the server normally ends it). */
const ORPHAN_GRACE_S = 30;

/** Why a run of `image` failed when podman no longer has it. */
function gone(image: ImageRow): string {
  return `image ${image.uuid} is gone from podman's storage (removed outside contree)`;
}

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
  requested: RequestEnv | null,
): { args: string[]; effective: Record<string, string>; passed: Record<string, string> } {
  // A null value unsets: the variable is not passed, and unset below when the image has it.
  const effective = setVariables({ ...image.env, ...requested });
  const { args, passed } = envFlags(effective);
  for (const entry of image.config_env) {
    const split = entry.indexOf("=");
    const name = split < 0 ? entry : entry.slice(0, split);
    if (name in effective || PODMAN_ENV.has(name)) continue;
    if (name === "PATH") {
      // The default PATH, restored when an earlier run's PATH leaked into a committed image.
      if (entry.slice(split + 1) !== DEFAULT_SANDBOX_PATH) {
        args.push("--env", `PATH=${DEFAULT_SANDBOX_PATH}`);
      }
    } else args.push("--unsetenv", name);
  }
  return { args, effective, passed };
}

/** The data of a process's `spawn` event (API spec §5.3); secret-looking env values masked. */
export function spawnEventData(
  process: ProcessSpec,
  pid: number,
  timeout: number,
  env: Record<string, string>,
): Record<string, unknown> {
  return {
    pid,
    command: process.command,
    args: process.args,
    shell: process.shell,
    cwd: process.cwd,
    uid: process.uid,
    gid: process.gid,
    timeout,
    truncate_at: process.truncate_output_at,
    env: redactEnv(env),
  };
}

/**
 * What a spawn hands the executor without storing it: the environment in clear (the stored
 * metadata and the spawn event show secret-looking values masked, see `redactEnv`).
 */
export interface InstanceInput {
  env: RequestEnv | null;
}

/** The environment as stored and shown: values of secret-looking names are `<MASKED>`. */
export function redactEnv<T extends string | null>(env: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.entries(env).map((
      [name, value],
    ) => [name, value !== null && SECRET_NAME.test(name) ? "<MASKED>" : value]),
  ) as Record<string, T>;
}

/**
 * `podman commit` keeps the container's environment in the image's config, so a run's values
 * (a token among them) were stored in clear in the image and every image after it, although
 * they are not kept without `preserve_env`: the commit blanks them (later runs unset them).
 * Every name a spawn takes can be said so (spawn.ts refuses the others): in double quotes when
 * it has a space.
 */
function unkeptEnvChanges(env: RequestEnv | null): string[] {
  return Object.keys(env ?? {})
    .flatMap((name) => ["--change", `ENV ${/\s/.test(name) ? `"${name}"` : name}=`]);
}

/** What the image holds where a run needs something (see `#lookInImage`). */
interface InImage {
  /** The cwd is not there: it is made. */
  cwdMissing: boolean;
  /** Why the cwd cannot be the run's working directory, if it cannot. */
  cwdProblem?: string;
  /** The cwd with its links resolved inside the image, when it is there. */
  resolvedCwd?: string;
  /** File targets that are directories in the image. */
  directoryTargets: string[];
}

const NOTHING_SEEN: InImage = { cwdMissing: false, directoryTargets: [] };

/** `podman run`/`create` options of a run (everything but the image and the command). */
function containerOptions(
  serverId: string,
  opUuid: string,
  spec: InstanceSpec,
  envArgs: string[],
): string[] {
  return [
    // conmon's own deadline, past the server's: it ends a run whose server died (the output
    // files, not pipes, would not stop it), and start-up trims what it wrote meanwhile.
    ...["--timeout", String(spec.timeout + ORPHAN_GRACE_S)],
    ...["--name", sandboxContainerName(opUuid)],
    ...["--label", `${LABEL_SERVER}=${serverId}`, "--label", `${LABEL_OPERATION}=${opUuid}`],
    // passthrough: the process writes straight into the pipes the server reads (no copy
    // through conmon and the podman client); podman keeps no log.
    ...["--pull", "never", "--log-driver", "passthrough"],
    // podman's init (catatonit) is PID 1 and the command its child, as under the API's sandbox
    // init: the kernel shields PID 1 from every signal it has no handler for, so `sleep` as PID
    // 1 ignored SIGTERM and SIGINT.
    "--init",
    ...["--user", `${spec.uid}:${spec.gid}`, "--hostname", spec.hostname, "--workdir", spec.cwd],
    ...(spec.networking.enabled ? [] : ["--network", "none"]),
    ...envArgs,
  ];
}

/** The limits and user namespace flags of a run (see limits.ts). */
function isolationArgs(limits: SandboxLimits, spec: InstanceSpec): string[] {
  return [...limitArgs(limits), ...userNamespaceArgs(runUserNamespace(limits, spec))];
}

/** The peak in KiB (getrusage's unit for max_rss), when the meter read one. */
function peakKib(used: RunUsage): number | undefined {
  return used.peakMemoryBytes === undefined ? undefined : Math.ceil(used.peakMemoryBytes / 1024);
}

/**
 * A process's exit as the API reports it: `podman exec` and `run` exit 128+N when it died of
 * signal N, which becomes `signal: N` with `exit_code` −1 (API spec §3.6).
 */
export function exitStatus(code: number): { code: number; signal: number } {
  return code > 128 && code <= 128 + 64 ? { code: -1, signal: code - 128 } : { code, signal: -1 };
}

/** catatonit's last line when it could not start the command (it then exits 1). */
const INIT_EXEC_FAILED = /(?:^|\n)ERROR \(catatonit:\d+\): failed to exec pid1: ([^\n]*)\n?$/;

/**
 * The main process's exit from `podman run`'s: as `exitStatus`, except that a command the init
 * could not start exits as a shell's would (127 not found, 126 not executable), not catatonit's 1.
 */
export function mainExitStatus(code: number, stderrTail: string): { code: number; signal: number } {
  const failed = code === 1 ? INIT_EXEC_FAILED.exec(stderrTail) : null;
  if (failed) return { code: failed[1] === "No such file or directory" ? 127 : 126, signal: -1 };
  return exitStatus(code);
}

/** The `exit` event's 15 figures: what the meter read, −1 for the rest (unknown). */
export function exitResources(used: RunUsage | undefined): Record<string, number> {
  const resources: Record<string, number> = Object.fromEntries(
    RESOURCE_KEYS.map((key) => [key, -1]),
  );
  if (used) {
    resources.user_time_us = used.userMicros;
    resources.sys_time_us = used.systemMicros;
    resources.max_rss_kb = peakKib(used) ?? -1;
  }
  return resources;
}

/** `metadata.result.resources`: seconds as floats, `max_rss` in KiB (getrusage's unit). */
function resultResources(durationMs: number, used: RunUsage | undefined): Record<string, number> {
  if (!used) return { elapsed_time: durationMs / 1000 };
  const peak = peakKib(used);
  return {
    elapsed_time: durationMs / 1000,
    user_cpu_time: used.userMicros / 1e6,
    system_cpu_time: used.systemMicros / 1e6,
    ...(peak !== undefined ? { max_rss: peak } : {}),
  };
}

/** Output events hold up to this many bytes. */
const EVENT_BYTES = 256 * 1024;
/** How often the output files are looked at while output flows, and at most when idle. */
const POLL_MS = 5;
const IDLE_POLL_MS = 40;

/** Output bytes being examined (reading and recording are synchronous: one buffer serves all). */
const window = new Uint8Array(EVENT_BYTES);

/**
 * Output of one process stream. podman writes it straight into the stream's output file (its
 * stdout or stderr is that file: no pipe, no copy through the server); `poll` turns what has
 * been written since into events, up to the cap, and cuts the file back to the cap when the
 * process writes past it (those bytes are counted as dropped). Nothing is held in memory.
 */
export class OutputCapture {
  readonly path: string;
  #stored = 0;
  /** The largest size the file was seen at: how far the process wrote. */
  #written = 0;
  #cap: number;
  #ascii = true;
  #tail = "";
  #storeError: Error | undefined;

  constructor(
    readonly stream: "stdout" | "stderr",
    cap: number,
    private readonly ctx: Pick<RunContext, "op" | "emit" | "stored">,
    private readonly files: OutputFiles,
    readonly spid = 1,
  ) {
    this.#cap = cap;
    this.path = files.prepare(ctx.op.uuid, spid, stream);
  }

  /** Records what was written since the last poll; whether there was anything. */
  poll(): boolean {
    if (this.#storeError) return false;
    const op = this.ctx.op.uuid;
    try {
      const size = this.files.size(op, this.spid, this.stream);
      if (size <= this.#written) return false;
      this.#written = size;
      while (this.#stored < Math.min(size, this.#cap)) {
        const length = Math.min(EVENT_BYTES, Math.min(size, this.#cap) - this.#stored);
        const bytes = this.files.read(op, this.spid, this.stream, this.#stored, length, window);
        if (bytes.length === 0) break;
        const ascii = isPlainAscii(bytes);
        const kept = this.ctx.stored(this.spid, this.stream, {
          offset: this.#stored,
          length: bytes.length,
          ascii,
        });
        this.#ascii &&= ascii;
        this.#stored += kept;
        if (kept < bytes.length) this.#cap = this.#stored; // the operation's log is full
      }
      if (size > this.#cap) this.files.truncate(op, this.spid, this.stream, this.#cap);
    } catch (error) {
      this.#storeError = error as Error; // e.g. a full disk: the rest is dropped
    }
    return true;
  }

  /** The last poll, once the process is gone: keeps the end of the stream as text first. */
  finish(): void {
    try {
      const op = this.ctx.op.uuid;
      const size = this.files.size(op, this.spid, this.stream);
      const from = Math.max(0, size - TAIL_BYTES);
      this.#tail = new TextDecoder().decode(
        this.files.read(op, this.spid, this.stream, from, size - from),
      );
    } catch {
      // no tail: only podman's own messages are looked for in it
    }
    this.poll();
    const dropped = Math.max(0, this.#written - this.#stored);
    if (dropped > 0) {
      const failure = this.#storeError && storageError(this.#storeError);
      this.ctx.emit(this.spid, "truncated", {
        stream: this.stream,
        bytes_emitted: this.#stored,
        bytes_dropped: dropped,
        ...(this.#storeError
          ? { reason: `output could not be stored: ${failure?.message ?? "storage error"}` }
          : {}),
      });
    }
  }

  /** Why output could not be stored, if it could not. */
  get storeError(): Error | undefined {
    return this.#storeError;
  }

  /** The last bytes written (whether emitted or dropped), as text. */
  tail(): string {
    return this.#tail;
  }

  /** Where the captured record of this stream is stored. */
  ref(): OutputRef {
    return {
      spid: this.spid,
      stream: this.stream,
      bytes: this.#stored,
      ascii: this.#ascii,
      truncated: this.#written > this.#stored,
    };
  }
}

/** Polls the output files of a process while it runs: often while output flows, less when idle. */
export class OutputPoller {
  #timer?: ReturnType<typeof setTimeout>;
  #delay = POLL_MS;

  constructor(private readonly captures: OutputCapture[]) {}

  start(): void {
    const tick = () => {
      const active = this.captures.map((capture) => capture.poll()).some(Boolean);
      this.#delay = active ? POLL_MS : Math.min(IDLE_POLL_MS, this.#delay * 2);
      this.#timer = setTimeout(tick, this.#delay);
    };
    this.#timer = setTimeout(tick, POLL_MS);
  }

  /** Stops polling and records the rest (call once the process is gone). */
  finish(): void {
    clearTimeout(this.#timer);
    for (const capture of this.captures) capture.finish();
  }
}

export class InstanceExecutor {
  readonly #cleanups = new Set<Promise<unknown>>();
  readonly #now: () => number;
  readonly #limits: SandboxLimits;

  constructor(private readonly deps: ExecutorDeps) {
    this.#now = deps.now ?? Date.now;
    this.#limits = deps.limits ?? NO_LIMITS;
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

  /**
   * What the image holds where the run needs something: whether its cwd is missing (it is
   * created), and which file targets are directories there (podman cp would fail on them
   * with a message that says nothing of the path). Undefined when the image is gone from
   * podman's storage.
   */
  async #lookInImage(
    image: ImageRow,
    spec: InstanceSpec,
  ): Promise<InImage | undefined> {
    try {
      return await this.deps.mounts.use(image.podman_id, async (lease) => {
        const directoryTargets: string[] = [];
        for (const path of Object.keys(spec.files)) {
          if ((await resolveInImage(lease.root, path))?.info.isDirectory) {
            directoryTargets.push(path);
          }
        }
        let cwd: Awaited<ReturnType<typeof resolveInImage>>;
        try {
          cwd = await resolveInImage(lease.root, spec.cwd);
        } catch (error) {
          // A link loop: podman would exit 126, its message (with a host path) the "output".
          if (error instanceof HttpError && error.status === 422) {
            return { ...NOTHING_SEEN, cwdProblem: "has too many levels of symbolic links" };
          }
          throw error;
        }
        return {
          cwdMissing: cwd === undefined,
          cwdProblem: cwd !== undefined && !cwd.info.isDirectory ? "is not a directory" : undefined,
          // Links resolved inside the image: podman follows an absolute one on the host's side
          // (`/d/self -> /d` made `--workdir /d/self` "not exist").
          resolvedCwd: cwd?.path,
          directoryTargets,
        };
      });
    } catch (error) {
      // Removed behind the server's back: podman run would fail as if it were the process (125).
      if (error instanceof HttpError && error.status === 404) return undefined;
      // Cannot look (e.g. rootless podman): podman reports what is wrong.
      return NOTHING_SEEN;
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
    const looked = await this.#lookInImage(image, spec);
    if (!looked) {
      return { status: "FAILED", error: gone(image) };
    }
    const { cwdMissing, cwdProblem, resolvedCwd, directoryTargets } = looked;
    // podman would exit 126 with its message as the process's stderr, and the run "succeed".
    if (cwdProblem) {
      return { status: "FAILED", error: `the working directory ${spec.cwd} ${cwdProblem}` };
    }
    if (directoryTargets.length > 0) {
      return {
        status: "FAILED",
        error: `a file cannot be injected at ${directoryTargets.join(", ")}: ` +
          `the image has a directory there`,
      };
    }
    const members = this.#injection(spec, cwdMissing);
    const stdin = spec.stdin ? decodeStreamRepr(spec.stdin) : undefined;
    // `close: false` keeps the main process's stdin open for POST …/subprocesses/1/stdin.
    const subprocesses = this.deps.subprocesses;
    const stdinPipe = spec.stdin?.close === false && subprocesses
      ? new TransformStream<Uint8Array, Uint8Array>()
      : undefined;
    const meter = await this.deps.usage;
    const argv = commandLine(spec);
    if (ctx.signal.aborted) return stoppedOutcome(ctx.signal);
    const options = [
      ...containerOptions(
        images.serverId,
        ctx.op.uuid,
        resolvedCwd ? { ...spec, cwd: resolvedCwd } : spec,
        environment.args,
      ),
      ...isolationArgs(this.#limits, spec),
      ...meter?.cgroupArgs(ctx.op.uuid) ?? [], // from here the run holds a cgroup: released below
    ];
    if (stdin) options.push("--interactive");

    const created = members.length > 0;
    // Only a disposable `podman run --rm` may end before podman does: nothing follows its exit.
    const cidFile = spec.disposable && !created && this.deps.exits
      ? `${this.deps.scratch}/${ctx.op.uuid}.cid`
      : undefined;
    let exitFile: ContainerExit | undefined;
    let child: PodmanProcess;
    let stdout: OutputCapture;
    let stderr: OutputCapture;
    try {
      if (created) {
        await runChecked(podman, ["create", ...options, image.podman_id, ...argv], {
          signal: ctx.signal,
          env: environment.passed,
        });
        const scratch = await Deno.makeTempDir({ dir: this.deps.scratch, prefix: "cp-" });
        try {
          await runChecked(podman, ["cp", "--archive=false", "-", `${name}:/`], {
            stdin: iteratorStream(tarChunks(members)),
            timeoutMs: 600_000,
            signal: ctx.signal,
            env: { TMPDIR: scratch },
          });
        } finally {
          await Deno.remove(scratch, { recursive: true }).catch(() => {});
        }
      }
      if (ctx.signal.aborted) throw ctx.signal.reason;
      ctx.executing();
      ctx.emit(1, "spawn", spawnEventData(spec, 1, spec.timeout, environment.effective));
      for (let at = 0; stdin && at < stdin.length; at += EVENT_BYTES) {
        ctx.output(1, "stdin", stdin.subarray(at, at + EVENT_BYTES));
      }
      stdout = new OutputCapture("stdout", spec.truncate_output_at, ctx, this.deps.outputs);
      stderr = new OutputCapture("stderr", spec.truncate_output_at, ctx, this.deps.outputs);
      if (cidFile) exitFile = this.deps.exits?.watch(cidFile);
      child = podman.spawn(
        created ? ["start", "--attach", ...(stdin ? ["--interactive"] : []), name] : [
          "run",
          ...(spec.disposable ? ["--rm"] : []),
          ...(cidFile ? ["--cidfile", cidFile] : []),
          ...options,
          image.podman_id,
          ...argv,
        ],
        {
          stdin: stdinPipe?.readable ?? stdin,
          files: { stdout: stdout.path, stderr: stderr.path },
          env: environment.passed,
        },
      );
      // podman may outlive the operation (see #exited); shutdown waits for it all the same.
      this.#background(
        child.exitCode.finally(() => cidFile && Deno.remove(cidFile).catch(() => {})),
      );
      if (stdinPipe && subprocesses) {
        const writer = stdinPipe.writable.getWriter();
        if (stdin && stdin.length > 0) void writer.write(stdin).catch(() => {});
        subprocesses.openMainStdin(ctx.op.uuid, writer);
      }
    } catch (error) {
      exitFile?.close();
      if (created) this.#background(this.#remove(name));
      meter?.release(ctx.op.uuid);
      if (ctx.signal.aborted) return stoppedOutcome(ctx.signal);
      return { status: "FAILED", error: (error as Error).message };
    }

    const started = this.#now();
    const oomKillsBefore = oomKillCount();
    const poller = new OutputPoller([stdout, stderr]);
    poller.start();
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
      exitCode = await this.#exited(child, exitFile, () => stopping !== undefined);
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", stop);
      poller.finish();
      // The container is gone with its main process: its subprocesses end before completion.
      await this.deps.subprocesses?.end(ctx.op.uuid);
    }
    const durationMs = this.#now() - started;
    const used = meter?.read(ctx.op.uuid);
    meter?.release(ctx.op.uuid);
    const killed = stopping !== undefined;
    const outOfMemory = !killed && this.#outOfMemory(exitCode, oomKillsBefore);
    const { code, signal } = killed || outOfMemory
      ? { code: -1, signal: 9 }
      : mainExitStatus(exitCode, stderr.tail());
    ctx.emit(1, "exit", {
      pid: 1,
      code,
      signal,
      core_dump: false,
      timed_out: timedOut,
      duration_ms: durationMs,
      resources: exitResources(used),
    });
    const result: InstanceResult = {
      state: {
        exit_code: code,
        pid: 1,
        signal,
        timed_out: timedOut,
        core_dump: false,
        stopped: false,
        continued: false,
      },
      resources: resultResources(durationMs, used),
    };
    const outputs = { stdout: stdout.ref(), stderr: stderr.ref() };

    let outcome: Outcome;
    const removeAfter = created || !spec.disposable || killed;
    try {
      outcome = outOfMemory
        ? { status: "FAILED", error: outOfMemoryError(this.#limits) }
        : await this.#outcome(ctx, spec, image, {
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
      env: RequestEnv | null;
    },
  ): Promise<Outcome> {
    if (ctx.signal.aborted) return stoppedOutcome(ctx.signal);
    if (run.timedOut) {
      return { status: "FAILED", error: `timed out after ${spec.timeout}s` };
    }
    // 125 is podman's own failure (the process never ran); its message ends stderr. 126 is also
    // what podman exits with when the OCI runtime cannot set the container up.
    const tail = run.stderr.tail();
    const podmanFailed = (run.exitCode === 125 && /(^|\n)Error: /.test(tail)) ||
      (run.exitCode === 126 && /(^|\n)Error: .*error during container init/.test(tail));
    const podmanError = podmanFailed ? parsePodmanMessage(tail) : undefined;
    // Removed behind the server's back while the server held a mount of it (`podman rmi -f`).
    if (podmanError && UNKNOWN_IMAGE.test(podmanError)) {
      return { status: "FAILED", error: gone(image) };
    }
    if (podmanError) return { status: "FAILED", error: `podman: ${podmanError}` };
    if (spec.disposable) {
      return { status: "SUCCESS", resultImageUuid: image.uuid, imageSize: 0 };
    }
    const overCap = await this.#layerOverCap(ctx, spec, run.name);
    if (overCap) return overCap;
    const uuid = crypto.randomUUID();
    const newImage = { uuid, operationUuid: ctx.op.uuid, tag: null };
    const { podman, images } = this.deps;
    try {
      // A cancel (or shutdown) stops the commit too.
      await runChecked(
        podman,
        [
          "commit",
          "--quiet",
          ...images.labelChanges(newImage),
          ...(spec.preserve_env ? [] : unkeptEnvChanges(run.env)),
          run.name,
          images.podmanName(uuid),
        ],
        { timeoutMs: 600_000, signal: ctx.signal },
      );
      const env = spec.preserve_env ? setVariables({ ...image.env, ...run.env }) : image.env;
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

  /**
   * The main process's exit code: podman's, or conmon's record of it where that comes first
   * (~50 ms before podman returns, see container_exits.ts). podman has the word on its own
   * failures (125–127, with a message to read on stderr) and on a run being stopped.
   */
  async #exited(
    child: PodmanProcess,
    exitFile: ContainerExit | undefined,
    stopped: () => boolean,
  ): Promise<number> {
    if (!exitFile) return await child.exitCode;
    try {
      const first = await Promise.race([
        child.exitCode.then((code) => ({ code, from: "podman" })),
        exitFile.code.then((code) => ({ code, from: "conmon" })),
      ]);
      if (first.from === "podman" || (first.code < 125 && !stopped())) return first.code;
      return await child.exitCode;
    } finally {
      exitFile.close();
    }
  }

  /**
   * Whether the kernel killed the run for its memory: it died of SIGKILL (137) we did not send,
   * under a memory limit, while the kernel's OOM-kill count went up (see limits.ts).
   */
  #outOfMemory(exitCode: number, oomKillsBefore: number | undefined): boolean {
    if (exitCode !== 137 || this.#limits.memoryBytes <= 0 || oomKillsBefore === undefined) {
      return false;
    }
    return (oomKillCount() ?? oomKillsBefore) > oomKillsBefore;
  }

  /**
   * `resources_limits.max_layer_bytes`: the run's writable layer, measured after it ended (podman
   * has no layer quota on this storage); beyond the cap a `size_cap` event is logged and nothing
   * is committed.
   */
  async #layerOverCap(
    ctx: RunContext,
    spec: InstanceSpec,
    name: string,
  ): Promise<Outcome | undefined> {
    const cap = spec.resources_limits?.max_layer_bytes;
    if (typeof cap !== "number") return undefined;
    const size = Number(
      await runChecked(this.deps.podman, [
        "container",
        "inspect",
        "--size",
        "--format",
        "{{.SizeRw}}",
        name,
      ]),
    );
    if (!(size > cap)) return undefined;
    ctx.emit(0, "size_cap", { limit_bytes: cap, file_size: size });
    return {
      status: "FAILED",
      error: `the sandbox wrote ${size} bytes, more than resources_limits.max_layer_bytes (${cap})`,
    };
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

  /**
   * Removes a run's container; a failure is logged (the start-up sweep removes it then). Just
   * after the process exits, conmon's own cleanup of the container may still hold its shm mount:
   * podman rm then fails with "device or resource busy" (under load, for a run in three) though
   * the container is gone all the same, record and files. Only one still there is worth a warning.
   */
  async #remove(name: string): Promise<void> {
    const { podman, log } = this.deps;
    const result = await podman.run(["rm", "--force", "--time", "0", name], { timeoutMs: 60_000 })
      .catch((error: Error) => ({ code: -1, stdout: "", stderr: error.message }));
    if (result.code === 0) return;
    const message = parsePodmanMessage(result.stderr);
    const exists = await podman.run(["container", "exists", name], { timeoutMs: 60_000 })
      .catch(() => ({ code: -1 }));
    if (exists.code === 1) log.debug(`${name} removed, though podman rm said: ${message}`);
    else log.warning(`could not remove ${name}: ${message}`);
  }
}
