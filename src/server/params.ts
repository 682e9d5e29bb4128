// Query parameters of the API (spec §1.6, §1.9): offset paging, time filters and flags.

import { badRequest } from "./errors.ts";
import type { Page } from "./store.ts";

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** `limit` (1–1000, default 100) and `offset` (≥ 0, default 0); anything else is a 400. */
export function parsePage(query: URLSearchParams): Page {
  const limitText = query.get("limit");
  const offsetText = query.get("offset");
  const limit = limitText === null ? DEFAULT_PAGE_SIZE : Number(limitText);
  if (!/^\d+$/.test(limitText ?? "1") || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw badRequest(`limit must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  const offset = offsetText === null ? 0 : Number(offsetText);
  if (!/^\d+$/.test(offsetText ?? "0") || !Number.isSafeInteger(offset)) {
    throw badRequest("offset must be a non-negative integer");
  }
  return { limit, offset };
}

/** A boolean flag: absent → false; present → true unless "0" or "false". */
export function parseFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value !== null && value !== "0" && value.toLowerCase() !== "false";
}

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800,
};

/**
 * `since`/`until`: an ISO 8601 timestamp (1–9 fraction digits, `Z` or an offset; a bare date is
 * midnight UTC), or a relative duration before now such as `15m`, `1h30m`, `3d`, `1w`, or a
 * plain number of seconds. Returns an ISO string comparable with stored timestamps.
 */
export function parseInstant(name: string, value: string, now: number): string {
  const text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    let iso = text.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1");
    if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += "T00:00:00Z";
    else if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(iso)) iso += "Z";
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) throw badRequest(`invalid ${name}: ${value}`);
    return new Date(ms).toISOString();
  }
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)([smhdw]?)/g)];
  if (text === "" || parts.map((p) => p[0]).join("") !== text) {
    throw badRequest(
      `invalid ${name}: ${value} (expected ISO 8601 or a duration like 15m, 2h, 3d)`,
    );
  }
  const seconds = parts.reduce(
    (sum, [, n, unit]) => sum + Number(n) * UNIT_SECONDS[unit || "s"],
    0,
  );
  const instant = new Date(now - seconds * 1000);
  if (Number.isNaN(instant.getTime())) {
    throw badRequest(`invalid ${name}: ${value} (the duration is too long)`);
  }
  return instant.toISOString();
}

/** The `since`/`until` bounds of a list request. */
export function parseTimeRange(
  query: URLSearchParams,
  now: number,
): { since?: string; until?: string } {
  const range: { since?: string; until?: string } = {};
  for (const name of ["since", "until"] as const) {
    const value = query.get(name);
    if (value !== null && value !== "") range[name] = parseInstant(name, value, now);
  }
  return range;
}
