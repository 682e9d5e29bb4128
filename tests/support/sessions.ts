// Shared helpers of the session tests: temp databases and sample UUIDs.

import { SessionStore } from "../../src/session/store.ts";

export const IMG = [
  "11111111-1111-4111-8111-111111111111",
  "22222222-2222-4222-8222-222222222222",
  "33333333-3333-4333-8333-333333333333",
  "44444444-4444-4444-8444-444444444444",
  "55555555-5555-4555-8555-555555555555",
];
export const OP = [
  "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
  "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
  "cccccccc-cccc-4ccc-8ccc-cccccccccccc",
  "dddddddd-dddd-4ddd-8ddd-dddddddddddd",
  "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee",
  "ffffffff-ffff-4fff-8fff-ffffffffffff",
];

/** A temp directory with a database path inside; `cleanup()` removes both. */
export async function tempDb(): Promise<
  { dir: string; path: string; cleanup: () => Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "contree-session-test-" });
  return {
    dir,
    path: `${dir}/default.db`,
    cleanup: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

/** Runs `fn` with a fresh store whose clock starts at 2026-06-08T20:00:00Z, +1 s per read. */
export async function withStore(
  fn: (store: SessionStore, path: string) => void | Promise<void>,
): Promise<void> {
  const { path, cleanup } = await tempDb();
  let now = Date.parse("2026-06-08T20:00:00Z");
  const store = SessionStore.open(path, { now: () => (now += 1000) });
  try {
    await fn(store, path);
  } finally {
    store.close();
    await cleanup();
  }
}
