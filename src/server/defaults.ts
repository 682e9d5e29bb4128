// Defaults of the local server, in a module of their own so the command tree can show them
// without loading the server.

/** Fixed, so the `local` profile stays valid across restarts. */
export const DEFAULT_PORT = 7680;
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_KEEPALIVE_MS = 15_000;
/** Longest `timeout` a spawn may ask for (seconds). */
export const DEFAULT_MAX_TIMEOUT = 3600;
