// Waiting for an operation by polling `GET /operations/{uuid}` (CLI spec §8.4 `session wait`).
// Deliberately small so an event-stream waiter can replace it (same signature). The exit
// status of waiting commands is composed by `composeExitStatus` (src/operations/namespace.ts).

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
