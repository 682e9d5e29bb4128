// The state one `contree mcp` process keeps across tool calls (and across the MCP sessions of the
// HTTP transport): the session key the session-aware tools use, and the directory states that
// `rsync` hands to `run`.

import type { ContreeClient } from "../api/client.ts";
import { resolveImageRef } from "../api/image_ref.ts";
import type { FileSpec } from "../api/models.ts";
import type { ImageCache } from "../cache.ts";
import { imageCache } from "../session/adapters.ts";
import { NoActiveSession } from "../session/errors.ts";
import type { SessionStore } from "../session/store.ts";
import { ContreeError } from "../errors.ts";
import type { McpDeps } from "./deps.ts";

/** What a tool says when the session has no image yet. */
export const NO_SESSION_TOOL_MESSAGE =
  "No active session: call `use` with an image first, or pass `image` to `run`.";

/** What an `rsync` leaves for later runs: the request's files, and the host file of each. */
export interface DirectoryState {
  /** Sandbox path → file spec, as a run request carries them. */
  files: Record<string, FileSpec>;
  /** Sandbox path → the host file it was uploaded from (to upload it again). */
  hostPaths: Record<string, string>;
}

export class McpState {
  #sessionKey?: Promise<string>;
  readonly #directoryStates = new Map<number, DirectoryState>();
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(readonly deps: McpDeps) {}

  get ctx() {
    return this.deps.ctx;
  }

  client(): ContreeClient {
    return this.deps.client();
  }

  store(): Promise<SessionStore> {
    return this.deps.store();
  }

  /** The session the session-aware tools act on: the invocation's, until `use` starts another. */
  sessionKey(): Promise<string> {
    this.#sessionKey ??= this.deps.sessionKey();
    return this.#sessionKey;
  }

  switchSession(key: string): void {
    this.#sessionKey = Promise.resolve(key);
  }

  async imageCache(): Promise<ImageCache> {
    return imageCache(await this.store());
  }

  /** An image UUID for a UUID, `tag:NAME` or a bare tag. */
  resolveImage(ref: string): Promise<string> {
    return resolveImageRef(this.client(), ref);
  }

  /** Runs `fn`; the store's "No active session" becomes the tools' wording of it. */
  async withSession<T>(fn: (store: SessionStore, key: string) => T | Promise<T>): Promise<T> {
    const store = await this.store();
    const key = await this.sessionKey();
    try {
      return await fn(store, key);
    } catch (error) {
      if (error instanceof NoActiveSession) throw new ContreeError(NO_SESSION_TOOL_MESSAGE);
      throw error;
    }
  }

  /** Keeps track of a tool call until it settles (see `settled`). */
  track<T>(call: Promise<T>): Promise<T> {
    this.#inFlight.add(call);
    call.finally(() => this.#inFlight.delete(call)).catch(() => {});
    return call;
  }

  /**
   * Resolves once the calls in flight settle (or after `ms`). At shutdown the SDK aborts them,
   * and a `run` then cancels its operation; this lets that finish before the process exits.
   */
  async settled(ms: number): Promise<void> {
    if (this.#inFlight.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inFlight]),
      new Promise((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
  }

  /** Keeps the files of an `rsync` for later runs; returns their directory_state_id. */
  addDirectoryState(state: DirectoryState): number {
    const id = this.#directoryStates.size + 1;
    this.#directoryStates.set(id, state);
    return id;
  }

  directoryState(id: number): DirectoryState {
    const files = this.#directoryStates.get(id);
    if (!files) {
      throw new ContreeError(
        `Directory state not found: ${id} (directory states live as long as this server; run \`rsync\` again)`,
      );
    }
    return files;
  }
}
