// What a finished operation means to the commands that waited for it, one rule each for `run`,
// `op wait`, `session wait` and `build`:
// - the exit status: 1 when the operation did not succeed, otherwise (and above that) the
//   sandbox process's own non-zero code (128 + N after signal N, 255 after a timeout without
//   one), so `contree run … && next` and `contree op wait A && next` stop exactly when they
//   should;
// - whether it advances the session: a SUCCESS instance with a result image does, whatever its
//   exit code (CLI spec §8.1 step 9). The image holds what the command left behind, failed or
//   not, and `run -d` + `session wait` lands exactly where `run` would (the reference's
//   `session wait` also demands exit code 0, §12.14; docs/DEVIATIONS.md).

import type { Operation } from "../api/models.ts";

/** The process exit code recorded on an operation (state first, then an older `result.exit_code`). */
export function operationExitCode(operation: Operation): number | null {
  const state = operation.metadata?.result?.state?.exit_code;
  if (Number.isInteger(state)) return state as number;
  const legacy = Number(operation.result?.exit_code);
  return operation.result?.exit_code !== undefined && Number.isInteger(legacy) ? legacy : null;
}

/**
 * The exit status a process that ended without an exit code of its own stands for: 128 + the
 * signal that killed it (as a shell reports one), else 255 (the reference passes −1 to
 * `sys.exit`). A process killed by a signal or its timeout never reads as success.
 */
function processStatus(op: Operation): number {
  const state = op.metadata?.result?.state;
  const code = operationExitCode(op);
  if (code !== null && code > 0) return code;
  if (code !== null && code < 0) {
    const signal = Number(state?.signal);
    return Number.isInteger(signal) && signal > 0 && signal < 128 ? 128 + signal : 255;
  }
  return state?.timed_out === true ? 255 : 0;
}

/** 1 when any op is not SUCCESS, otherwise the largest non-zero exit code (so `wait A && next` works). */
export function composeExitStatus(operations: readonly Operation[]): number {
  let status = 0;
  for (const op of operations) {
    if (op.status !== "SUCCESS") status = Math.max(status, 1);
    status = Math.max(status, processStatus(op));
  }
  return status;
}

/** The exit status of one finished run. */
export function runExitCode(operation: Operation): number {
  return composeExitStatus([operation]);
}

/** The image a finished operation moves the session to, or undefined when it does not advance it. */
export function advancedImage(operation: Operation): string | undefined {
  if (operation.status !== "SUCCESS" || (operation.kind ?? "instance") !== "instance") {
    return undefined;
  }
  return resultImage(operation);
}

/** The image a finished operation produced, if any. */
export function resultImage(operation: Operation): string | undefined {
  return operation.result?.image ?? operation.result_image_uuid ?? undefined;
}
