// Value encoding of the `image_cache` table (CLI spec §3.5), shared with the reference CLI:
// JSON text up to 1024 characters is stored as `json:<json>`, longer JSON as
// `gzip:<base64(gzip(json))>`; a value without a prefix is plain JSON (older databases).

import type * as Zlib from "node:zlib";
import { base64ToBytes, bytesToBase64 } from "../api/stream_repr.ts";
import { loadFflate } from "../deps.ts";

export const INLINE_JSON_LIMIT = 1024;

/**
 * Up to this many bytes of JSON, gzip in JavaScript (fflate) is the faster way to a cached value:
 * node:zlib starts Deno's Node compatibility layer first (~10–20 ms; a command that reads its
 * answer from the cache otherwise never starts it). Past it node:zlib's native speed wins (gzip
 * of 7.4 MB: 22 ms against fflate's 166): docs/BENCHMARKS.md, "Eighteenth pass".
 */
export const JAVASCRIPT_GZIP_LIMIT = 2 * 1024 * 1024;

let fflate: Awaited<ReturnType<typeof loadFflate>> | undefined;

/**
 * Loads the JavaScript gzip. The codec must stay synchronous, as the store is (its transactions
 * use it), so what reads or writes the cache for a command loads it first when a value needs gzip
 * (`SessionStore.cacheRead`/`cacheWrite`, behind the cache adapters); until then, node:zlib.
 */
export async function loadCacheCodec(): Promise<void> {
  fflate ??= await loadFflate();
}

/** node:zlib, loaded when a value needs it (importing it starts the Node layer). */
function zlib(): typeof Zlib {
  const { process } = globalThis as unknown as {
    process: { getBuiltinModule(id: "node:zlib"): typeof Zlib };
  };
  return process.getBuiltinModule("node:zlib");
}

/** The size gzip's trailer gives for what `bytes` inflate to (modulo 2^32). */
function inflatedSize(bytes: Uint8Array): number {
  if (bytes.length < 18) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
}

/** Whether JSON text is stored as it is (`json:`), without gzip. */
export function fitsInline(json: string): boolean {
  return json.length <= INLINE_JSON_LIMIT;
}

/** Whether a stored value is gzip'd. */
export function isGzipped(stored: string): boolean {
  return stored.startsWith("gzip:");
}

export function encodeCacheValue(value: unknown): string {
  return encodeCacheJson(JSON.stringify(value));
}

/** The stored form of a value's JSON text. */
export function encodeCacheJson(json: string): string {
  if (fitsInline(json)) return `json:${json}`;
  const bytes = new TextEncoder().encode(json);
  const gzipped = fflate && bytes.length <= JAVASCRIPT_GZIP_LIMIT
    ? fflate.gzipSync(bytes)
    : zlib().gzipSync(bytes);
  return `gzip:${bytesToBase64(gzipped)}`;
}

/** Decodes a stored value; throws on text that is not a valid encoding. */
export function decodeCacheValue(text: string): unknown {
  if (text.startsWith("json:")) return JSON.parse(text.slice(5));
  if (isGzipped(text)) {
    const gzipped = base64ToBytes(text.slice(5));
    const bytes = fflate && inflatedSize(gzipped) <= JAVASCRIPT_GZIP_LIMIT
      ? fflate.gunzipSync(gzipped)
      : zlib().gunzipSync(gzipped);
    return JSON.parse(new TextDecoder().decode(bytes));
  }
  return JSON.parse(text);
}
