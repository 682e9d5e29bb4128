// Query strings as the API expects them (spec §1.6): values percent-encoded except `/`,
// booleans as `name=1` when true and omitted when false, arrays as repeated keys.

export type QueryValue =
  | string
  | number
  | boolean
  | undefined
  | null
  | readonly (string | number)[];
export type Query = Record<string, QueryValue>;

function encodeValue(value: string): string {
  return encodeURIComponent(value).replaceAll("%2F", "/");
}

export function encodeQuery(query: Query | undefined): string {
  if (!query) return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === false) continue;
    const name = encodeURIComponent(key);
    if (value === true) parts.push(`${name}=1`);
    else if (Array.isArray(value)) {
      for (const item of value) parts.push(`${name}=${encodeValue(String(item))}`);
    } else parts.push(`${name}=${encodeValue(String(value))}`);
  }
  return parts.join("&");
}

/** Percent-encodes one path segment (a `/` inside becomes %2F). */
export function pathSegment(value: string): string {
  return encodeURIComponent(value);
}
