// Waiting for operations by polling `GET /operations/{uuid}` (CLI spec §8.4 `session wait`),
// and the exit status a waiting command returns. `pollOperation` is deliberately small so an
// event-stream waiter can replace it (same signature).

import type { ContreeClient } from "../api/client.ts";
import { isTerminalStatus, type Operation } from "../api/models.ts";

/** Sleeps between polls: 0.5 s doubling up to 5 s, then every 5 s. No overall timeout. */
export const POLL_DELAYS_MS = [500, 1000, 2000, 4000, 5000] as const;

export type OperationWaiter = (
  client: Pick<ContreeClient, "getOperation" | "clock" | "signal">,
  uuid: string,
) => Promise<Operation>;

/** Polls until the operation is terminal (first request at once); returns the terminal op. */
export const pollOperation: OperationWaiter = async (client, uuid) => {
  for (let attempt = 0;; attempt++) {
    const op = await client.getOperation(uuid);
    if (isTerminalStatus(op?.status)) return op;
    const delay = POLL_DELAYS_MS[Math.min(attempt, POLL_DELAYS_MS.length - 1)];
    await client.clock.sleep(delay, client.signal);
  }
};

function asInt(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
  return undefined;
}

/** The process exit code: `metadata.result.state.exit_code`, else `result.exit_code`. */
export function operationExitCode(op: Operation): number | undefined {
  return asInt(op.metadata?.result?.state?.exit_code) ?? asInt(op.result?.exit_code);
}

/**
 * Exit status of a command that waited for `ops`: the maximum over ops of 1 when the status is
 * not SUCCESS and of the non-zero exit code (a negative one counts as 1), so `wait X && next`
 * composes.
 */
export function waitExitStatus(ops: readonly Operation[]): number {
  let status = 0;
  for (const op of ops) {
    if (op.status !== "SUCCESS") status = Math.max(status, 1);
    const code = operationExitCode(op);
    if (code !== undefined && code !== 0) status = Math.max(status, code > 0 ? code : 1);
  }
  return status;
}
