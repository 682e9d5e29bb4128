// In-process fakes for the injected context: memory sinks, a scripted stdin, a fake clock
// that records every sleep, and a fixed environment.

import type { Clock, Context } from "../../src/context.ts";
import { envFromRecord } from "../../src/env.ts";
import { MemorySink, MemorySource } from "../../src/io.ts";
import { Logger, type LogLevel } from "../../src/log.ts";

/** A clock whose sleeps return at once and are recorded (in ms). */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  #now: number;
  #mono = 0;

  constructor(start = Date.parse("2026-06-08T20:00:00Z")) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#mono;
  }

  advance(ms: number): void {
    this.#now += ms;
    this.#mono += ms;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    this.advance(ms);
    return Promise.resolve();
  }
}

export interface TestContext extends Context {
  stdout: MemorySink;
  stderr: MemorySink;
  abort(reason?: unknown): void;
}

export interface TestContextOptions {
  env?: Record<string, string>;
  stdin?: string;
  stdinTty?: boolean;
  stdoutTty?: boolean;
  columns?: number;
  clock?: Clock;
  logLevel?: LogLevel;
  cwd?: string;
  home?: string;
}

export function testContext(options: TestContextOptions = {}): TestContext {
  const stdout = new MemorySink(options.stdoutTty ?? false, options.columns);
  const stderr = new MemorySink(false);
  const controller = new AbortController();
  return {
    stdout,
    stderr,
    stdin: new MemorySource(options.stdin, options.stdinTty ?? false),
    env: envFromRecord(options.env ?? {}),
    clock: options.clock ?? new FakeClock(),
    log: new Logger(stderr, options.logLevel ?? "info", false),
    cwd: options.cwd ?? "/tmp",
    home: options.home ?? "/tmp",
    process: { pid: 4242, ppid: 4241, ttyName: () => undefined },
    fetch: globalThis.fetch.bind(globalThis),
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
  };
}
