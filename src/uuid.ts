// UUID helpers shared by the session key (§3.2), history references (§9) and the local upload
// cache (§3.5): parsing in the forms Python's `uuid.UUID()` accepts, and name-based UUIDv5.
// WebCrypto only, so importing this module costs nothing at startup.

import { hex } from "./bytes.ts";

export const NAMESPACE_URL = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";
export const NAMESPACE_OID = "6ba7b812-9dad-11d1-80b4-00c04fd430c8";

/** A canonical UUID: 8-4-4-4-12 hex digits, any case. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical hyphenated UUID (case-insensitive). */
export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}

function hyphenate(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/**
 * The canonical lower-case form of `text`, or undefined when it is not a UUID. Accepts what
 * Python's `uuid.UUID(text)` accepts: hyphens anywhere or none, `{…}` braces, a `urn:uuid:`
 * prefix.
 */
export function parseUuid(text: string): string | undefined {
  const hex = text.trim().replace(/^urn:/i, "").replace(/^uuid:/i, "").replace(/^\{+|\}+$/g, "")
    .replaceAll("-", "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  return hyphenate(hex.toLowerCase());
}

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replaceAll("-", "");
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** Name-based UUID (version 5, SHA-1), identical to Python's `uuid.uuid5(namespace, name)`. */
export async function uuidv5(namespace: string, name: string): Promise<string> {
  const nameBytes = new TextEncoder().encode(name);
  const input = new Uint8Array(16 + nameBytes.length);
  input.set(uuidBytes(namespace));
  input.set(nameBytes, 16);
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-1", input)).slice(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return hyphenate(hex(bytes));
}
