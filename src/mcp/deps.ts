// What `contree mcp` needs from the rest of the program, as one narrow port built from the App in
// src/cli/wiring.ts. The client and the store open on first use: a server without a profile
// still starts, and each tool that needs one answers with a tool error instead.

import type { ContreeClient } from "../api/client.ts";
import type { Context } from "../context.ts";
import type { SessionStore } from "../session/store.ts";
import type { RegistryCredentials } from "../images/registry_auth.ts";

/** One section of the agent manual, served by `get_guide` and `contree://guide/{section}`. */
export interface GuideSection {
  /** The section's name (`images_and_tags`); `aliases` are other names for it (`images`). */
  name: string;
  aliases: string[];
  title: string;
  text: string;
}

export interface McpDeps {
  /** Logs, clock, environment and host cwd. Its stdout is the protocol channel in stdio mode. */
  ctx: Context;
  /** The API client of the active profile (created once; throws when none is configured). */
  client(): ContreeClient;
  /** The session database of the active profile (opened once). */
  store(): Promise<SessionStore>;
  /** The session key of this invocation (-S, CONTREE_SESSION, `[cli]`, or derived). */
  sessionKey(): Promise<string>;
  /** Registry credentials kept by `registry_auth` (a 0600 file of the config directory). */
  registryCredentials(): RegistryCredentials;
  /** The sections of `contree agent`. */
  guides: readonly GuideSection[];
  /** Parallel uploads (CONTREE_CONCURRENCY). */
  concurrency: number;
  /** The version reported to MCP clients. */
  version: string;
}
