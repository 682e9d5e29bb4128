// `contree session …` (CLI spec §8.4): list, switch between and delete sessions; branches,
// checkout, rollback/forward, history, and waiting for detached runs.

import { ApiError } from "../api/errors.ts";
import { ACTIVE_STATUSES, isTerminalStatus, type Operation } from "../api/models.ts";
import { confirm } from "../prompt.ts";
import { timeRange } from "../time_filter.ts";
import { ContreeError } from "../errors.ts";
import type { Row } from "../output/formatter.ts";
import { storeTimeToIso, storeTimeToMs } from "./timestamps.ts";
import { evaluateHistoryRef, parseHistoryRef, resolveOperationRefsLazily } from "./refs.ts";
import { confirmation, entryRow, notice } from "./report.ts";
import type { SessionDeps } from "./deps.ts";
import { SessionError } from "./errors.ts";
import type { HistoryEntry, PendingOp, SessionStore } from "./store.ts";
import { type OperationWaiter, pollOperation } from "./wait.ts";
import { contactPolicyFromEnv, displayUrl, LostContact } from "../sse/contact.ts";
import { advancedImage, composeExitStatus, operationExitCode } from "../operations/outcome.ts";

/** `session list`: every session of the profile, most recently updated first. */
export async function sessionList(
  deps: SessionDeps,
  options: { filter?: string },
): Promise<number> {
  const store = await deps.store();
  const sessions = store.sessions(options.filter);
  if (sessions.length === 0) {
    await notice(deps.ctx, "No sessions found.");
    return 0;
  }
  const current = await deps.sessionKey();
  const out = deps.output();
  for (const session of sessions) {
    await out.write({
      active: session.sessionKey === current,
      session_key: session.sessionKey,
      active_branch: session.activeBranch,
      current_image: session.currentImage,
      updated_at: storeTimeToIso(session.updatedAt),
    });
  }
  await out.flush();
  return 0;
}

/** `session use NAME`: continue this session from another session's current image. */
export async function sessionUse(deps: SessionDeps, name: string): Promise<number> {
  const store = await deps.store();
  const source = store.findSession(name);
  const tip = store.tip(source);
  if (!tip?.image) throw new SessionError(`Session '${source}' has no current image`);
  store.setImage(await deps.sessionKey(), { image: tip.image, kind: "session use", title: source });
  const out = deps.output();
  await out.write({ image: tip.image, from_session: source });
  await out.flush();
  return 0;
}

export interface BranchOptions {
  name?: string;
  from?: string;
  delete: boolean;
  prune: boolean;
}

/** `session branch`: list, create (without switching), delete or prune branches. */
export async function sessionBranch(deps: SessionDeps, options: BranchOptions): Promise<number> {
  const store = await deps.store();
  const key = await deps.sessionKey();
  if (options.delete) {
    // As the reference: the message alone, exit 1; a NAME with --delete wins over --prune.
    if (!options.name) throw new SessionError("--delete requires a branch NAME");
    store.deleteBranch(key, options.name);
    await confirmation(deps.ctx, `Deleted branch '${options.name}'`);
    return 0;
  }
  if (options.prune) {
    const pruned = store.pruneBranches(key);
    if (pruned.length === 0) {
      await confirmation(deps.ctx, "No disposable/detached branches to prune.");
    }
    for (const name of pruned) await confirmation(deps.ctx, `Pruned branch '${name}'`);
    return 0;
  }
  // An empty NAME (`branch ""`, a variable that was not set) is a mistake, not a listing.
  if (options.name === "") throw new SessionError("Branch NAME must not be empty");
  if (options.name) {
    store.createBranch(key, options.name, options.from);
    await confirmation(deps.ctx, `Created branch '${options.name}'`);
    return 0;
  }
  const branches = store.state(key) ? store.branches(key) : [];
  if (branches.length === 0) {
    await notice(deps.ctx, "No branches (no active session).");
    return 0;
  }
  const marked = deps.format === "default";
  const out = deps.output();
  for (const branch of branches) {
    await out.write(
      marked
        ? { marker: branch.active ? "* " : "  ", branch: branch.name }
        : { branch: branch.name, active: branch.active },
    );
  }
  await out.flush();
  return 0;
}

/** `session checkout BRANCH`. */
export async function sessionCheckout(deps: SessionDeps, branch: string): Promise<number> {
  const store = await deps.store();
  const tip = store.switchBranch(await deps.sessionKey(), branch);
  const out = deps.output();
  await out.write({ branch, image: tip.image });
  await out.flush();
  return 0;
}

/**
 * Moves the active branch for `session rollback TARGET`: `+N` forward N, `-N` back N, `N`
 * to entry N, or any history reference (`HEAD~2`, `@-1`, `@5`, `@+1`, …).
 */
export function rollback(store: SessionStore, key: string, target: string): HistoryEntry {
  const text = target.trim();
  if (/^\+\d+$/.test(text)) return store.navigateForward(key, Number(text.slice(1)));
  if (/^-?\d+$/.test(text)) return store.navigate(key, Number(text));
  const ref = parseHistoryRef(text);
  if (!ref) {
    throw new ContreeError(
      `Invalid rollback target '${target}': expected -N (back), N (history id), +N (forward) ` +
        "or a history reference such as HEAD~N",
    );
  }
  if (ref.kind === "relative") {
    if (ref.steps === 0) throw new SessionError("Navigation target must not be 0");
    return ref.steps < 0 ? store.navigate(key, ref.steps) : store.navigateForward(key, ref.steps);
  }
  if (ref.kind === "absolute") return store.navigate(key, ref.id);
  return store.navigate(key, evaluateHistoryRef(store, key, ref).id);
}

/** `session rollback [TARGET]` (default -1) and `session forward [N]`. */
export async function sessionRollback(deps: SessionDeps, target: string): Promise<number> {
  const store = await deps.store();
  const entry = rollback(store, await deps.sessionKey(), target);
  const out = deps.output();
  await out.write(entryRow(entry));
  await out.flush();
  return 0;
}

export interface ShowOptions {
  name?: string;
  all: boolean;
  kind?: string;
  last?: number;
  since?: string;
  until?: string;
}

export const SHOW_DEFAULT_LAST = 20;

/** `session show [NAME]`: the session's history, oldest first. */
export async function sessionShow(deps: SessionDeps, options: ShowOptions): Promise<number> {
  const range = timeRange(options, deps.ctx.clock.now());
  const store = await deps.store();
  const key = options.name ? store.findSession(options.name) : (await deps.sessionKey());
  let entries = store.history(key);
  if (options.kind) {
    const kind = options.kind;
    entries = entries.filter((e) => e.kind === kind || e.kind.startsWith(`${kind}-`));
  }
  if (range.since || range.until) {
    const since = range.since?.getTime() ?? -Infinity;
    const until = range.until?.getTime() ?? Infinity;
    entries = entries.filter((e) => {
      const at = storeTimeToMs(e.createdAt);
      return at >= since && at <= until;
    });
  }
  if (options.last !== undefined) entries = entries.slice(-options.last);
  else if (!options.all && entries.length > SHOW_DEFAULT_LAST) {
    deps.ctx.log.info(
      `Showing last ${SHOW_DEFAULT_LAST} of ${entries.length} history entries. ` +
        "Use `contree session show --all` for full history.",
    );
    entries = entries.slice(-SHOW_DEFAULT_LAST);
  }
  if (entries.length === 0) {
    await notice(deps.ctx, "No history.");
    return 0;
  }
  const branchesAt = new Map<number, string[]>();
  for (const branch of store.branches(key)) {
    branchesAt.set(branch.historyId, [...(branchesAt.get(branch.historyId) ?? []), branch.name]);
  }
  const out = deps.output();
  for (const entry of entries) {
    await out.write({
      id: entry.id,
      image: entry.image,
      parent_id: entry.parentId,
      kind: entry.kind,
      title: entry.title,
      operation: entry.operation,
      created_at: storeTimeToIso(entry.createdAt),
      branches: (branchesAt.get(entry.id) ?? []).join(", "),
    });
  }
  await out.flush();
  return 0;
}

/** An operation to wait for; `pending` ones came from `run -d` and may advance the session. */
interface WaitItem {
  op: string;
  title: string;
  disposable: boolean;
  pending: boolean;
  /** Where a pending run was started, when its record says. */
  server?: string;
}

/**
 * The reference's row: the operation, its status FAILED when a SUCCESS operation's process
 * exited non-zero (what `session wait` reports is the command's outcome), the exit code, the
 * title.
 */
function waitRow(op: Operation, title: string): Row {
  const exitCode = operationExitCode(op);
  const status = op.status === "SUCCESS" && exitCode !== null && exitCode !== 0
    ? "FAILED"
    : op.status;
  return { ...op, uuid: op.uuid, status, exit_code: exitCode, title };
}

/**
 * Records a finished detached run (`run -d`) of session `key`: a result image moves the session
 * (a disposable run gets its branch instead), and the run is no longer pending.
 */
export function settlePendingOp(
  store: SessionStore,
  key: string,
  item: Pick<PendingOp, "op" | "title" | "disposable">,
  op: Operation,
): void {
  if (isTerminalStatus(op.status)) store.cacheSet(op.uuid ?? item.op, "operation", op);
  const image = advancedImage(op);
  store.settlePendingOp(key, item.op, () => {
    if (image && item.disposable) {
      // `run -d -D` made its branch when it spawned, at the image it ran on: the tip now may be
      // another one. A run left pending without one (lost contact) gets it now.
      if (!store.branchTip(key, `disposable-${item.op}`)) {
        store.createDisposableBranch(key, item.op, item.title);
      }
    } else if (image) {
      store.setImage(key, { image, kind: "run", title: item.title, operation: item.op });
    }
  });
}

/**
 * `session wait [REFS…]`. With references: wait for each in turn, never touching the session.
 * Without: wait for this session's detached runs (`run -d`), advancing the active branch for
 * each successful non-disposable one; without any, for the active operations the server
 * lists for this session key. The exit status composes like `op wait`.
 */
export async function sessionWait(
  deps: SessionDeps,
  refs: readonly string[],
  waiter: OperationWaiter = pollOperation,
): Promise<number> {
  const contact = contactPolicyFromEnv(deps.ctx.env);
  const key = await deps.sessionKey();
  let items: WaitItem[];
  if (refs.length > 0) {
    const uuids = await resolveOperationRefsLazily(() => deps.store(), key, refs);
    items = uuids.map((op) => ({ op, title: "", disposable: false, pending: false }));
  } else {
    const store = await deps.store();
    store.requireTip(key);
    items = store.pendingOps(key).map((p) => ({ ...p, pending: true }));
    if (items.length === 0) {
      const listed = await deps.client().listOperations({});
      items = listed
        .filter((op) =>
          op.session_key === key && (ACTIVE_STATUSES as readonly unknown[]).includes(op.status)
        )
        .map((op) => ({
          op: op.uuid,
          title: typeof op.title === "string" ? op.title : "",
          disposable: false,
          pending: false,
        }));
    }
    if (items.length === 0) {
      await notice(deps.ctx, "No active operations for this session.");
      return 0;
    }
  }
  const client = deps.client();
  const out = deps.output({ tail: ["error"] });
  deps.ctx.log.info(`Waiting for ${items.length} operations...`);
  const finished: Operation[] = [];
  /** A pending run this server does not have (dropped or left pending): exit 1. */
  let missing = false;
  for (const [index, item] of items.entries()) {
    let op: Operation;
    try {
      op = await waiter(client, item.op, contact);
    } catch (error) {
      // A pending run this server does not know stopped every wait at it, for good. Started
      // here and forgotten (its data reset): said once, and no longer pending. Started on
      // another server, or nobody knows where: said, and left for a wait there.
      if (item.pending && error instanceof ApiError && error.status === 404) {
        const here = displayUrl(client);
        if (item.server === here) {
          deps.ctx.log.error(
            `Operation ${item.op} is not on the server any more; dropped from this session's pending runs`,
          );
          (await deps.store()).removePendingOp(key, item.op);
        } else {
          deps.ctx.log.error(
            `Operation ${item.op} is not on ${here}` +
              (item.server ? `; it was started on ${item.server}` : "") +
              ": left pending for a wait on the server it runs on",
          );
        }
        missing = true;
        continue;
      }
      // Every operation not yet seen finished is left running, not only the one polled.
      if (error instanceof LostContact) {
        const left = error.naming(items.slice(index).map((i) => i.op));
        // The session's own operations stay pending: waiting again records them.
        throw refs.length === 0 ? left.pickedUpBy("contree session wait") : left;
      }
      throw error;
    }
    finished.push(op);
    if (item.pending) settlePendingOp(await deps.store(), key, item, op);
    await out.write(waitRow(op, item.title || (typeof op.title === "string" ? op.title : "")));
    await out.flush();
  }
  return Math.max(composeExitStatus(finished), missing ? 1 : 0);
}

/** `session delete KEY…`: asks per session unless `force`; exit 1 when any was not deleted. */
export async function sessionDelete(
  deps: SessionDeps,
  names: readonly string[],
  force: boolean,
): Promise<number> {
  const store = await deps.store();
  let failed = false;
  for (const name of names) {
    let key: string;
    try {
      key = store.findSession(name);
    } catch (error) {
      if (!(error instanceof SessionError)) throw error;
      deps.ctx.log.error(error.message);
      failed = true;
      continue;
    }
    if (!force && !(await confirm(deps.ctx, `Delete session '${key}'? [y/N] `))) {
      await confirmation(deps.ctx, "Aborted.");
      failed = true;
      continue;
    }
    store.deleteSession(key);
    deps.ctx.log.info(`Deleted session '${key}'`);
  }
  return failed ? 1 : 0;
}
