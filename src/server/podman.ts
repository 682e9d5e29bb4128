// The one place the server starts podman: argv arrays only (never a shell), a timeout on every
// call, and errors that quote podman's own message.

import { ContreeError } from "../errors.ts";

export interface PodmanOptions {
  /** The podman executable (default "podman" from PATH). */
  binary?: string;
  /** Extra environment for podman (e.g. CONTAINERS_CONF), on top of the server's own. */
  env?: Record<string, string>;
}

export interface PodmanCall {
  /** Bytes or a stream written to podman's stdin (then closed). */
  stdin?: Uint8Array | ReadableStream<Uint8Array>;
  /** Kill podman after this long (default 120 s). */
  timeoutMs?: number;
  /** Kill podman when aborted. */
  signal?: AbortSignal;
}

export interface PodmanResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class PodmanError extends ContreeError {
  constructor(readonly args: string[], readonly code: number, readonly stderr: string) {
    super(`podman ${args[0]} failed: ${podmanMessage(stderr) || `exit code ${code}`}`);
  }
}

const decoder = new TextDecoder();
const DEFAULT_TIMEOUT_MS = 120_000;

/** podman's own error text: the last "Error: …" line of its stderr, else the last line. */
export function podmanMessage(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.trim()).filter(Boolean);
  const error = lines.findLast((line) => line.startsWith("Error: "));
  return (error ? error.slice("Error: ".length) : lines.at(-1) ?? "").slice(0, 500);
}

export class Podman {
  readonly binary: string;

  constructor(private readonly options: PodmanOptions = {}) {
    this.binary = options.binary ?? "podman";
  }

  /**
   * Starts podman with piped stdout/stderr; the caller owns the child. podman's own warnings are
   * silenced (`--log-level=error`): on `podman run` its stderr is the sandbox's stderr.
   */
  spawn(args: string[], stdin: "piped" | "null" = "null"): Deno.ChildProcess {
    try {
      return new Deno.Command(this.binary, {
        args: ["--log-level=error", ...args],
        env: this.options.env,
        stdin,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      throw new ContreeError(`cannot run ${this.binary}: ${(error as Error).message}`);
    }
  }

  /** Runs podman to completion and returns its exit code and output, whatever the code. */
  async call(args: string[], call: PodmanCall = {}): Promise<PodmanResult> {
    const child = this.spawn(args, call.stdin ? "piped" : "null");
    const kill = () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
    };
    const timer = setTimeout(kill, call.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    call.signal?.addEventListener("abort", kill, { once: true });
    try {
      if (call.stdin instanceof ReadableStream) {
        await call.stdin.pipeTo(child.stdin).catch(() => {});
      } else if (call.stdin) {
        const writer = child.stdin.getWriter();
        await writer.write(call.stdin).catch(() => {});
        await writer.close().catch(() => {});
      }
      const output = await child.output();
      return {
        code: output.code,
        stdout: decoder.decode(output.stdout),
        stderr: decoder.decode(output.stderr),
      };
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener("abort", kill);
    }
  }

  /** Runs podman and returns its trimmed stdout; a non-zero exit throws PodmanError. */
  async ok(args: string[], call: PodmanCall = {}): Promise<string> {
    const result = await this.call(args, call);
    if (result.code !== 0) throw new PodmanError(args, result.code, result.stderr);
    return result.stdout.trim();
  }
}
