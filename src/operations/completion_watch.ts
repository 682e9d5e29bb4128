// Push for `op wait`: the completion streams of pending operations, so a wait ends as soon as
// the last operation finishes instead of at the next poll (which is up to 2 s away).
//
// `GET /operations/{id}/events?follow=1&spid=0` carries only the init event and the completion
// (API spec §5.1: the completion always comes), so a watched stream costs next to nothing. At
// most WATCHED_STREAMS are open at once; when one ends its slot goes to the next pending
// operation, so once fewer operations than that remain, every one of them is watched. Polling
// stays the source of truth: a stream that fails is retried later, and a server whose events
// route is unusable (or refuses the token) turns watching off.

import type { ContreeClient } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import { readSseItems } from "../sse/frames.ts";

/** Completion streams open at once. */
export const WATCHED_STREAMS = 64;
/** A stream that ended without a completion is reopened after this long. */
const RETRY_MS = 1000;
/** Statuses after which no events route is asked again (API spec §5.7: poll instead). */
const NO_EVENTS = new Set([400, 401, 403, 404, 405, 406]);

export class CompletionWatch {
  readonly #queue: string[];
  readonly #stop = new AbortController();
  #open = 0;
  #off = false;

  /**
   * @param isPending whether an operation still needs watching (polling may find it first)
   * @param onCompletion called once per operation whose completion arrived
   */
  constructor(
    private readonly client: ContreeClient,
    uuids: readonly string[],
    private readonly isPending: (uuid: string) => boolean,
    private readonly onCompletion: (uuid: string) => void,
  ) {
    this.#queue = [...uuids];
    this.#fill();
  }

  /** Closes every stream (the wait is over). */
  stop(): void {
    this.#off = true;
    this.#stop.abort();
  }

  #fill(): void {
    while (!this.#off && this.#open < WATCHED_STREAMS && this.#queue.length > 0) {
      const uuid = this.#queue.shift()!;
      if (!this.isPending(uuid)) continue;
      this.#open++;
      void this.#watch(uuid).finally(() => {
        this.#open--;
        this.#fill();
      });
    }
  }

  async #watch(uuid: string): Promise<void> {
    try {
      const response = await this.client.openEvents(uuid, {
        follow: true,
        spid: 0,
        signal: this.#stop.signal,
      });
      if (response.body) {
        for await (const item of readSseItems(response.body)) {
          if (item.kind === "event" && item.event.type === "completion") {
            this.onCompletion(uuid);
            return;
          }
          if (item.kind === "error" || item.kind === "invalid") break;
        }
      }
    } catch (error) {
      if (this.#off) return;
      if (error instanceof ApiError && NO_EVENTS.has(error.status)) {
        this.client.log.debug(`Not watching completions: events route answered ${error.status}`);
        this.#off = true;
        return;
      }
      this.client.log.debug(`Completion stream of ${uuid} broke: ${(error as Error).message}`);
    }
    // Ended without a completion (a drop, 425 before the log exists, 5xx): try again later.
    if (this.#off) return;
    await this.client.clock.sleep(RETRY_MS, this.#stop.signal).catch(() => {});
    this.#queue.push(uuid);
  }
}
