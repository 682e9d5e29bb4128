// Value encoding of the `image_cache` table (CLI spec §3.5), shared with the reference CLI:
// JSON text up to 1024 characters is stored as `json:<json>`, longer JSON as
// `gzip:<base64(gzip(json))>`; a value without a prefix is plain JSON (older databases).

import { gunzipSync, gzipSync } from "node:zlib";
import { base64ToBytes, bytesToBase64 } from "../api/stream_repr.ts";

export const INLINE_JSON_LIMIT = 1024;

export function encodeCacheValue(value: unknown): string {
  const json = JSON.stringify(value);
  if (json.length <= INLINE_JSON_LIMIT) return `json:${json}`;
  return `gzip:${bytesToBase64(gzipSync(new TextEncoder().encode(json)))}`;
}

/** Decodes a stored value; throws on text that is not a valid encoding. */
export function decodeCacheValue(text: string): unknown {
  if (text.startsWith("json:")) return JSON.parse(text.slice(5));
  if (text.startsWith("gzip:")) {
    return JSON.parse(new TextDecoder().decode(gunzipSync(base64ToBytes(text.slice(5)))));
  }
  return JSON.parse(text);
}
