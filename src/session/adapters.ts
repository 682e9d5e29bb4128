// The session store seen through the interfaces of other commands: `run` (RunSession), the
// operation namespace (OperationCache, reference resolution) and the shared ImageCache.

import { isTerminalStatus, type Operation } from "../api/models.ts";
import type { ImageCache } from "../cache.ts";
import type { OperationCache } from "../operations/namespace.ts";
import type { RunSession } from "../operations/run.ts";
import { resolveOperationRefs } from "./refs.ts";
import type { SessionStore } from "./store.ts";

/** `run`'s view of session `key`; `server` (its URL) goes with the runs it leaves pending. */
export function runSession(store: SessionStore, key: string, server?: string): RunSession {
  /** The staged files the run sent (their history ids): what its entry consumes. */
  let sent = new Set<number>();
  return {
    useImage: (image, title) => void store.setImage(key, { image, kind: "use", title }),
    currentImage: () => store.requireTip(key).image,
    cwd: () => store.recordedCwd(key),
    env: () => store.env(key),
    pendingFiles: () => {
      const files = store.pendingFiles(key);
      sent = new Set(files.map((file) => file.historyId));
      return Object.fromEntries(files.map((file) => [
        file.path,
        { uuid: file.fileUuid, uid: file.uid, gid: file.gid, mode: file.mode },
      ]));
    },
    preservedEnv: (image) => {
      const env = store.cacheGet<unknown>(image, "preserved_env");
      if (!env || typeof env !== "object" || Array.isArray(env)) return undefined;
      return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
    },
    setPreservedEnv: (image, env) => store.cacheSet(image, "preserved_env", env),
    advance: (image, title, operation) =>
      void store.recordRun(key, { image, kind: "run", title, operation }, sent),
    disposableBranch: (operation, title) =>
      void store.createDisposableBranch(key, operation, title),
    detachedBranch: (operation, title) => void store.createDetachedBranch(key, operation, title),
    addPendingOperation: (entry) => store.addPendingOp(key, server ? { ...entry, server } : entry),
  };
}

/** The store's `image_cache` table. */
export function imageCache(store: SessionStore): ImageCache {
  return {
    get: (image, kind) => store.cacheRead(image, kind),
    set: (image, kind, value) => store.cacheWrite(image, kind, value),
  };
}

/** For a command that runs without the session store: nothing kept, nothing found. */
export const NO_OPERATION_CACHE: OperationCache = {
  get: () => Promise.resolve(undefined),
  set: () => Promise.resolve(),
};

/** Terminal operations cached under `(uuid, "operation")`. */
export function operationCache(store: SessionStore): OperationCache {
  return {
    get: async (uuid) => {
      const operation = await store.cacheRead<Operation>(uuid, "operation");
      return operation && isTerminalStatus(operation.status) ? operation : undefined;
    },
    set: (operation) => store.cacheWrite(operation.uuid, "operation", operation),
  };
}

/** `resolveRefs` of the operation namespace for session `key` (every bad token in one error). */
export function refResolver(
  store: SessionStore,
  key: string,
): (tokens: readonly string[]) => string[] {
  return (tokens) => resolveOperationRefs(store, key, tokens);
}
