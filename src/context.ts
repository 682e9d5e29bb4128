// The injected context every piece of logic receives: IO, environment, clock, logger,
// fetch and the interrupt signal. `main` builds the real one; tests build fakes.

import type { Env } from "./env.ts";
import { Interrupted, type InterruptSignal } from "./errors.ts";
import { processStdio, type Sink, type Source } from "./io.ts";
import { Logger } from "./log.ts";
import { streamMode } from "./style.ts";
import { timerDelay } from "./timer.ts";

export interface Clock {
  /** Wall clock, epoch milliseconds. */
  now(): number;
  /** Monotonic milliseconds, for deadlines. */
  monotonic(): number;
  /** Resolves after `ms`; rejects with the signal's reason when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Path of the terminal on stdin (e.g. /dev/pts/3), when stdin is a terminal. */
  ttyName(): string | undefined;
}

export interface Context {
  stdout: Sink;
  stderr: Sink;
  stdin: Source;
  env: Env;
  clock: Clock;
  log: Logger;
  cwd: string;
  home: string | undefined;
  process: ProcessInfo;
  fetch: typeof fetch;
  /** Aborted with an `Interrupted` reason on SIGINT, SIGTERM or SIGHUP. */
  signal: AbortSignal;
  /**
   * Opens a nested interrupt scope, in which the interactive shell runs each line: until it is
   * closed, SIGINT aborts the scope's signal instead of the process's (the shell goes on);
   * SIGTERM aborts both. Absent where no process signals are wired (test contexts).
   */
  interruptScope?(): InterruptScope;
  /** Set on the context of a line run by the interactive shell (`contree shell`). */
  inShell?: boolean;
}

export interface InterruptScope {
  signal: AbortSignal;
  close(): void;
  /** Closes the scope and passes the Ctrl-C on, as a second one would be (to the scope outside). */
  escalate(): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, timerDelay(ms));
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};

function readTtyName(): string | undefined {
  if (!Deno.stdin.isTerminal()) return undefined;
  try {
    return Deno.readLinkSync("/proc/self/fd/0");
  } catch {
    return undefined;
  }
}

/**
 * The real context. Signal listeners turn SIGINT, SIGTERM and SIGHUP into an abort of `signal`;
 * a second SIGINT while the first is being handled exits at once (the user insists), a second
 * SIGTERM or SIGHUP changes nothing. Inside an interrupt scope SIGINT aborts only the innermost
 * scope, and never exits.
 */
export function createProcessContext(): Context {
  const stdio = processStdio();
  const env: Env = {
    get: (name) => Deno.env.get(name),
    toObject: () => Deno.env.toObject(),
  };
  const controller = new AbortController();
  const scopes: AbortController[] = [];
  const onSignal = (signal: InterruptSignal) => () => {
    const scope = scopes.at(-1);
    if (scope && signal === "SIGINT") {
      if (!scope.signal.aborted) scope.abort(new Interrupted(signal));
      return;
    }
    if (controller.signal.aborted) {
      // A second Ctrl-C insists; a second SIGTERM (or SIGHUP) only asks again (two `server
      // stop`s) and must not cut short the clean stop the first one started.
      if (signal === "SIGINT") Deno.exit(130);
      return;
    }
    for (const open of scopes) open.abort(new Interrupted(signal));
    controller.abort(new Interrupted(signal));
  };
  const interruptScope = (): InterruptScope => {
    const scope = new AbortController();
    if (controller.signal.aborted) scope.abort(controller.signal.reason);
    scopes.push(scope);
    const close = () => {
      const index = scopes.indexOf(scope);
      if (index >= 0) scopes.splice(index, 1);
    };
    return {
      signal: scope.signal,
      close,
      escalate: () => {
        close();
        onSignal("SIGINT")();
      },
    };
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    try {
      Deno.addSignalListener(signal, onSignal(signal));
    } catch {
      // Windows supports only SIGINT (and SIGBREAK); ignore what the platform lacks.
    }
  }
  const stderrMode = streamMode(stdio.stderr.isTerminal, env);
  let cwd = "/";
  try {
    cwd = Deno.cwd();
  } catch {
    // A deleted working directory must not stop commands that do not need it.
  }
  return {
    ...stdio,
    env,
    clock: systemClock,
    log: new Logger(stdio.stderr, "info", stderrMode.color),
    cwd,
    home: Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE"),
    process: { pid: Deno.pid, ppid: Deno.ppid, ttyName: readTtyName },
    fetch: globalThis.fetch.bind(globalThis),
    signal: controller.signal,
    interruptScope,
  };
}
