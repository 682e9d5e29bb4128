// Value encoding of the `image_cache` table (CLI spec §3.5), shared with the reference CLI:
// JSON text up to 1024 characters is stored as `json:<json>`, longer JSON as
// `gzip:<base64(gzip(json))>`; a value without a prefix is plain JSON (older databases).

import type * as Zlib from "node:zlib";
import { base64ToBytes, bytesToBase64 } from "../api/stream_repr.ts";

export const INLINE_JSON_LIMIT = 1024;

/**
 * node:zlib, loaded when a value is long enough to be gzip'd: importing it starts Deno's Node
 * compatibility layer (~25 ms), and every command opens this store (docs/BENCHMARKS.md,
 * "Fourteenth pass"). The codec must stay synchronous, as the store is.
 */
function zlib(): typeof Zlib {
  const { process } = globalThis as unknown as {
    process: { getBuiltinModule(id: "node:zlib"): typeof Zlib };
  };
  return process.getBuiltinModule("node:zlib");
}

export function encodeCacheValue(value: unknown): string {
  const json = JSON.stringify(value);
  if (json.length <= INLINE_JSON_LIMIT) return `json:${json}`;
  return `gzip:${bytesToBase64(zlib().gzipSync(new TextEncoder().encode(json)))}`;
}

/** Decodes a stored value; throws on text that is not a valid encoding. */
export function decodeCacheValue(text: string): unknown {
  if (text.startsWith("json:")) return JSON.parse(text.slice(5));
  if (text.startsWith("gzip:")) {
    return JSON.parse(new TextDecoder().decode(zlib().gunzipSync(base64ToBytes(text.slice(5)))));
  }
  return JSON.parse(text);
}
