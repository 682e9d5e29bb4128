// The session tools (beyond contree-mcp): contree's git-like history for an agent, in the same
// session database the CLI uses. `use` points the session at an image; `run` without an image
// runs there and moves it forward; `session_rollback` and `session_branch` move around in it.

import { newSessionKey } from "../session/key.ts";
import { entryRow, summaryRow } from "../session/report.ts";
import { rollback } from "../session/session_cmd.ts";
import type { SessionStore } from "../session/store.ts";
import { storeTimeToIso } from "../session/timestamps.ts";
import { ContreeError } from "../errors.ts";
import type { ToolOutput } from "./result.ts";
import { type McpState, NO_SESSION_TOOL_MESSAGE } from "./state.ts";

function summary(store: SessionStore, key: string): ToolOutput {
  const found = store.summary(key);
  if (!found || !found.currentImage) throw new ContreeError(NO_SESSION_TOOL_MESSAGE);
  return summaryRow(found);
}

function branchList(store: SessionStore, key: string): ToolOutput[] {
  return store.branches(key).map((branch) => ({
    name: branch.name,
    active: branch.active,
    image: store.entry(branch.historyId)?.image ?? null,
  }));
}

export async function useTool(
  state: McpState,
  args: { image: string; new: boolean },
): Promise<ToolOutput> {
  // Resolved first: an unknown image leaves the session as it was.
  const image = await state.resolveImage(args.image);
  if (args.new) state.switchSession(newSessionKey());
  return await state.withSession((store, key) => {
    store.setImage(key, { image, kind: "use", title: args.image });
    return summary(store, key);
  });
}

export async function sessionShowTool(
  state: McpState,
  args: { limit: number },
): Promise<ToolOutput> {
  return await state.withSession((store, key) => {
    const session = summary(store, key);
    const branchesAt = new Map<number, string[]>();
    for (const branch of store.branches(key)) {
      branchesAt.set(branch.historyId, [...(branchesAt.get(branch.historyId) ?? []), branch.name]);
    }
    const entries = store.history(key);
    const tip = store.tip(key)?.id;
    const history = entries.slice(-args.limit).map((entry) => ({
      id: entry.id,
      image: entry.image,
      parent_id: entry.parentId,
      kind: entry.kind,
      title: entry.title,
      operation: entry.operation || null,
      created_at: storeTimeToIso(entry.createdAt),
      branches: branchesAt.get(entry.id) ?? [],
      current: entry.id === tip,
    }));
    return {
      session,
      branches: branchList(store, key),
      history,
      history_total: entries.length,
    };
  });
}

export async function sessionRollbackTool(
  state: McpState,
  args: { target: string },
): Promise<ToolOutput> {
  return await state.withSession((store, key) => {
    const entry = rollback(store, key, args.target);
    return { ...entryRow(entry), id: entry.id, session: summary(store, key) };
  });
}

export interface BranchArgs {
  name?: string;
  from?: string;
  checkout: boolean;
}

/** Lists branches; with `name`, creates it (when missing) and, with `checkout`, switches to it. */
export async function sessionBranchTool(state: McpState, args: BranchArgs): Promise<ToolOutput> {
  return await state.withSession((store, key) => {
    summary(store, key); // refuses a session without an image
    let created = false;
    if (args.name) {
      if (!store.branches(key).some((branch) => branch.name === args.name)) {
        store.createBranch(key, args.name, args.from);
        created = true;
      } else if (args.from) {
        throw new ContreeError(`Branch '${args.name}' already exists`);
      }
      if (args.checkout) store.switchBranch(key, args.name);
    } else if (args.from || args.checkout) {
      throw new ContreeError("'from' and 'checkout' need a branch 'name'");
    }
    return { created, session: summary(store, key), branches: branchList(store, key) };
  });
}
