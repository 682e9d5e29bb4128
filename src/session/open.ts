// Opens the session database for a command: creates its directory, applies
// CONTREE_DB_TIMEOUT, and stamps entries with the context's clock.

import type { Context } from "../context.ts";
import { restrictDatabase } from "../files.ts";
import { dbTimeoutMs, SessionDatabaseError, SessionStore } from "./store.ts";

export async function openSessionStore(
  path: string,
  ctx: Pick<Context, "env" | "clock">,
): Promise<SessionStore> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir) {
    try {
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new SessionDatabaseError(
        `Cannot create the session directory ${dir}: ${(error as Error).message}`,
      );
    }
  }
  try {
    // Session env values are often tokens: 0600, also in a reference CLI's 0755 directories.
    await restrictDatabase(path);
  } catch (error) {
    throw new SessionDatabaseError(
      `Cannot open session database ${path}: ${(error as Error).message}`,
    );
  }
  return SessionStore.open(path, {
    timeoutMs: dbTimeoutMs(ctx.env.get("CONTREE_DB_TIMEOUT")),
    now: () => ctx.clock.now(),
  });
}
