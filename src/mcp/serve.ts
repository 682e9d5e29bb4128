// `contree mcp`: serve MCP over stdio (the host starts us and talks on stdin/stdout), or over
// Streamable HTTP on 127.0.0.1 with a bearer token. Either way the server runs until the host
// goes away (stdin closes) or SIGINT/SIGTERM, and a tool call in flight at that moment is
// aborted (a waiting `run` cancels its operation) before the process ends.

import process from "node:process";
import { loadMcpServerSdk, type McpServer, type McpServerSdk } from "../deps.ts";
import { ContreeError } from "../errors.ts";
import { ensureTokenFile } from "../files.ts";
import { bearerMatches } from "../server/http.ts";
import type { McpDeps } from "./deps.ts";
import { createMcpServer } from "./server.ts";
import { McpState } from "./state.ts";

export const MCP_PATH = "/mcp";
/** How long calls in flight may take to wind down at shutdown (a run cancelling its operation). */
const SETTLE_MS = 15_000;
/** MCP sessions one HTTP server keeps at once (each holds an McpServer). */
const MAX_HTTP_SESSIONS = 64;

export interface ServeOptions {
  /** Streamable HTTP instead of stdio. */
  http: boolean;
  /** Port on 127.0.0.1 (0: any free port). */
  port: number;
  /** Where the HTTP bearer token is kept (created 0600 on first use). */
  tokenPath: string;
}

export async function serveMcp(deps: McpDeps, options: ServeOptions): Promise<number> {
  const sdk = await loadMcpServerSdk();
  const state = new McpState(deps);
  if (options.http) await serveHttp(sdk, state, options);
  else await serveStdio(sdk, state);
  await state.settled(SETTLE_MS);
  return 0;
}

/** Resolves on SIGINT/SIGTERM (the context's signal). */
function interrupted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

async function serveStdio(sdk: McpServerSdk, state: McpState): Promise<void> {
  const server = createMcpServer(sdk, state);
  const transport = new sdk.StdioServerTransport();
  let failure: Error | undefined;
  const closed = new Promise<void>((resolve) => {
    // The SDK's transport does not watch for the end of stdin: the host going away ends us.
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    transport.onclose = resolve;
  });
  await server.connect(transport);
  // After connect, which sets its own: a line that is no JSON-RPC message is said and skipped; a
  // message over the SDK's 10 MiB ends the connection (it ended it silently, exit 0).
  const protocolError = transport.onerror;
  transport.onerror = (error: Error) => {
    protocolError?.(error);
    failure = error;
    // The size limit ends the session with its own error line below: said once.
    if (!/exceeded maximum size/.test(error.message)) {
      state.ctx.log.warning(`contree mcp: ${error.message}`);
    }
  };
  state.ctx.log.debug("contree mcp: serving MCP on stdio");
  await Promise.race([closed, interrupted(state.ctx.signal)]);
  await server.close().catch(() => {});
  if (failure && /exceeded maximum size/.test(failure.message)) {
    throw new ContreeError(
      `contree mcp: the host sent a message over the 10 MiB stdio limit (${failure.message}); ` +
        "upload large files by path",
    );
  }
}

function jsonRpcError(status: number, message: string, headers: Record<string, string> = {}) {
  return new Response(
    JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }),
    { status, headers: { "content-type": "application/json", ...headers } },
  );
}

interface HttpSession {
  server: McpServer;
  transport: InstanceType<McpServerSdk["WebStandardStreamableHTTPServerTransport"]>;
  /** When a request last came for it (ms, monotonic). */
  lastUsed: number;
}

/** A session no request came for in this long may make room for a new one. */
const EVICTABLE_AFTER_MS = 5 * 60_000;

/** The session unused the longest, if no request came for it in EVICTABLE_AFTER_MS. */
export function evictableSession(
  sessions: ReadonlyMap<string, { lastUsed: number }>,
  now: number,
): string | undefined {
  let oldest: [string, number] | undefined;
  for (const [id, { lastUsed }] of sessions) {
    if (now - lastUsed >= EVICTABLE_AFTER_MS && (!oldest || lastUsed < oldest[1])) {
      oldest = [id, lastUsed];
    }
  }
  return oldest?.[0];
}

/**
 * Requests from anything but this machine's own MCP clients are refused before the token is
 * looked at: the Host must be the loopback address we listen on (DNS rebinding), and a browser's
 * Origin, when sent, must be too.
 */
function localRequest(request: Request, port: number): boolean {
  const local = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!local.includes(request.headers.get("host") ?? "")) return false;
  const origin = request.headers.get("origin");
  return origin === null || local.some((host) => origin === `http://${host}`);
}

async function serveHttp(sdk: McpServerSdk, state: McpState, options: ServeOptions) {
  const { ctx } = state;
  const token = await ensureTokenFile(options.tokenPath);
  const sessions = new Map<string, HttpSession>();
  let port = options.port;

  const open = async (): Promise<HttpSession> => {
    const transport = new sdk.WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id: string) => void sessions.set(id, session),
      onsessionclosed: (id: string) => void sessions.delete(id),
    });
    const server = createMcpServer(sdk, state);
    const session: HttpSession = { server, transport, lastUsed: performance.now() };
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return session;
  };

  /**
   * Closes the session unused longest, when no request came for it in EVICTABLE_AFTER_MS: hosts
   * that quit or crashed never DELETE theirs (the SDK's close() does not), and 64 of them locked
   * every client out until a restart. Its client, if still there, gets 404 and starts anew.
   */
  const evictIdle = async (): Promise<boolean> => {
    const id = evictableSession(sessions, performance.now());
    const session = id === undefined ? undefined : sessions.get(id);
    if (id === undefined || !session) return false;
    sessions.delete(id);
    await session.server.close().catch(() => {});
    ctx.log.debug(`contree mcp: closed session ${id}, unused the longest`);
    return true;
  };

  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname !== MCP_PATH) return jsonRpcError(404, `Not found: use ${MCP_PATH}`);
    if (!localRequest(request, port)) return jsonRpcError(403, "Forbidden: not a local request");
    if (!bearerMatches(request.headers.get("authorization"), token)) {
      return jsonRpcError(401, "Unauthorized: send Authorization: Bearer <token>", {
        "www-authenticate": 'Bearer realm="contree mcp"',
      });
    }
    const id = request.headers.get("mcp-session-id");
    if (id !== null) {
      const session = sessions.get(id);
      if (!session) return jsonRpcError(404, "Session not found: initialize a new one");
      session.lastUsed = performance.now();
      return await session.transport.handleRequest(request);
    }
    if (request.method !== "POST") return jsonRpcError(400, "Mcp-Session-Id header required");
    if (sessions.size >= MAX_HTTP_SESSIONS && !(await evictIdle())) {
      return jsonRpcError(503, "Too many MCP sessions; close one (DELETE) and retry");
    }
    const session = await open();
    const response = await session.transport.handleRequest(request);
    // Not an initialize request (refused by the transport): nothing to keep.
    if (!session.transport.sessionId) await session.server.close().catch(() => {});
    return response;
  };

  const stop = new AbortController();
  const listening = Promise.withResolvers<void>();
  const serve = () =>
    Deno.serve({
      hostname: "127.0.0.1",
      port: options.port,
      signal: stop.signal,
      onListen: (address) => {
        port = address.port;
        listening.resolve();
      },
      onError: (error) => {
        ctx.log.error(`contree mcp: ${(error as Error).message}`);
        return jsonRpcError(500, "Internal error");
      },
    }, handle);
  let httpServer: Deno.HttpServer;
  try {
    httpServer = serve();
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new ContreeError(
        `Port ${options.port} on 127.0.0.1 is in use; choose another with --port (0 = any)`,
      );
    }
    throw error;
  }
  await listening.promise;
  // The token is shown once, here; later starts reuse the stored one.
  await ctx.stderr.write(
    `contree mcp: Streamable HTTP on http://127.0.0.1:${port}${MCP_PATH}\n` +
      `contree mcp: send the header "Authorization: Bearer ${token}"\n`,
  );
  await interrupted(ctx.signal);
  for (const session of sessions.values()) await session.server.close().catch(() => {});
  stop.abort();
  await httpServer.finished;
}
