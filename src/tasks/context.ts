// What task logic receives instead of globals: where files live, the clock, podman, a logger
// and a source of randomness (IDs and names).

import type { Clock, Context } from "../context.ts";
import type { Logger } from "../log.ts";
import type { PodmanRunner } from "../podman.ts";
import { resolveTaskRoots, type TaskRoots } from "./paths.ts";

export interface TaskContext {
  roots: TaskRoots;
  clock: Clock;
  podman: PodmanRunner;
  log: Logger;
  /** A uniformly random integer in [0, n). */
  randomInt(n: number): number;
  /** Ctrl-C / SIGTERM: work done in-process (a log capture) stops when it aborts. */
  signal?: AbortSignal;
  /** Deno.remove, replaceable so tests can make cleanup steps fail. */
  remove?(path: string, options?: Deno.RemoveOptions): Promise<void>;
}

/** Unbiased random integers from the platform's cryptographic RNG. */
export function cryptoRandomInt(n: number): number {
  if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new RangeError(`bad range ${n}`);
  const limit = Math.floor(2 ** 32 / n) * n;
  const buffer = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buffer);
    if (buffer[0] < limit) return buffer[0] % n;
  }
}

/** The task context of a contree invocation, driving `podman`. */
export function taskContextFrom(ctx: Context, podman: PodmanRunner): TaskContext {
  return {
    roots: resolveTaskRoots(ctx.env, ctx.home, ctx.cwd),
    clock: ctx.clock,
    podman,
    log: ctx.log,
    randomInt: cryptoRandomInt,
    signal: ctx.signal,
  };
}
