// Exit statuses derived from finished operations, one rule for `run`, `op wait` and
// `session wait`: 1 when the operation did not succeed, otherwise (and above that) the sandbox
// process's own non-zero code, so `contree run … && next` and `contree op wait A && next` stop
// exactly when they should.

import type { Operation } from "../api/models.ts";

/** The process exit code recorded on an operation (state first, then an older `result.exit_code`). */
export function operationExitCode(operation: Operation): number | null {
  const state = operation.metadata?.result?.state?.exit_code;
  if (Number.isInteger(state)) return state as number;
  const legacy = Number(operation.result?.exit_code);
  return operation.result?.exit_code !== undefined && Number.isInteger(legacy) ? legacy : null;
}

/** 1 when any op is not SUCCESS, otherwise the largest non-zero exit code (so `wait A && next` works). */
export function composeExitStatus(operations: readonly Operation[]): number {
  let status = 0;
  for (const op of operations) {
    if (op.status !== "SUCCESS") status = Math.max(status, 1);
    const code = operationExitCode(op);
    if (code !== null && code !== 0) status = Math.max(status, code);
  }
  return status;
}

/** The exit status of one finished run. */
export function runExitCode(operation: Operation): number {
  return composeExitStatus([operation]);
}
