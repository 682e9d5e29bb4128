// The session store's UTC timestamps: written as SQLite's strftime default, read as UTC.

/** `YYYY-MM-DDTHH:MM:SS` in UTC, the form SQLite's strftime default writes. */
export function storeTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19);
}

const NAIVE_TIME = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d+)?)$/;

/**
 * A stored timestamp (UTC without zone) as ISO-8601 with `+00:00`, so every consumer reads it
 * as UTC (the reference reads it as local time, CLI spec §12.31). Other text passes through.
 */
export function storeTimeToIso(text: string): string {
  const match = NAIVE_TIME.exec(text);
  return match ? `${match[1]}T${match[2]}+00:00` : text;
}

/** Epoch milliseconds of a stored timestamp, or NaN. */
export function storeTimeToMs(text: string): number {
  return Date.parse(storeTimeToIso(text));
}
