// Every third-party import lives here, with a full versioned npm: specifier, so that
// `deno run https://…/main.ts` resolves without our deno.json.
//
// Only the command-line parser is loaded eagerly (every invocation needs it). Libraries that
// a few commands need are loaded on first use, which keeps `contree -v` and `contree ps` fast.

// The parser is commander 15.1.0, copied from npm with its node: imports taken out
// (src/vendor/commander/node.ts says why; scripts/vendor.ts makes the copy, a test keeps it the
// package's). Its types are the package's typings, for the same version.
// @ts-types="npm:@commander-js/extra-typings@15.1.0"
export {
  Argument,
  Command,
  CommanderError,
  Help,
  InvalidArgumentError,
  Option,
} from "./vendor/commander/index.js";

export type { EventSourceMessage } from "npm:eventsource-parser@4.1.3";

/** eventsource-parser (`createParser`, `EventSourceParserStream`). */
export async function loadEventSourceParser(): Promise<
  typeof import("npm:eventsource-parser@4.1.3")
> {
  return await import("npm:eventsource-parser@4.1.3");
}

/** @streamparser/json: JSON parsed as it arrives (`ls` of a directory too large to hold). */
export async function loadJsonStreamParser(): Promise<
  typeof import("npm:@streamparser/json@0.0.26")
> {
  return await import("npm:@streamparser/json@0.0.26");
}

/**
 * fflate's gzip in plain JavaScript, copied from npm as commander is (scripts/vendor.ts): an npm:
 * import, like node:zlib, would start Deno's Node layer (~20 ms) for a cached value.
 */
export async function loadFflate(): Promise<typeof import("npm:fflate@0.8.2")> {
  // The copy's types are the package's, for the same version (checkJs would infer others).
  return await import(
    "./vendor/fflate/esm/browser.js"
  ) as unknown as typeof import("npm:fflate@0.8.2");
}

/** The `yaml` package. */
export async function loadYaml(): Promise<typeof import("npm:yaml@2.9.1")> {
  return await import("npm:yaml@2.9.1");
}

/** `string-width`: terminal display width (East Asian wide = 2, ANSI ignored). */
export async function loadStringWidth(): Promise<typeof import("npm:string-width@8.3.0")> {
  return await import("npm:string-width@8.3.0");
}

/** `strip-ansi`: the escape-sequence stripping string-width does (the version it depends on). */
export async function loadStripAnsi(): Promise<typeof import("npm:strip-ansi@7.2.0")> {
  return await import("npm:strip-ansi@7.2.0");
}

/** dockerfile-ast: the Dockerfile parser of the VS Code Docker language server (`build`). */
export async function loadDockerfileAst(): Promise<typeof import("npm:dockerfile-ast@0.7.1")> {
  return await import("npm:dockerfile-ast@0.7.1");
}

// The Model Context Protocol SDK and zod (its schema library): only `contree mcp` loads them.
export type {
  McpServer,
  ResourceTemplate,
} from "npm:@modelcontextprotocol/sdk@1.32.2/server/mcp.js";
export type {
  CallToolResult,
  ReadResourceResult,
  ServerNotification,
  ServerRequest,
} from "npm:@modelcontextprotocol/sdk@1.32.2/types.js";
export type { RequestHandlerExtra } from "npm:@modelcontextprotocol/sdk@1.32.2/shared/protocol.js";
export type { z as Zod } from "npm:zod@4.6.7";

/** The MCP server side: McpServer, ResourceTemplate, the stdio and Streamable HTTP transports, zod. */
export async function loadMcpServerSdk() {
  const [mcp, stdio, http, zod] = await Promise.all([
    import("npm:@modelcontextprotocol/sdk@1.32.2/server/mcp.js"),
    import("npm:@modelcontextprotocol/sdk@1.32.2/server/stdio.js"),
    import("npm:@modelcontextprotocol/sdk@1.32.2/server/webStandardStreamableHttp.js"),
    import("npm:zod@4.6.7"),
  ]);
  return {
    McpServer: mcp.McpServer,
    ResourceTemplate: mcp.ResourceTemplate,
    StdioServerTransport: stdio.StdioServerTransport,
    WebStandardStreamableHTTPServerTransport: http.WebStandardStreamableHTTPServerTransport,
    z: zod.z,
  };
}

export type McpServerSdk = Awaited<ReturnType<typeof loadMcpServerSdk>>;

/** The MCP client side (the tests drive `contree mcp` with the SDK's own Client). */
export async function loadMcpClientSdk() {
  const [client, stdio, http, memory] = await Promise.all([
    import("npm:@modelcontextprotocol/sdk@1.32.2/client/index.js"),
    import("npm:@modelcontextprotocol/sdk@1.32.2/client/stdio.js"),
    import("npm:@modelcontextprotocol/sdk@1.32.2/client/streamableHttp.js"),
    import("npm:@modelcontextprotocol/sdk@1.32.2/inMemory.js"),
  ]);
  return {
    Client: client.Client,
    StdioClientTransport: stdio.StdioClientTransport,
    StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
    InMemoryTransport: memory.InMemoryTransport,
  };
}
