// Defaults of the local server, in a module of their own so the command tree can show them
// without loading the server.

/** Fixed, so the `local` profile stays valid across restarts. */
export const DEFAULT_PORT = 7680;
export const DEFAULT_CONCURRENCY = 4;
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
