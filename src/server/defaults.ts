// Defaults of the local server, in a module of their own so the command tree can show them
// without loading the server.

/** Fixed, so the `local` profile stays valid across restarts. */
export const DEFAULT_PORT = 7680;
export const DEFAULT_CONCURRENCY = 4;
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
