// A local ConTree server for tests: started in-process on 127.0.0.1, port 0, in a temporary
// home, with the project's podman settings; optionally with the busybox test image imported
// through the server's own file:// import. `cleanup()` stops the server and removes every
// podman container and image labelled with its id.

import { ContreeClient } from "../../src/api/client.ts";
import type { Operation, OperationEvent } from "../../src/api/models.ts";
import { systemClock } from "../../src/context.ts";
import { MemorySink } from "../../src/io.ts";
import { Logger } from "../../src/log.ts";
import { runChecked } from "../../src/podman.ts";
import { LABEL_SERVER } from "../../src/server/images.ts";
import type { SandboxLimits } from "../../src/server/limits.ts";
import { type RunningServer, startServer } from "../../src/server/server.ts";
import { busyboxRootfsTar, TEST_PODMAN_OPTIONS, testPodman } from "./podman.ts";

export interface TestServer {
  server: RunningServer;
  url: string;
  token: string;
  dataDir: string;
  client: ContreeClient;
  log: MemorySink;
  /** UUID of the imported busybox image (tag `busybox:test`), when requested. */
  busybox: string;
  /** Raw fetch against `/v1<path>` with the token (and gzip accepted). */
  fetch(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  /** Stops the server (the data stays, for restart tests). */
  stop(): Promise<void>;
  /** Stops the server and removes its podman objects and its home. */
  cleanup(): Promise<void>;
}

export interface TestServerOptions {
  dataDir?: string;
  keepaliveMs?: number;
  concurrency?: number;
  /** Import the busybox rootfs as `busybox:test` (needs podman). */
  busybox?: boolean;
  token?: string;
  /** Sandbox limits (default: the server's defaults). */
  limits?: SandboxLimits;
  /** Another executable as podman (tests/support/podman_wrapper.ts). */
  podmanBinary?: string;
  /** More of podman's environment. */
  podmanEnv?: Record<string, string>;
  maxRequestBody?: number;
  maxOutput?: number;
}

let rootfs: Promise<string> | undefined;

/** The busybox rootfs tarball on disk (written once per test module). */
export function busyboxRootfsFile(): Promise<string> {
  rootfs ??= (async () => {
    const path = await Deno.makeTempFile({ prefix: "contree-busybox-", suffix: ".tar" });
    await Deno.writeFile(path, await busyboxRootfsTar());
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(path);
      } catch {
        // already gone
      }
    });
    return path;
  })();
  return rootfs;
}

export function testClient(url: string, token: string): ContreeClient {
  return new ContreeClient({ url, token, type: "jwt" }, {
    fetch: globalThis.fetch.bind(globalThis),
    clock: systemClock,
    log: new Logger(new MemorySink(), "error"),
    userAgent: "contree-tests",
    maxRetries: 0,
  });
}

/** Removes the containers and images labelled with a server id. */
export async function removePodmanObjects(serverId: string): Promise<void> {
  const filter = `label=${LABEL_SERVER}=${serverId}`;
  // Checked: a podman that fails here must say so, not leave the objects silently.
  const list = async (args: string[]) =>
    (await runChecked(testPodman, [...args, "--filter", filter])).split("\n").filter(Boolean);
  const containers = await list(["ps", "-aq"]);
  if (containers.length) await runChecked(testPodman, ["rm", "-f", "-t", "0", ...containers]);
  const images = await list(["images", "-q"]);
  if (images.length) await runChecked(testPodman, ["rmi", "-f", ...new Set(images)]);
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "contree-server-test-" });
  const token = options.token ?? "test-token-" + crypto.randomUUID();
  const log = new MemorySink();
  const server = await startServer({
    dataDir,
    token,
    port: 0,
    keepaliveMs: options.keepaliveMs,
    concurrency: options.concurrency,
    limits: options.limits,
    maxRequestBody: options.maxRequestBody,
    maxOutput: options.maxOutput,
    podman: {
      env: { ...TEST_PODMAN_OPTIONS.env, ...options.podmanEnv },
      binary: options.podmanBinary,
    },
    log: new Logger(log, "warning"),
  });
  const client = testClient(server.url, token);
  const test: TestServer = {
    server,
    url: server.url,
    token,
    dataDir,
    client,
    log,
    busybox: "",
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (init.token !== null) headers.set("Authorization", `Bearer ${init.token ?? token}`);
      if (!headers.has("Accept-Encoding")) headers.set("Accept-Encoding", "gzip");
      return fetch(`${server.url}/v1${path}`, { ...init, headers, redirect: "manual" });
    },
    stop: () => server.shutdown(),
    cleanup: async () => {
      try {
        await server.shutdown();
        await removePodmanObjects(server.serverId);
      } finally {
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    },
  };
  if (options.busybox) {
    try {
      test.busybox = await importBusybox(client, "busybox:test");
    } catch (error) {
      await test.cleanup();
      throw error;
    }
  }
  return test;
}

/** Runs `fn` with a fresh test server (no busybox), cleaned up afterwards. */
export async function withServer(fn: (s: TestServer) => Promise<void>): Promise<void> {
  const s = await startTestServer();
  try {
    await fn(s);
  } finally {
    await s.cleanup();
  }
}

/** A ConTree image as a database row only (no podman image behind it), for API tests. */
export function addImageRow(
  s: TestServer,
  tag: string | null = null,
  createdAt = new Date().toISOString(),
): string {
  const uuid = crypto.randomUUID();
  s.server.store.insertImage({
    uuid,
    tag,
    created_at: createdAt,
    operation_uuid: null,
    podman_id: "0".repeat(64),
    size: 1,
    env: {},
    config_env: [],
  });
  return uuid;
}

/** Imports the busybox rootfs through the server's own file:// import; returns the image UUID. */
export async function importBusybox(client: ContreeClient, tag: string): Promise<string> {
  const { uuid } = await client.importImage({
    registry: { url: `file://${await busyboxRootfsFile()}` },
    tag,
  });
  const op = await waitOperation(client, uuid);
  if (op.status !== "SUCCESS") throw new Error(`busybox import failed: ${op.error}`);
  return op.result_image_uuid as string;
}

/** The event payloads in an SSE text (complete frames only). */
export function parseEvents(text: string): OperationEvent[] {
  return text.slice(0, text.lastIndexOf("\n\n") + 2).split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice("data: ".length)));
}

/**
 * Follows an operation's log until an event matches (waiting out 425 while it is queued) and
 * returns that event; the connection is dropped right after it.
 */
export async function waitForEvent(
  client: ContreeClient,
  uuid: string,
  match: (event: OperationEvent) => boolean,
): Promise<OperationEvent> {
  for (;;) {
    const response = await client.send("GET", `/operations/${uuid}/events`, {
      query: { follow: true },
      accept: [425],
      maxRetries: 0,
    });
    if (response.status === 425) {
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    // Only the frames not yet parsed are kept (a log may be hundreds of megabytes).
    let pending = "";
    let seen = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the log of ${uuid} ended without the awaited event:\n${seen}`);
      pending += value;
      const last = pending.lastIndexOf("\n\n");
      const end = last < 0 ? 0 : last + 2;
      const found = parseEvents(pending.slice(0, end)).find(match);
      seen = (seen + pending.slice(0, end)).slice(-4096);
      pending = pending.slice(end);
      if (found) {
        await reader.cancel();
        return found;
      }
    }
  }
}

/** Follows an operation's events to completion, then returns the operation. */
export async function waitOperation(client: ContreeClient, uuid: string): Promise<Operation> {
  await waitForEvent(client, uuid, (event) => event.type === "completion");
  return await client.getOperation(uuid);
}
