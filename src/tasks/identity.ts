// Task IDs (task-lifecycle spec §3.1–3.2): five lowercase Crockford base32 characters, the first
// a letter outside hex (so an ID never looks like a container ID or a git SHA), the second a
// digit. Input from users is normalised at the CLI boundary only.

import { ContreeError, UsageError } from "../errors.ts";
import { listTaskIds } from "./meta.ts";

export const ID_HEAD = "ghjkmnpqrstvwxyz";
export const ID_DIGITS = "0123456789";
export const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

const TASK_ID = /^[ghjkmnp-tv-z][0-9][0-9a-hjkmnp-tv-z]{3}$/;
const TASK_ID_PREFIX = /^[ghjkmnp-tv-z](?:[0-9][0-9a-hjkmnp-tv-z]{0,3})?$/;
const MAX_ATTEMPTS = 100;

/** True for a canonical task ID. */
export function isTaskId(value: string): boolean {
  return TASK_ID.test(value);
}

/** A fresh ID not in `existing`; an internal error after 100 collisions. */
export function generateTaskId(existing: ReadonlySet<string>, randomInt: (n: number) => number) {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    let id = ID_HEAD[randomInt(ID_HEAD.length)] + ID_DIGITS[randomInt(ID_DIGITS.length)];
    for (let i = 0; i < 3; i++) id += CROCKFORD[randomInt(CROCKFORD.length)];
    if (!existing.has(id)) return id;
  }
  throw new Error(`Failed to generate unique task ID after ${MAX_ATTEMPTS} attempts`);
}

/**
 * What the user typed, as a canonical prefix: hyphens dropped, lowercased, Crockford's
 * look-alikes mapped (`i`/`l` → `1`, `o` → `0`). Throws UsageError for anything that cannot be
 * an ID prefix (which includes every path-like value).
 */
export function normaliseTaskIdInput(raw: string): string {
  const stripped = raw.replaceAll("-", "").toLowerCase();
  if (/^[ilo]/.test(stripped)) {
    throw new UsageError(
      `Invalid task ID prefix '${raw}'; task IDs never start with I, L, or O — expected one of '${ID_HEAD}'`,
    );
  }
  const prefix = stripped.replace(/[il]/g, "1").replaceAll("o", "0");
  if (!TASK_ID_PREFIX.test(prefix)) {
    throw new UsageError(
      `Invalid task ID prefix '${prefix}'; expected 1-5 Crockford chars (e.g. 'k3v8h')`,
    );
  }
  return prefix;
}

/** Resolves user input to the one existing task ID it names in `metaDir`. */
export async function resolveTaskId(
  metaDir: string,
  project: string,
  raw: string,
): Promise<string> {
  const prefix = normaliseTaskIdInput(raw);
  const ids = await listTaskIds(metaDir);
  if (ids === undefined) throw new ContreeError(`No tasks found for project ${project}`);
  if (ids.has(prefix)) return prefix;
  const matches = [...ids].filter((id) => isTaskId(id) && id.startsWith(prefix)).sort();
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) {
    throw new ContreeError(`No task matching '${prefix}' in project ${project}`);
  }
  throw new ContreeError(`Ambiguous task ID '${prefix}' — matches: ${matches.join(", ")}`);
}
