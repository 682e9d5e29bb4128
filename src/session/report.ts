// What session commands print besides their rows: notices, confirmations and the rows of
// summaries and history entries. Store refusals (SessionError) are printed by main without the
// `[ERROR]` label, as the reference prints them.

import type { Context } from "../context.ts";
import type { Row } from "../output/formatter.ts";
import { storeTimeToIso } from "./timestamps.ts";
import type { HistoryEntry, SessionSummary } from "./store.ts";

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
