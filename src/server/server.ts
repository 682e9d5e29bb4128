// Wires the local ConTree server together: store, blobs, podman, operation manager, event log
// and the HTTP API on 127.0.0.1. `startServer` returns once the port is listening; `shutdown`
// stops it cleanly (running operations are killed and marked FAILED, streams closed, image
// mounts released).

import { ContreeError } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  CommandPodmanRunner,
  type CommandPodmanRunnerOptions,
  podmanOptionsFrom,
  type PodmanRunner,
  runChecked,
} from "../podman.ts";
import { createApi } from "./api.ts";
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_MAX_OUTPUT,
  DEFAULT_MAX_REQUEST_BODY,
  DEFAULT_MAX_TIMEOUT,
} from "./defaults.ts";
import { BlobStore } from "./blobs.ts";
import { EventLog } from "./events.ts";
import { InstanceExecutor } from "./executor.ts";
import { ImageCatalog, LABEL_SERVER } from "./images.ts";
import { Importer } from "./importer.ts";
import { ImageMounts } from "./inspect.ts";
import { OperationManager } from "./operations.ts";
import { OutputFiles } from "./outputs.ts";
import { Store } from "./store.ts";

export interface ServerOptions {
  /** Directory for the database and the blobs. */
  dataDir: string;
  token: string;
  /** 0 = any free port. */
  port: number;
  hostname?: string;
  concurrency?: number;
  keepaliveMs?: number;
  /** Longest `timeout` a spawn may ask for (seconds). */
  maxTimeout?: number;
  /** Largest `truncate_output_at` a spawn may ask for (bytes per stream). */
  maxOutput?: number;
  /** Largest JSON request body (bytes). */
  maxRequestBody?: number;
  /** Which podman, with which environment (default: $CONTREE_PODMAN or podman, this process's). */
  podman?: Pick<CommandPodmanRunnerOptions, "binary" | "env">;
  log: Logger;
}

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  /** Labels every podman object of this server (`contree.server=<id>`). */
  readonly serverId: string;
  readonly store: Store;
  shutdown(): Promise<void>;
}

function readBootId(): string | undefined {
  try {
    return Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim();
  } catch {
    return undefined;
  }
}

/** Removes containers a previous run of this server left behind (after a crash). */
async function removeLeftovers(podman: PodmanRunner, serverId: string, log: Logger): Promise<void> {
  const listed = await runChecked(podman, [
    "ps",
    "--all",
    "--quiet",
    "--filter",
    `label=${LABEL_SERVER}=${serverId}`,
  ]);
  const ids = listed.split("\n").filter(Boolean);
  if (ids.length === 0) return;
  log.info(`removing ${ids.length} container(s) left by a previous run`);
  await podman.run(["rm", "--force", "--time", "0", ...ids]);
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { log } = options;
  await Deno.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const store = Store.open(`${options.dataDir}/contree.db`);
  try {
    const serverId = store.meta("server_id") ?? crypto.randomUUID();
    const tokenUuid = store.meta("token_uuid") ?? crypto.randomUUID();
    store.setMeta("server_id", serverId);
    store.setMeta("token_uuid", tokenUuid);

    const blobs = new BlobStore(`${options.dataDir}/blobs`);
    await blobs.init();
    // On `podman run`, podman's stderr is the sandbox's: its own warnings are silenced.
    const podman = new CommandPodmanRunner({
      ...options.podman ?? podmanOptionsFrom(Deno.env),
      globalArgs: ["--log-level=error"],
    });
    const images = new ImageCatalog(podman, store, serverId);
    const mounts = new ImageMounts(podman);
    const outputs = new OutputFiles(`${options.dataDir}/outputs`);
    await outputs.init();
    const maxOutput = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
    // stdout and stderr at the cap each, and as much again for stdin and other processes.
    const maxLogOutput = 4 * maxOutput;
    const events = new EventLog(store, { outputs, maxOutputBytes: maxLogOutput });
    const executor = new InstanceExecutor({ podman, store, blobs, images, mounts, log });
    const importer = new Importer(podman, images);
    const bootId = readBootId();
    const manager = new OperationManager(
      store,
      events,
      { instance: executor.runner, image_import: importer.runner },
      {
        concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
        log,
        initData: () => ({
          runtime_path: podman.binary,
          verbose: false,
          init_pid: Deno.pid,
          hostname: Deno.hostname(),
          kernel: Deno.osRelease(),
          machine: Deno.build.arch,
          ...(bootId ? { boot_id: bootId } : {}),
        }),
      },
    );
    const recovered = manager.recover();
    if (recovered > 0) log.warning(`${recovered} operation(s) interrupted by a restart: FAILED`);
    await removeLeftovers(podman, serverId, log).catch((error) =>
      log.warning(`podman is not usable (${(error as Error).message}): runs and imports will fail`)
    );

    const handler = createApi({
      store,
      blobs,
      events,
      manager,
      images,
      mounts,
      token: options.token,
      tokenUuid,
      outputs,
      keepaliveMs: options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
      maxTimeout: options.maxTimeout ?? DEFAULT_MAX_TIMEOUT,
      maxOutput,
      maxLogOutput,
      maxRequestBody: options.maxRequestBody ?? DEFAULT_MAX_REQUEST_BODY,
      log,
      now: Date.now,
    });
    const hostname = options.hostname ?? "127.0.0.1";
    let http: Deno.HttpServer<Deno.NetAddr>;
    try {
      http = Deno.serve({
        hostname,
        port: options.port,
        automaticCompression: false,
        onListen: () => {},
        onError: (error) => {
          log.error(`request failed: ${(error as Error).message}`);
          return new Response(JSON.stringify({ error: "internal error", status: 500 }), {
            status: 500,
            headers: { "content-type": "application/json" },
          });
        },
      }, handler);
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) {
        throw new ContreeError(
          `port ${options.port} on ${hostname} is already in use (another server? try --port)`,
        );
      }
      throw error;
    }
    const port = http.addr.port;
    let stopping: Promise<void> | undefined;
    return {
      port,
      url: `http://${hostname}:${port}`,
      serverId,
      store,
      shutdown: () =>
        stopping ??= (async () => {
          await manager.shutdown();
          await executor.settle();
          events.close();
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([
            http.shutdown(),
            new Promise((resolve) => timer = setTimeout(resolve, 5000)),
          ]);
          clearTimeout(timer);
          await mounts.closeAll();
          outputs.closeAll();
          store.close();
        })(),
    };
  } catch (error) {
    store.close();
    throw error;
  }
}
