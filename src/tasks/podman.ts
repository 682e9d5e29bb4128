// The one way task logic talks to podman: argv arrays (never shell strings), a timeout on every
// non-interactive call, and podman's failures turned into one-line messages. `CommandPodmanRunner`
// is the real thing; tests use the in-memory fake in tests/support/fake_podman.ts.

import { ContreeError } from "../errors.ts";

export interface PodmanResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PodmanRunOptions {
  timeoutMs: number;
  stdin?: string | Uint8Array;
  /**
   * Where podman's output goes. "piped" (default) returns it in the result; `{ file }` truncates
   * the file and writes stdout and stderr into it in the order podman wrote them (like `2>&1`),
   * leaving the result's stdout and stderr empty.
   */
  stdout?: "piped" | { file: string };
}

export interface PodmanRunner {
  /** Runs `podman <args>`. Throws PodmanNotFound / PodmanTimeout; a non-zero exit is returned. */
  run(args: string[], options: PodmanRunOptions): Promise<PodmanResult>;
  /** Runs `podman <args>` on the user's terminal (stdio inherited, no timeout); the exit code. */
  interactive(args: string[]): Promise<number>;
}

export class PodmanNotFound extends ContreeError {
  constructor(binary: string) {
    super(`${binary} not found; please install podman (or point CONTREE_PODMAN at it)`);
  }
}

export class PodmanTimeout extends ContreeError {
  constructor(args: string[], readonly timeoutMs: number) {
    super(`podman ${args[0] ?? ""} timed out after ${formatSeconds(timeoutMs)}`);
  }
}

function formatSeconds(ms: number): string {
  return `${Number.isInteger(ms / 1000) ? ms / 1000 : (ms / 1000).toFixed(1)}s`;
}

/** Timeouts of the calls the lifecycle makes (task-lifecycle spec §2.0). */
export const PODMAN_TIMEOUTS = {
  probeMs: 30_000,
  startMs: 30_000,
  createMs: 120_000,
  removeMs: 120_000,
  logsMs: 60_000,
  /** Added to the stop grace period: podman's own teardown after the signal. */
  stopSlackMs: 75_000,
} as const;

/** How long `task wait` waits by default (seconds). */
export const DEFAULT_WAIT_TIMEOUT_SECONDS = 7200;

/**
 * One line describing a failed call: podman's last `Error:` line without the prefix, with the
 * common cases said plainly.
 */
export function describePodmanFailure(args: string[], result: PodmanResult): string {
  const lines = `${result.stderr}\n${result.stdout}`.split("\n").map((l) => l.trim()).filter(
    Boolean,
  );
  const errorLine = [...lines].reverse().find((l) => /^Error:/i.test(l)) ?? lines.at(-1) ?? "";
  const detail = errorLine.replace(/^Error:\s*/i, "");
  if (/no such container|no container with name or ID/i.test(detail)) {
    return "no such container";
  }
  if (/image not known|no such image|repository name must have at least one/i.test(detail)) {
    return `image not found locally (${detail}); pull or build it first`;
  }
  return `podman ${args[0] ?? ""} failed (exit ${result.code})${detail ? `: ${detail}` : ""}`;
}

/** The state probe: `podman inspect -f {{.State.Status}}`; null when there is no container. */
export async function probeState(podman: PodmanRunner, name: string): Promise<string | null> {
  try {
    const result = await podman.run([
      "inspect",
      "--type",
      "container",
      "-f",
      "{{.State.Status}}",
      name,
    ], {
      timeoutMs: PODMAN_TIMEOUTS.probeMs,
    });
    const state = result.stdout.trim().toLowerCase();
    return result.code === 0 && state !== "" ? state : null;
  } catch (error) {
    // A probe that cannot answer means "no container" (spec §2.0); the runner already said why
    // podman is unusable when it matters (batch queries, mutations).
    if (error instanceof PodmanNotFound || error instanceof PodmanTimeout) return null;
    throw error;
  }
}

/** Thrown when podman could not list containers: never to be read as "no containers". */
export class ContainerQueryFailed extends ContreeError {
  constructor(reason: string) {
    super(`Container runtime unavailable — cannot query container states: ${reason}`);
  }
}

/** Every container carrying `label`: name → lowercased state. Throws ContainerQueryFailed. */
export async function batchStates(
  podman: PodmanRunner,
  label: string,
): Promise<Map<string, string>> {
  const args = ["ps", "-a", "--filter", `label=${label}`, "--format", "json"];
  let result: PodmanResult;
  try {
    result = await podman.run(args, { timeoutMs: PODMAN_TIMEOUTS.probeMs });
  } catch (error) {
    throw new ContainerQueryFailed((error as Error).message);
  }
  if (result.code !== 0) throw new ContainerQueryFailed(describePodmanFailure(args, result));
  let rows: unknown;
  try {
    rows = result.stdout.trim() === "" ? [] : JSON.parse(result.stdout);
  } catch {
    throw new ContainerQueryFailed("podman ps printed something that is not JSON");
  }
  if (!Array.isArray(rows)) throw new ContainerQueryFailed("podman ps did not print a list");
  const states = new Map<string, string>();
  for (const row of rows as { Names?: unknown; State?: unknown }[]) {
    const name = Array.isArray(row?.Names) ? row.Names[0] : undefined;
    if (typeof name === "string" && typeof row.State === "string") {
      states.set(name, row.State.toLowerCase());
    }
  }
  return states;
}

export interface CommandRunnerOptions {
  /** The podman binary (default "podman", found on PATH). */
  binary?: string;
  /** The environment podman gets (default: this process's). */
  env?: Record<string, string>;
  /** Aborting kills the running podman and rejects with the signal's reason. */
  signal?: AbortSignal;
}

const KILL_GRACE_MS = 2000;

/** Runs the real podman through Deno.Command (and node's spawn for file output). */
export class CommandPodmanRunner implements PodmanRunner {
  readonly binary: string;

  constructor(private readonly options: CommandRunnerOptions = {}) {
    this.binary = options.binary ?? "podman";
  }

  async run(args: string[], options: PodmanRunOptions): Promise<PodmanResult> {
    if (typeof options.stdout === "object") {
      return await this.#runToFile(args, options.stdout.file, options.timeoutMs);
    }
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(this.binary, {
        args,
        env: this.options.env,
        clearEnv: this.options.env !== undefined,
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      throw this.#spawnError(error);
    }
    const guard = this.#guard(args, options.timeoutMs, (signal) => {
      try {
        child.kill(signal);
      } catch {
        // already exited
      }
    });
    try {
      if (options.stdin !== undefined) {
        const writer = child.stdin.getWriter();
        await writer.write(
          typeof options.stdin === "string"
            ? new TextEncoder().encode(options.stdin)
            : options.stdin,
        ).catch(() => {});
        await writer.close().catch(() => {});
      }
      const output = await child.output();
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

  async interactive(args: string[]): Promise<number> {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(this.binary, {
        args,
        env: this.options.env,
        clearEnv: this.options.env !== undefined,
        stdin: "inherit",
        stdout: "inherit",
        stderr: "inherit",
      }).spawn();
    } catch (error) {
      throw this.#spawnError(error);
    }
    const guard = this.#guard(args, Infinity, (signal) => {
      try {
        child.kill(signal);
      } catch {
        // already exited
      }
    });
    try {
      const status = await child.status;
      guard.check();
      return status.code;
    } finally {
      guard.dispose();
    }
  }

  /** Deno.Command cannot point a child's stdout/stderr at one file; node's spawn can. */
  async #runToFile(args: string[], file: string, timeoutMs: number): Promise<PodmanResult> {
    // Loaded here: only log capture needs node's process API, and startup stays lean.
    const [{ spawn }, { closeSync, openSync }] = await Promise.all([
      import("node:child_process"),
      import("node:fs"),
    ]);
    const fd = openSync(file, "w");
    try {
      const child = spawn(this.binary, args, {
        stdio: ["ignore", fd, fd],
        env: this.options.env ?? Deno.env.toObject(),
      });
      const guard = this.#guard(args, timeoutMs, (signal) => child.kill(signal));
      try {
        const code = await new Promise<number>((resolve, reject) => {
          child.once("error", (error) => reject(this.#spawnError(error)));
          // A null code means a signal ended podman; `check` reports the timeout or abort.
          child.once("close", (code: number | null) => resolve(code ?? 1));
        });
        guard.check();
        return { code, stdout: "", stderr: "" };
      } finally {
        guard.dispose();
      }
    } finally {
      closeSync(fd);
    }
  }

  #spawnError(error: unknown): Error {
    if (
      error instanceof Deno.errors.NotFound ||
      (error as { code?: string })?.code === "ENOENT"
    ) {
      return new PodmanNotFound(this.binary);
    }
    return new ContreeError(`Cannot run ${this.binary}: ${(error as Error).message}`);
  }

  /**
   * Kills the child on timeout or abort (SIGTERM, then SIGKILL after a grace period); `check`
   * turns what happened into the matching error once the child is gone.
   */
  #guard(args: string[], timeoutMs: number, kill: (signal: "SIGTERM" | "SIGKILL") => void) {
    let timedOut = false;
    let hardKill: ReturnType<typeof setTimeout> | undefined;
    const terminate = () => {
      kill("SIGTERM");
      hardKill = setTimeout(() => kill("SIGKILL"), KILL_GRACE_MS);
    };
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
        timedOut = true;
        terminate();
      }, timeoutMs)
      : undefined;
    const signal = this.options.signal;
    if (signal?.aborted) terminate();
    signal?.addEventListener("abort", terminate, { once: true });
    return {
      check: () => {
        if (signal?.aborted) throw signal.reason;
        if (timedOut) throw new PodmanTimeout(args, timeoutMs);
      },
      dispose: () => {
        clearTimeout(timer);
        clearTimeout(hardKill);
        signal?.removeEventListener("abort", terminate);
      },
    };
  }
}
