// What the session commands (use, session, cd, env, file) need, as one narrow port built from the
// App in src/cli/wiring.ts. The store and the client open on first use: `use UUID` needs no
// profile, `env` needs no server.

import type { ContreeClient } from "../api/client.ts";
import type { Context } from "../context.ts";
import type { ColumnOrder, FormatName, Formatter } from "../output/formatter.ts";
import type { SessionStore } from "./store.ts";

export interface SessionDeps {
  ctx: Context;
  /** The session database of the active profile (opened once). */
  store(): Promise<SessionStore>;
  /** The session key of this invocation (-S, CONTREE_SESSION, `[cli]`, or derived). */
  sessionKey(): Promise<string>;
  /** The API client of the active profile (created once). */
  client(): ContreeClient;
  format: FormatName;
  output(order?: ColumnOrder): Formatter;
  /** Parallel page fetches and uploads (CONTREE_CONCURRENCY). */
  concurrency: number;
  /** The `[cli] editor` setting, if any. */
  configuredEditor?: string;
}
