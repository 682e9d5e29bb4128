// The ascii/base64 rule for binary-safe text (API spec §1.5), shared by client and server.

import type { StreamRepr } from "./models.ts";
import { isPlainAscii } from "./plain_ascii.ts";

const encoder = new TextEncoder();
const utf8 = new TextDecoder();

/** The bytes as a string when every one is printable ASCII or TAB/LF/CR, else undefined. */
export function plainAsciiText(bytes: Uint8Array): string | undefined {
  return isPlainAscii(bytes) ? latin1Text(bytes) : undefined;
}

/**
 * The text of bytes known to be plain ASCII (each byte the character of that code). UTF-8 decodes
 * ASCII to the same text, natively and as fast as node:buffer's latin1, which would start Deno's
 * Node layer in every CLI process (~5 ms; docs/BENCHMARKS.md, "Fourteenth pass").
 */
export function latin1Text(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** Encodes bytes: as-is with "ascii" when every byte is printable ASCII or TAB/LF/CR, else base64. */
export function encodeStreamRepr(bytes: Uint8Array): StreamRepr {
  const text = plainAsciiText(bytes);
  if (text !== undefined) return { value: text, encoding: "ascii" };
  return { value: bytesToBase64(bytes), encoding: "base64" };
}

/**
 * Decodes one chunk to raw bytes. Missing, non-string or undecodable values are empty
 * (clients treat bad base64 as empty).
 */
export function decodeStreamRepr(repr: unknown): Uint8Array {
  if (!repr || typeof repr !== "object") return new Uint8Array();
  const { value, encoding } = repr as { value?: unknown; encoding?: unknown };
  if (typeof value !== "string" || value === "") return new Uint8Array();
  if (encoding === "base64") {
    try {
      return base64ToBytes(value);
    } catch {
      return new Uint8Array();
    }
  }
  return encoder.encode(value);
}

/**
 * One chunk as text when it travels as text ("ascii": its UTF-8 is the chunk), else its bytes:
 * a writer that encodes text into its own buffer spares a copy per chunk.
 */
export function streamReprChunk(repr: unknown): string | Uint8Array {
  if (repr && typeof repr === "object") {
    const { value, encoding } = repr as { value?: unknown; encoding?: unknown };
    if (encoding !== "base64" && typeof value === "string") return value;
  }
  return decodeStreamRepr(repr);
}

// Native base64 (V8 ships Uint8Array.fromBase64/toBase64) with a portable fallback.
const native = Uint8Array as unknown as {
  fromBase64?: (text: string) => Uint8Array;
  prototype: { toBase64?: () => string };
};

export function bytesToBase64(bytes: Uint8Array): string {
  if (native.prototype.toBase64) return (bytes as unknown as { toBase64(): string }).toBase64();
  let binary = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(binary);
}

/** Decodes base64; both decoders skip ASCII whitespace themselves (no copy without it). */
export function base64ToBytes(text: string): Uint8Array {
  if (native.fromBase64) return native.fromBase64(text);
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
