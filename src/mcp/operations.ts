// The operation tools: get_operation, list_operations, wait_operations, cancel_operation. A
// finished detached run of the session (`run` with wait=false and no image) is recorded in the
// session when one of them sees it end, as `contree session wait` would.

import { DeadlineError } from "../api/errors.ts";
import {
  ACTIVE_STATUSES,
  isTerminalStatus,
  type Operation,
  TERMINAL_STATUSES,
} from "../api/models.ts";
import { paginate } from "../api/paginate.ts";
import { ContreeError } from "../errors.ts";
import { followImport } from "../images/registry.ts";
import { fetchOperation, STATUS_LETTERS } from "../operations/namespace.ts";
import { operationCache } from "../session/adapters.ts";
import { settlePendingOp } from "../session/session_cmd.ts";
import { apiTime } from "./images.ts";
import { operationOutput, operationSummary } from "./outputs.ts";
import type { ToolOutput } from "./result.ts";
import type { ProgressReport } from "./run.ts";
import type { McpState } from "./state.ts";

const STATUSES: readonly string[] = [...ACTIVE_STATUSES, ...TERMINAL_STATUSES];

/** `success`, `S`, `running` (contree-mcp's word for EXECUTING) → the API's status. */
export function operationStatus(value: string): string {
  const upper = value.trim().toUpperCase();
  const status = STATUS_LETTERS[upper] ?? (upper === "RUNNING" ? "EXECUTING" : upper);
  if (!STATUSES.includes(status)) {
    throw new ContreeError(`Unknown status '${value}' (expected one of ${STATUSES.join(", ")})`);
  }
  return status;
}

/** Records a finished detached run of the session; never fails the tool that noticed it. */
async function settle(state: McpState, operation: Operation): Promise<void> {
  if (!isTerminalStatus(operation.status)) return;
  try {
    const store = await state.store();
    const key = await state.sessionKey();
    const pending = store.pendingOps(key).find((item) => item.op === operation.uuid);
    if (pending) settlePendingOp(store, key, pending, operation);
  } catch (error) {
    state.ctx.log.debug(`recording ${operation.uuid} in the session failed: ${error}`);
  }
}

async function operation(state: McpState, uuid: string): Promise<Operation> {
  const found = await fetchOperation({
    client: state.client(),
    cache: async () => operationCache(await state.store()),
  }, uuid);
  await settle(state, found);
  return found;
}

export async function getOperationTool(state: McpState, uuid: string): Promise<ToolOutput> {
  return operationOutput(await operation(state, uuid));
}

export interface ListOperationsArgs {
  limit: number;
  status?: string;
  type?: string;
  since?: string;
  until?: string;
}

export async function listOperationsTool(
  state: McpState,
  args: ListOperationsArgs,
): Promise<ToolOutput> {
  const client = state.client();
  const query = {
    status: args.status ? operationStatus(args.status) : undefined,
    kind: args.type || undefined,
    since: apiTime(state, args.since, "since"),
    until: apiTime(state, args.until, "until"),
  };
  const operations: ToolOutput[] = [];
  outer: for await (
    const page of paginate(
      (offset, limit) => client.listOperations({ ...query, offset, limit }),
      { limit: args.limit, concurrency: state.deps.concurrency },
    )
  ) {
    for (const op of page) {
      if (operations.length === args.limit) break outer;
      operations.push(operationSummary(op));
    }
  }
  return { operations };
}

export interface WaitArgs {
  operation_ids: string[];
  timeout: number;
  mode: "all" | "any";
}

/**
 * Follows every operation at once (event log, falling back to polling). `all` waits for each
 * (up to `timeout` seconds); `any` returns with the first to finish and cancels the others, as
 * contree-mcp does (when none finishes in time, none is cancelled). Progress: one notification
 * per finished operation.
 */
export async function waitOperationsTool(
  state: McpState,
  args: WaitArgs,
  progress?: ProgressReport,
  signal?: AbortSignal,
): Promise<ToolOutput> {
  const ids = [...new Set(args.operation_ids)];
  if (ids.length === 0) throw new ContreeError("operation_ids must name at least one operation");
  // The call cancelled (or the host gone) stops the waiting, not the operations.
  const client = signal ? state.client().withSignal(signal) : state.client();
  const results: Record<string, ToolOutput> = {};
  /** Operations that could not be waited for (unknown, or the server refused): by id. */
  const errors: Record<string, string> = {};
  const completed: string[] = [];
  const pending = new Set(ids);
  let firstDone: (() => void) | undefined;
  const first = new Promise<void>((resolve) => (firstDone = resolve));
  const waitOne = async (uuid: string) => {
    let output: ToolOutput;
    try {
      const finished = await followImport(client, uuid, { timeoutMs: args.timeout * 1000 });
      await settle(state, finished);
      output = operationOutput(finished);
    } catch (error) {
      if (error instanceof DeadlineError) return; // still pending at the deadline
      if (signal?.aborted) throw signal.reason;
      if (!(error instanceof ContreeError)) throw error;
      // No operation that finished: it is not counted as the first of mode any (which would
      // cancel the others because of a mistyped id).
      if (pending.delete(uuid)) errors[uuid] = error.message;
      return;
    }
    if (!pending.delete(uuid)) return; // answered already (mode any)
    results[uuid] = output;
    completed.push(uuid);
    firstDone?.();
    await progress?.(`${uuid} ${output.status}`, 1).catch(() => {});
  };
  const all = Promise.all(ids.map(waitOne));
  all.catch(() => {}); // observed below, or abandoned by mode any
  const cancelled: string[] = [];
  if (args.mode === "any") {
    await Promise.race([first, all]);
    // Nothing finished in time: nothing is cancelled, the caller may wait again.
    for (const uuid of completed.length > 0 ? [...pending] : []) {
      pending.delete(uuid);
      cancelled.push(uuid);
      await client.cancelOperation(uuid).catch((error) =>
        state.ctx.log.debug(`cancelling ${uuid} failed: ${(error as Error).message}`)
      );
    }
  } else {
    await all;
  }
  const stillPending = [...pending];
  return {
    results,
    completed,
    cancelled,
    pending: stillPending,
    timed_out: stillPending.length > 0,
    ...(Object.keys(errors).length > 0 ? { errors } : {}),
  };
}

export async function cancelOperationTool(state: McpState, uuid: string): Promise<ToolOutput> {
  const client = state.client();
  const current = await client.getOperation(uuid);
  if (isTerminalStatus(current.status)) {
    return {
      cancelled: current.status === "CANCELLED",
      operation_id: uuid,
      status: current.status,
    };
  }
  await client.cancelOperation(uuid);
  // The cancel is accepted (202), not done: the status is the server's, which may still be
  // EXECUTING for a moment (wait_operations sees it end).
  const after = await client.getOperation(uuid).catch(() => undefined);
  return { cancelled: true, operation_id: uuid, status: after?.status ?? current.status };
}
