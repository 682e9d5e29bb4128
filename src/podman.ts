// The one place contree starts podman, for the local server and the task layer alike: argv arrays
// (never a shell), a timeout on every non-interactive call, SIGTERM then SIGKILL after a grace
// period whenever podman must go, and one error family quoting podman's own message.
// `CommandPodmanRunner` is the real thing; tests use the fake in tests/support/fake_podman.ts.

import { ContreeError } from "./errors.ts";
import { timerDelay } from "./timer.ts";
import { isDirectory } from "./files.ts";

export interface PodmanResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What podman reads on stdin: bytes or a stream, closed at the end. */
export type PodmanInput = Uint8Array | ReadableStream<Uint8Array>;

export interface PodmanRunOptions {
  /** podman is stopped after this long and the call throws PodmanTimeout (default 120 s). */
  timeoutMs?: number;
  stdin?: PodmanInput;
  /** Aborting stops podman; the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Where podman's output goes. "piped" (default) returns it in the result; `{ file }` truncates
   * the file and writes stdout and stderr into it in the order podman wrote them (like `2>&1`),
   * leaving the result's stdout and stderr empty.
   */
  stdout?: "piped" | { file: string };
  /** Added to podman's environment for this call. */
  env?: Record<string, string>;
  /** podman's working directory for this call (conmon leaves an `oom` file there). */
  cwd?: string;
}

export interface PodmanSpawnOptions {
  stdin?: PodmanInput;
  /** Aborting stops podman (as `PodmanProcess.stop`). */
  signal?: AbortSignal;
  /**
   * podman's stdout and stderr go straight into these files (truncated; created 0600)
   * instead of pipes; the process's `stdout`/`stderr` streams are then empty.
   */
  files?: { stdout: string; stderr: string };
  /** Added to podman's environment for this call. */
  env?: Record<string, string>;
}

/** A podman started by `spawn`: its output as it arrives. */
export interface PodmanProcess {
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  /** podman's exit code, once it is gone. */
  readonly exitCode: Promise<number>;
  /** SIGTERM, then SIGKILL after the grace period; nothing once podman is gone. */
  stop(): void;
}

export interface PodmanRunner {
  /** Runs `podman <args>` to the end; a non-zero exit is returned, not thrown. */
  run(args: string[], options?: PodmanRunOptions): Promise<PodmanResult>;
  /** Starts `podman <args>` with its output piped to the caller, who waits for `exitCode`. */
  spawn(args: string[], options?: PodmanSpawnOptions): PodmanProcess;
  /** Runs `podman <args>` on the user's terminal (stdio inherited, no timeout); the exit code. */
  interactive(args: string[]): Promise<number>;
}

export class PodmanNotFound extends ContreeError {
  constructor(binary: string) {
    super(`${binary} not found; please install podman (or point CONTREE_PODMAN at it)`);
  }
}

/** podman's commands that take a subcommand (`image inspect`): both words name what ran. */
const COMMAND_GROUPS = new Set(["container", "image", "network", "pod", "system", "volume"]);

/** The podman command `args` run, as messages name it: `rm`, `image inspect`. */
function commandName(args: string[]): string {
  const [first = "", second] = args;
  return COMMAND_GROUPS.has(first) && second && !second.startsWith("-")
    ? `${first} ${second}`
    : first;
}

export class PodmanTimeout extends ContreeError {
  constructor(args: string[], readonly timeoutMs: number) {
    super(`podman ${commandName(args)} timed out after ${formatSeconds(timeoutMs)}`);
  }
}

/** podman exited non-zero; `podmanMessage` is its own explanation (see `parsePodmanMessage`). */
export class PodmanFailed extends ContreeError {
  readonly code: number;
  readonly stderr: string;
  readonly podmanMessage: string;

  constructor(readonly args: string[], result: PodmanResult) {
    const podmanMessage = parsePodmanMessage(`${result.stderr}\n${result.stdout}`);
    super(
      `podman ${commandName(args)} failed (exit ${result.code})${
        podmanMessage ? `: ${podmanMessage}` : ""
      }`,
    );
    this.code = result.code;
    this.stderr = result.stderr;
    this.podmanMessage = podmanMessage;
  }
}

/** podman's words for an image that is not in its storage. */
export const UNKNOWN_IMAGE =
  /image not known|no such image|repository name must have at least one/i;

/** podman failed because the image it was given is not in its storage. */
export function isUnknownImage(error: unknown): boolean {
  return error instanceof PodmanFailed && UNKNOWN_IMAGE.test(error.podmanMessage);
}

function formatSeconds(ms: number): string {
  return `${Number.isInteger(ms / 1000) ? ms / 1000 : (ms / 1000).toFixed(1)}s`;
}

/**
 * podman's own error text: its last `Error:` line without the prefix, else its last line. A
 * list (`… 1 error occurred:` and `* reason` lines, podman cp's and rm's way) brings its reasons.
 */
export function parsePodmanMessage(output: string): string {
  const lines = output.split("\n").map((line) => line.trim()).filter(Boolean);
  const at = lines.findLastIndex((line) => /^Error:/i.test(line));
  let message = at >= 0 ? lines[at].replace(/^Error:\s*/i, "") : lines.at(-1) ?? "";
  // The list may follow words of podman's own: `removing container X root filesystem: 1 error …`.
  if (at >= 0 && /(^|: )\d+ errors? occurred:$/.test(message)) {
    const reasons = lines.slice(at + 1).filter((line) => line.startsWith("* "));
    if (reasons.length > 0) message += ` ${reasons.map((line) => line.slice(2)).join("; ")}`;
  }
  return shortened(withoutGoValues(message), 500);
}

/**
 * Go's `%v` dumps of structs (`copier.request{Request:"PUT", Root:"/", …}`, kilobytes of them in
 * podman cp's errors, before the reason), each cut to its type's name.
 */
function withoutGoValues(text: string): string {
  const start = /\b[a-z_]\w*\.[A-Za-z_]\w*\{/g;
  let out = "";
  let copied = 0;
  for (let match; (match = start.exec(text));) {
    let depth = 0;
    let end = match.index + match[0].length - 1;
    for (; end < text.length; end++) {
      if (text[end] === "{") depth++;
      else if (text[end] === "}" && --depth === 0) break;
    }
    if (end >= text.length) break; // not closed: left as it is
    out += `${text.slice(copied, match.index + match[0].length)}…}`;
    copied = end + 1;
    start.lastIndex = copied;
  }
  return out + text.slice(copied);
}

/** At most `max` characters: a long text keeps its start and its end (where Go puts reasons). */
function shortened(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.4);
  return `${text.slice(0, head)} … ${text.slice(text.length - (max - head - 3))}`;
}

/** Runs podman and returns its trimmed stdout; a non-zero exit throws PodmanFailed. */
export async function runChecked(
  podman: PodmanRunner,
  args: string[],
  options?: PodmanRunOptions,
): Promise<string> {
  const result = await podman.run(args, options);
  if (result.code !== 0) throw new PodmanFailed(args, result);
  return result.stdout.trim();
}

export interface CommandPodmanRunnerOptions {
  /** The podman executable (default "podman", found on PATH). */
  binary?: string;
  /** podman's whole environment (default: this process's). */
  env?: Record<string, string>;
  /** podman's global options, put before every command (e.g. `--log-level=error`). */
  globalArgs?: string[];
  /** Aborting stops every podman this runner started; their calls reject with its reason. */
  signal?: AbortSignal;
  /**
   * podman's working directory (default: this process's). conmon leaves an `oom` file there
   * when a container is killed for memory.
   */
  cwd?: string;
}

/** The runner settings of this environment: `$CONTREE_PODMAN` (else podman) and its variables. */
export function podmanOptionsFrom(
  env: { get(name: string): string | undefined; toObject(): Record<string, string> },
): CommandPodmanRunnerOptions {
  return { binary: env.get("CONTREE_PODMAN") || "podman", env: env.toObject() };
}

export const DEFAULT_PODMAN_TIMEOUT_MS = 120_000;
/** How long podman gets between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2000;

type KillSignal = "SIGTERM" | "SIGKILL";

/** Runs the real podman through Deno.Command (and node's spawn for file output). */
export class CommandPodmanRunner implements PodmanRunner {
  readonly binary: string;

  constructor(private readonly options: CommandPodmanRunnerOptions = {}) {
    this.binary = options.binary ?? "podman";
  }

  async run(args: string[], options: PodmanRunOptions = {}): Promise<PodmanResult> {
    if (typeof options.stdout === "object") {
      return await this.#runToFile(args, options.stdout.file, options);
    }
    const child = this.#start(
      args,
      options.stdin === undefined ? "null" : "piped",
      "piped",
      options.env,
      options.cwd,
    );
    const guard = this.#guard(args, child.status, killer(child), options);
    try {
      const [output] = await Promise.all([
        child.output(),
        options.stdin === undefined ? undefined : feed(child.stdin, options.stdin),
      ]);
      guard.check();
      const decoder = new TextDecoder();
      return {
        code: output.code,
        stdout: decoder.decode(output.stdout),
        stderr: decoder.decode(output.stderr),
      };
    } finally {
      guard.dispose();
    }
  }

  spawn(args: string[], options: PodmanSpawnOptions = {}): PodmanProcess {
    if (options.files) return this.#spawnToFiles(args, options.files, options);
    const child = this.#start(
      args,
      options.stdin === undefined ? "null" : "piped",
      "piped",
      options.env,
    );
    const guard = this.#guard(args, child.status, killer(child), {
      signal: options.signal,
      timeoutMs: Infinity,
    });
    if (options.stdin !== undefined) void feed(child.stdin, options.stdin);
    return {
      stdout: child.stdout,
      stderr: child.stderr,
      exitCode: child.status.then((status) => status.code),
      stop: guard.stop,
    };
  }

  async interactive(args: string[]): Promise<number> {
    const child = this.#start(args, "inherit", "inherit");
    const guard = this.#guard(args, child.status, killer(child), { timeoutMs: Infinity });
    try {
      const status = await child.status;
      guard.check();
      return status.code;
    } finally {
      guard.dispose();
    }
  }

  #start(
    args: string[],
    stdin: "piped" | "null" | "inherit",
    output: "piped" | "inherit",
    extraEnv?: Record<string, string>,
    cwd = this.options.cwd,
  ): Deno.ChildProcess {
    const env = extraEnv
      ? { ...this.options.env ?? Deno.env.toObject(), ...extraEnv }
      : this.options.env;
    try {
      return new Deno.Command(this.binary, {
        args: [...this.options.globalArgs ?? [], ...args],
        env,
        clearEnv: env !== undefined,
        cwd,
        stdin,
        stdout: output,
        stderr: output,
      }).spawn();
    } catch (error) {
      throw this.#spawnError(error, cwd);
    }
  }

  /** `run` with stdout and stderr together in one file (like `2>&1`). */
  async #runToFile(args: string[], file: string, options: PodmanRunOptions): Promise<PodmanResult> {
    const { exited, guard } = await this.#startToFiles(args, { stdout: file }, options);
    try {
      const code = await exited;
      guard.check();
      return { code, stdout: "", stderr: "" };
    } finally {
      guard.dispose();
    }
  }

  /** `spawn` with stdout and stderr in files; the process's streams are empty then. */
  #spawnToFiles(
    args: string[],
    files: { stdout: string; stderr: string },
    options: PodmanSpawnOptions,
  ): PodmanProcess {
    const started = this.#startToFiles(args, files, { ...options, timeoutMs: Infinity });
    // Until podman is started, a stop is remembered (and done right after the start).
    let stopEarly = false;
    let stop: () => void = () => {
      stopEarly = true;
    };
    void started.then(({ guard }) => {
      stop = guard.stop;
      if (stopEarly) guard.stop();
    }, () => {});
    const empty = () => new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    return {
      stdout: empty(),
      stderr: empty(),
      exitCode: started.then(({ exited }) => exited),
      stop: () => stop(),
    };
  }

  /**
   * Starts podman with stdout and stderr in files (truncated, created 0600; one file for both
   * without `files.stderr`): Deno.Command cannot point a child at a file, node's spawn can.
   * Resolves once started, with its exit code to come and its guard.
   */
  async #startToFiles(
    args: string[],
    files: { stdout: string; stderr?: string },
    call: {
      stdin?: PodmanInput;
      signal?: AbortSignal;
      timeoutMs?: number;
      env?: Record<string, string>;
      cwd?: string;
    },
  ) {
    // Loaded here: only file output needs node's process API, and startup stays lean.
    const [{ spawn }, { closeSync, openSync }, { Writable }] = await Promise.all([
      import("node:child_process"),
      import("node:fs"),
      import("node:stream"),
    ]);
    const out = openSync(files.stdout, "w", 0o600);
    const err = files.stderr === undefined ? out : openSync(files.stderr, "w", 0o600);
    const close = () => {
      closeSync(out);
      if (err !== out) closeSync(err);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(this.binary, [...this.options.globalArgs ?? [], ...args], {
        stdio: [call.stdin === undefined ? "ignore" : "pipe", out, err],
        env: { ...this.options.env ?? Deno.env.toObject(), ...call.env },
        cwd: call.cwd ?? this.options.cwd,
      });
    } catch (error) {
      close();
      throw this.#spawnError(error, call.cwd ?? this.options.cwd);
    }
    const exited = new Promise<number>((resolve, reject) => {
      child.once("error", (error) => reject(this.#spawnError(error, call.cwd ?? this.options.cwd)));
      // A signal that ended podman reads as a shell would report it; `check` tells timeouts.
      child.once(
        "close",
        (code: number | null, signal: string | null) =>
          resolve(code ?? (signal === "SIGKILL" ? 137 : 143)),
      );
    }).finally(close);
    const guard = this.#guard(args, exited, (signal) => child.kill(signal), call);
    if (child.stdin) {
      // A podman that is gone (or never started) refuses its stdin: `exited` tells why.
      child.stdin.on("error", () => {});
      void feed(Writable.toWeb(child.stdin) as WritableStream<Uint8Array>, call.stdin!);
    }
    return { exited, guard };
  }

  #spawnError(error: unknown, cwd?: string): Error {
    if (
      error instanceof Deno.errors.NotFound ||
      (error as { code?: string })?.code === "ENOENT"
    ) {
      // The spawn also fails so when the directory it was to run in is gone.
      if (cwd !== undefined && !isDirectory(cwd)) {
        return new ContreeError(`Cannot run podman in ${cwd}: the directory does not exist`);
      }
      return new PodmanNotFound(this.binary);
    }
    const message = (error as Error).message;
    if ((error as { code?: string })?.code === "E2BIG" || /Argument list too long/.test(message)) {
      // Deno's message quotes the binary's path.
      return new ContreeError(
        "Cannot run podman: its command line is longer than the kernel takes",
      );
    }
    return new ContreeError(`Cannot run ${this.binary}: ${message}`);
  }

  /**
   * Stops the child on timeout or abort (this runner's signal or the call's): SIGTERM, then
   * SIGKILL after the grace period unless it is gone. `check` turns what happened into the
   * matching error once the child is gone.
   */
  #guard(
    args: string[],
    exited: Promise<unknown>,
    kill: (signal: KillSignal) => void,
    call: { timeoutMs?: number; signal?: AbortSignal },
  ) {
    const timeoutMs = call.timeoutMs ?? DEFAULT_PODMAN_TIMEOUT_MS;
    const signals = [this.options.signal, call.signal].filter((s): s is AbortSignal => !!s);
    let gone = false;
    let timedOut = false;
    let hardKill: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      if (gone || hardKill !== undefined) return;
      kill("SIGTERM");
      hardKill = setTimeout(() => kill("SIGKILL"), KILL_GRACE_MS);
    };
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
        timedOut = true;
        stop();
      }, timerDelay(timeoutMs))
      : undefined;
    for (const signal of signals) signal.addEventListener("abort", stop, { once: true });
    if (signals.some((signal) => signal.aborted)) stop();
    const dispose = () => {
      gone = true;
      clearTimeout(timer);
      clearTimeout(hardKill);
      for (const signal of signals) signal.removeEventListener("abort", stop);
    };
    // The child may end on its own before the call is over (or, for `spawn`, nobody waits).
    exited.then(dispose, dispose);
    return {
      stop,
      dispose,
      check: () => {
        const aborted = signals.find((signal) => signal.aborted);
        if (aborted) throw aborted.reason;
        if (timedOut) throw new PodmanTimeout(args, timeoutMs);
      },
    };
  }
}

function killer(child: Deno.ChildProcess): (signal: KillSignal) => void {
  return (signal) => {
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
  };
}

/** Writes `input` to podman's stdin and closes it; a podman that stops reading is not an error. */
async function feed(sink: WritableStream<Uint8Array>, input: PodmanInput): Promise<void> {
  if (input instanceof ReadableStream) {
    await input.pipeTo(sink).catch(() => {});
    return;
  }
  const writer = sink.getWriter();
  await writer.write(input).catch(() => {});
  await writer.close().catch(() => {});
}
