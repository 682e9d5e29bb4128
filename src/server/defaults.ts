// Defaults of the local server, in a module of their own so the command tree can show them
// without loading the server.

/** Fixed, so the `local` profile stays valid across restarts. */
export const DEFAULT_PORT = 7680;
/**
 * Operations running at once: twice the machine's cores, at least 2. A sandbox start is partly
 * waiting (runc, mounts, podman's locks), so one per core leaves the CPU idle; on a 2-core machine
 * 20 runs of `true` at once took 3.5 s one at a time, 2.4–2.8 s two at a time, and 2.2–2.5 s with
 * 4, 8 or 20 — the same as 20 `podman run` at once (docs/SERVER.md). More than 2× cores adds
 * memory and contention, not speed.
 */
export const DEFAULT_CONCURRENCY = Math.max(2, 2 * (navigator.hardwareConcurrency || 1));
/**
 * Largest `truncate_output_at` a spawn may ask for (bytes per stream; larger requests are
 * clamped). The API's default is 1 MiB and the CLI's 64 KiB; 16 MiB keeps long build logs.
 */
export const DEFAULT_MAX_OUTPUT = 16 << 20;
/** Largest JSON request body (bytes): room for a few MiB of base64 stdin. */
export const DEFAULT_MAX_REQUEST_BODY = 64 << 20;
export const DEFAULT_KEEPALIVE_MS = 15_000;
/** Longest `timeout` a spawn may ask for (seconds). */
export const DEFAULT_MAX_TIMEOUT = 3600;
/** Memory of a sandbox (swap included): 2 GiB. */
export const DEFAULT_MEMORY_BYTES = 2 * 2 ** 30;
/** CPUs a sandbox may use. */
export const DEFAULT_CPUS = 2;
/** Processes and threads a sandbox may have at once. */
export const DEFAULT_PIDS = 1024;
/** Host ids of the user namespace of runs that are not committed: 1000000000 + 65536 ids. */
export const DEFAULT_USERNS = { hostStart: 1_000_000_000, size: 65536 };
/**
 * The runtime settings of a server that `server start --detach` starts, read by Deno and glibc
 * when a process starts (a running server cannot change them; a foreground one has what its
 * environment gives it). Streaming output makes garbage at the output's rate: the frames' text
 * (young strings) and 1 MiB byte buffers (outside V8's heap). With the defaults, V8's young
 * generation grows to tens of MB, and glibc keeps the freed buffers in its heap, whose pages stay
 * resident. A 1 MB semi-space and buffers of 128 KiB and more mapped on their own (returned when
 * freed) took the server's peak RSS while streaming 200 MB from 244–250 to 168–182 MB at the same
 * speed (docs/BENCHMARKS.md, seventeenth pass).
 */
export const SERVER_V8_FLAGS = ["--max-semi-space-size=1"];
export const SERVER_MALLOC_MMAP_THRESHOLD = "131072";

/**
 * The environment variables a detached server is started with: the user's own V8 flags after
 * ours (V8 takes the last), their own glibc setting instead of ours.
 */
export function serverProcessEnv(
  env: { get(name: string): string | undefined },
): Record<string, string> {
  const inherited = env.get("DENO_V8_FLAGS");
  return {
    DENO_V8_FLAGS: [...SERVER_V8_FLAGS, ...(inherited ? [inherited] : [])].join(","),
    MALLOC_MMAP_THRESHOLD_: env.get("MALLOC_MMAP_THRESHOLD_") || SERVER_MALLOC_MMAP_THRESHOLD,
  };
}
