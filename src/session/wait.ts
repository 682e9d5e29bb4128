// Waiting for an operation by polling `GET /operations/{uuid}` (CLI spec §8.4 `session wait`),
// through transient faults (5xx, 429, a dropped connection: polled again), with the follower's
// contact rules: a warning when the server has not answered for 10 s, and after
// CONTREE_FOLLOW_TIMEOUT seconds without contact an error naming the operation. The exit status
// of waiting commands is composed by `composeExitStatus` (src/operations/outcome.ts).

import type { ContreeClient } from "../api/client.ts";
import type { Operation } from "../api/models.ts";
import type { ContactPolicy } from "../sse/contact.ts";
import { pollOperation as pollUntilTerminal } from "../sse/follow.ts";

/** Sleeps between polls: 0.5 s doubling up to 5 s, then every 5 s. No overall timeout. */
export const POLL_DELAYS_MS = [500, 1000, 2000, 4000, 5000] as const;

export type OperationWaiter = (
  client: ContreeClient,
  uuid: string,
  contact?: ContactPolicy,
) => Promise<Operation>;

/** Polls until the operation is terminal (first request at once); returns the terminal op. */
export const pollOperation: OperationWaiter = (client, uuid, contact) =>
  pollUntilTerminal(client, uuid, {
    contact,
    delayMs: (retry) => POLL_DELAYS_MS[Math.min(retry, POLL_DELAYS_MS.length - 1)],
  });
