// Driving `contree mcp` with the SDK's own Client: over stdio (the CLI as a subprocess, as the CLI
// tests run it) or over Streamable HTTP, and reading tool answers.

import { ContreeClient } from "../../src/api/client.ts";
import { type CallToolResult, loadMcpClientSdk, loadMcpServerSdk } from "../../src/deps.ts";
import { RegistryCredentials } from "../../src/images/registry_auth.ts";
import { MemorySink } from "../../src/io.ts";
import { Logger } from "../../src/log.ts";
import type { GuideSection } from "../../src/mcp/deps.ts";
import { createMcpServer } from "../../src/mcp/server.ts";
import { McpState } from "../../src/mcp/state.ts";
import { openSessionStore } from "../../src/session/open.ts";
import type { SessionStore } from "../../src/session/store.ts";
import { cliCommand } from "./cli.ts";
import { type TestContext, testContext } from "./context.ts";

export const mcpSdk = await loadMcpClientSdk();
export type McpClient = InstanceType<typeof mcpSdk.Client>;

/** Every tool contree-mcp has that contree serves, with its parameters; then contree's own. */
export const CONTREE_MCP_TOOLS: Record<string, string[]> = {
  run: [
    "command",
    "image",
    "shell",
    "env",
    "preserve_env",
    "cwd",
    "uid",
    "gid",
    "timeout",
    "disposable",
    "stdin",
    "directory_state_id",
    "files",
    "wait",
    "truncate_output_at",
    "max_layer_bytes",
  ],
  list_images: ["limit", "offset", "tagged", "tag_prefix", "since", "until"],
  get_image: ["image"],
  import_image: [
    "registry_url",
    "tag",
    "wait",
    "timeout",
    "i_accept_that_anonymous_access_might_be_rate_limited",
  ],
  set_tag: ["image_uuid", "tag"],
  registry_token_obtain: ["registry_url"],
  registry_auth: ["registry_url", "username", "token"],
  list_files: ["image", "path"],
  read_file: ["image", "path"],
  grep: ["image", "pattern", "path", "glob", "max_count", "max_total", "case"],
  upload: ["path", "content", "content_base64"],
  download: ["image", "path", "destination", "executable"],
  rsync: ["source", "destination", "exclude"],
  get_operation: ["operation_id"],
  list_operations: ["limit", "status", "type", "since", "until"],
  wait_operations: ["operation_ids", "timeout", "mode"],
  cancel_operation: ["operation_id"],
  get_guide: ["section"],
  whoami: [],
  use: ["image", "new"],
  session_show: ["limit"],
  session_rollback: ["target"],
  session_branch: ["name", "from", "checkout"],
};

export function newClient(): McpClient {
  return new mcpSdk.Client({ name: "contree-tests", version: "1" });
}

export interface InProcessMcp {
  client: McpClient;
  ctx: TestContext;
  /** The temporary directory of its session database and `registries.json`. */
  dir: string;
  close(): Promise<void>;
}

/**
 * `contree mcp` in this process, over the SDK's in-memory transport: its API at `apiUrl`, its
 * session database and registry credentials in a temporary directory.
 */
export async function inProcessMcp(options: {
  apiUrl: string;
  token: string;
  ctx?: TestContext;
  guides?: GuideSection[];
}): Promise<InProcessMcp> {
  const sdk = await loadMcpServerSdk();
  const ctx = options.ctx ?? testContext({ logLevel: "critical" });
  const dir = await Deno.makeTempDir({ prefix: "contree-mcp-unit-" });
  let store: Promise<SessionStore> | undefined;
  const api = new ContreeClient({ url: options.apiUrl, token: options.token, type: "jwt" }, {
    fetch: globalThis.fetch.bind(globalThis),
    clock: ctx.clock,
    log: new Logger(new MemorySink(), "critical"),
    userAgent: "contree-tests",
    maxRetries: 0,
  });
  const state = new McpState({
    ctx,
    client: () => api,
    store: () => store ??= openSessionStore(`${dir}/default.db`, ctx),
    sessionKey: () => Promise.resolve("unit"),
    registryCredentials: () => new RegistryCredentials(`${dir}/registries.json`),
    guides: options.guides ?? [],
    concurrency: 2,
    version: "test",
  });
  const server = createMcpServer(sdk, state);
  const [serverSide, clientSide] = mcpSdk.InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = newClient();
  await client.connect(clientSide);
  return {
    client,
    ctx,
    dir,
    close: async () => {
      await client.close();
      await server.close();
      (await store)?.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A client connected to `contree mcp` (stdio) started with `env` as the CLI tests start it. */
export async function stdioClient(env: Record<string, string>): Promise<McpClient> {
  const command = cliCommand(["mcp"], env);
  const client = newClient();
  await client.connect(
    new mcpSdk.StdioClientTransport({ ...command, stderr: "pipe" }),
  );
  return client;
}

export interface ProgressNote {
  progress: number;
  message?: string;
}

/** Calls a tool; `onprogress` asks for progress notifications. */
export async function callTool(
  client: McpClient,
  name: string,
  args: Record<string, unknown> = {},
  onprogress?: (note: ProgressNote) => void,
  signal?: AbortSignal,
): Promise<CallToolResult> {
  return await client.callTool(
    { name, arguments: args },
    undefined,
    { onprogress, resetTimeoutOnProgress: onprogress !== undefined, signal },
  ) as CallToolResult;
}

/** The text of a tool answer. */
export function resultText(result: CallToolResult): string {
  const parts = result.content as { type: string; text?: string }[];
  return parts.map((part) => part.type === "text" ? part.text : "").join("");
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** The answer of a call that must succeed (its JSON object). */
export async function ok(
  client: McpClient,
  name: string,
  args: Record<string, unknown> = {},
  onprogress?: (note: ProgressNote) => void,
): Promise<Json> {
  const result = await callTool(client, name, args, onprogress);
  if (result.isError) throw new Error(`${name} failed: ${resultText(result)}`);
  const parsed = JSON.parse(resultText(result));
  return parsed;
}

/** The message of a call that must fail with a tool error. */
export async function toolError(
  client: McpClient,
  name: string,
  args: Record<string, unknown> = {},
): Promise<string> {
  const result = await callTool(client, name, args);
  if (!result.isError) throw new Error(`${name} succeeded: ${resultText(result)}`);
  return resultText(result);
}

/** A raw JSON-RPC `initialize` request (id 1), for tests that speak the protocol by hand. */
export function initializeRequest(client = "test"): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: client, version: "1" },
    },
  });
}
