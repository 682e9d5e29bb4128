// Typed errors carrying the process exit code. Library code throws these; only `main`
// prints them (one line on stderr) and exits.

/** Exit codes documented in the README and in `contree help`. */
export const ExitCode = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  NOT_AUTHENTICATED: 4,
  HUNG_UP: 129,
  INTERRUPTED: 130,
  BROKEN_PIPE: 141,
  TERMINATED: 143,
} as const;

/** A failure the user should see as one `[ERROR] message` line. */
export class ContreeError extends Error {
  /** Shown after the `[ERROR]` label; the notices the reference prints as they are say false. */
  readonly labelled: boolean = true;

  constructor(message: string, readonly exitCode: number = ExitCode.ERROR, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Rethrows a failure that would be every item's, not one item's (the server refused the token):
 * for the per-item error handling of commands that go on to the next item (exit 4, at once).
 */
export function rethrowNotAuthenticated(error: unknown): void {
  if (error instanceof ContreeError && error.exitCode === ExitCode.NOT_AUTHENTICATED) throw error;
}

/** Bad command-line input: exit 2. */
export class UsageError extends ContreeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.USAGE, options);
  }
}

/** Missing or rejected credentials: exit 4. */
export class AuthError extends ContreeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.NOT_AUTHENTICATED, options);
  }
}

/**
 * Ends the process with `exitCode` without printing anything more: the command already
 * reported what happened (or passes a sandbox's own exit code through).
 */
export class Exit extends ContreeError {
  constructor(exitCode: number) {
    super(`exit ${exitCode}`, exitCode);
  }
}

export type InterruptSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

const INTERRUPTIONS: Record<InterruptSignal, [string, number]> = {
  SIGINT: ["User interrupted", ExitCode.INTERRUPTED],
  SIGTERM: ["Terminated", ExitCode.TERMINATED],
  // The terminal went away (closed, or its ssh connection dropped): an end as SIGTERM is.
  SIGHUP: ["Hung up", ExitCode.HUNG_UP],
};

/** SIGINT (130), SIGTERM (143) or SIGHUP (129) arrived. */
export class Interrupted extends ContreeError {
  constructor(readonly signal: InterruptSignal = "SIGINT") {
    super(...INTERRUPTIONS[signal]);
  }
}

/** The reader of our stdout went away (e.g. `contree … | head`): exit 141, silently. */
export class BrokenPipe extends ContreeError {
  constructor(options?: ErrorOptions) {
    super("Broken pipe", ExitCode.BROKEN_PIPE, options);
  }
}

/** True when `error` means the other end of a pipe we write to has closed. */
export function isBrokenPipe(error: unknown): boolean {
  return error instanceof BrokenPipe || error instanceof Deno.errors.BrokenPipe ||
    (error instanceof Error && "code" in error && error.code === "EPIPE");
}
