// How session commands report store refusals: the message alone on stderr and exit 1, as the
// reference prints them (e.g. `Cannot delete the active branch`, the two-line "No active
// session" notice). Other errors keep the usual `[ERROR] …` path through main.

import type { Context } from "../context.ts";
import { Exit } from "../errors.ts";
import type { Row } from "../output/formatter.ts";
import { storeTimeToIso } from "./timestamps.ts";
import { SessionError } from "./errors.ts";
import type { HistoryEntry, SessionSummary } from "./store.ts";

export async function withSessionErrors(
  ctx: Pick<Context, "stderr">,
  fn: () => Promise<number | void>,
): Promise<number | void> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof SessionError)) throw error;
    await ctx.stderr.write(`${error.message}\n`);
    throw new Exit(1);
  }
}

/** A notice that is not an error (e.g. `No history.`), on stderr. */
export async function notice(ctx: Pick<Context, "stderr">, text: string): Promise<void> {
  await ctx.stderr.write(`${text}\n`);
}

/** A plain confirmation (e.g. `Created branch 'x'`), on stdout. */
export async function confirmation(ctx: Pick<Context, "stdout">, text: string): Promise<void> {
  await ctx.stdout.write(`${text}\n`);
}

/** The row of `use` / `session` without arguments. */
export function summaryRow(summary: SessionSummary): Row {
  return {
    session_key: summary.sessionKey,
    active_branch: summary.activeBranch,
    current_image: summary.currentImage,
    last_kind: summary.lastKind,
    last_title: summary.lastTitle,
    updated_at: storeTimeToIso(summary.updatedAt),
  };
}

/** The row of `session rollback` / `forward`. */
export function entryRow(entry: HistoryEntry): Row {
  return {
    image: entry.image,
    kind: entry.kind,
    title: entry.title,
    created_at: storeTimeToIso(entry.createdAt),
  };
}
