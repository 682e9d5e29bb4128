// Wires the local ConTree server together: store, blobs, podman, operation manager, event log
// and the HTTP API on 127.0.0.1. `startServer` returns once the port is listening; `shutdown`
// stops it cleanly (running operations are killed and marked FAILED, streams closed, image
// mounts released).

import { ContreeError } from "../errors.ts";
import { absoluteHostPath, restrictDatabase } from "../files.ts";
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
  DEFAULT_CPUS,
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_MAX_OUTPUT,
  DEFAULT_MAX_REQUEST_BODY,
  DEFAULT_MAX_TIMEOUT,
  DEFAULT_MEMORY_BYTES,
  DEFAULT_PIDS,
  DEFAULT_USERNS,
} from "./defaults.ts";
import { BlobStore } from "./blobs.ts";
import { EventLog } from "./events.ts";
import { ContainerExits, defaultExitDirectory } from "./container_exits.ts";
import { InstanceExecutor } from "./executor.ts";
import { ImageCatalog, LABEL_SERVER, LABEL_UUID } from "./images.ts";
import { Importer } from "./importer.ts";
import { ImageMounts } from "./inspect.ts";
import type { SandboxLimits } from "./limits.ts";
import { OperationManager } from "./operations.ts";
import { OutputFiles } from "./outputs.ts";
import { HostPaths } from "./errors.ts";
import { Store } from "./store.ts";
import { UsageMeter } from "./usage.ts";
import { Subprocesses } from "./subprocesses.ts";

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
  /** Limits and user namespace of every sandbox (default: DEFAULT_LIMITS). */
  limits?: SandboxLimits;
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
  /** A random id of this run (proves the process's identity, see home.ts ServerState). */
  readonly instance: string;
  readonly store: Store;
  /** Waits for the background work of finished runs (container removals). */
  settle(): Promise<void>;
  shutdown(): Promise<void>;
}

function readBootId(): string | undefined {
  try {
    return Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim();
  } catch {
    return undefined;
  }
}

/**
 * podman processes a previous run of this server left running (a crash: its podman commit,
 * import or run clients carry the server's label in their argv). They are killed before the
 * sweep, so that none of them adds an image after it.
 */
async function killLeftoverPodman(serverId: string, log: Logger): Promise<void> {
  const mark = `${LABEL_SERVER}=${serverId}`;
  const pids: number[] = [];
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      const pid = Number(entry.name);
      if (!Number.isInteger(pid) || pid === Deno.pid) continue;
      try {
        if (Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes(mark)) pids.push(pid);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return; // no /proc: nothing to find this way
  }
  if (pids.length === 0) return;
  log.info(`stopping ${pids.length} podman process(es) left by a previous run`);
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  // Not our children: wait until /proc no longer lists them (a zombie lists no cmdline).
  const gone = (pid: number) => {
    try {
      return !Deno.readTextFileSync(`/proc/${pid}/cmdline`);
    } catch {
      return true;
    }
  };
  for (let waited = 0; waited < 10_000 && !pids.every(gone); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Removes what a previous run of this server left behind (after a crash): its podman processes,
 * its containers, and its images that the database does not know (a snapshot or import cut off
 * between podman and the database).
 */
async function removeLeftovers(
  podman: PodmanRunner,
  images: ImageCatalog,
  store: Store,
  log: Logger,
): Promise<void> {
  await killLeftoverPodman(images.serverId, log);
  const filter = `label=${LABEL_SERVER}=${images.serverId}`;
  const listed = await runChecked(podman, ["ps", "--all", "--quiet", "--filter", filter]);
  const ids = listed.split("\n").filter(Boolean);
  if (ids.length > 0) {
    log.info(`removing ${ids.length} container(s) left by a previous run`);
    await podman.run(["rm", "--force", "--time", "0", ...ids]);
  }
  // One listing serves both: podman ids for the mounts, ConTree UUIDs for the orphans.
  const labelled = (await runChecked(podman, [
    "images",
    "--noheading",
    "--no-trunc",
    "--filter",
    filter,
    "--format",
    `{{.ID}} {{index .Labels "${LABEL_UUID}"}}`,
  ])).split("\n").map((line) => line.trim().split(" ")).filter(([id]) => id);
  const podmanIds = new Set(labelled.map(([id]) => id.replace(/^sha256:/, "")));
  await releaseLeftoverMounts(podman, [...podmanIds], log);
  const orphans = [...new Set(labelled.map(([, uuid]) => uuid ?? ""))]
    .filter((uuid) => uuid && !store.image(uuid));
  if (orphans.length > 0) log.info(`removing ${orphans.length} unregistered image(s)`);
  for (const uuid of orphans) {
    const left = await images.discard(uuid);
    if (left) log.warning(`could not remove unregistered image ${uuid}: ${left}`);
  }
}

/**
 * Image mounts (the inspect routes') outlive a crash: podman counts each, and this run of the
 * server would only add its own. Those of this server's images (`ours`, podman ids) are
 * released.
 */
async function releaseLeftoverMounts(
  podman: PodmanRunner,
  ours: string[],
  log: Logger,
): Promise<void> {
  const mounted = await runChecked(podman, ["image", "mount", "--format", "json"]);
  const mountedIds = new Set((JSON.parse(mounted || "[]") as { id: string }[]).map((m) => m.id));
  const leftover = ours.filter((id) => mountedIds.has(id));
  if (leftover.length === 0) return;
  log.info(`releasing ${leftover.length} image mount(s) left by a previous run`);
  await podman.run(["image", "unmount", "--force", ...leftover]);
}

/**
 * The home and the database hold env values and output: 0700 and 0600, also when they existed
 * before with other modes. SQLite creates the -wal and -shm files with the database's mode.
 */
async function restrictHome(dataDir: string): Promise<string> {
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await Deno.chmod(dataDir, 0o700);
  const database = `${dataDir}/contree.db`;
  await restrictDatabase(database);
  return database;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  memoryBytes: DEFAULT_MEMORY_BYTES,
  cpus: DEFAULT_CPUS,
  pids: DEFAULT_PIDS,
  userns: DEFAULT_USERNS,
};

export async function startServer(given: ServerOptions): Promise<RunningServer> {
  // Absolute from here on: podman runs in the home, so a relative path would name a place in it.
  const options = {
    ...given,
    dataDir: absoluteHostPath(Deno.cwd(), given.dataDir),
  };
  const { log } = options;
  const store = Store.open(await restrictHome(options.dataDir));
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
      // Not the cwd the server was started in: conmon writes an `oom` file there.
      cwd: options.dataDir,
    });
    const images = new ImageCatalog(podman, store, serverId);
    const mounts = new ImageMounts(podman);
    const outputs = new OutputFiles(`${options.dataDir}/outputs`);
    await outputs.init();
    const maxOutput = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
    // stdout and stderr at the cap each, and as much again for stdin (a quarter at most, see
    // EventLog) and other processes.
    const maxLogOutput = 4 * maxOutput;
    const events = new EventLog(store, { outputs, maxOutputBytes: maxLogOutput });
    const limits = options.limits ?? DEFAULT_LIMITS;
    const subprocesses = new Subprocesses({ podman, store, events, log });
    // Asked in the background (podman info takes ~0.3 s); the first run waits for the answer.
    const usage = UsageMeter.detect(podman, serverId).then((meter) => {
      meter?.sweep();
      return meter;
    });
    // Emptied at start: a crash leaves what podman was writing there.
    const scratch = `${options.dataDir}/tmp`;
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
    await Deno.mkdir(scratch, { recursive: true, mode: 0o700 });
    const exitDirectory = defaultExitDirectory();
    const exits = exitDirectory ? new ContainerExits(exitDirectory) : undefined;
    const executor = new InstanceExecutor({
      podman,
      store,
      blobs,
      outputs,
      scratch,
      images,
      mounts,
      log,
      limits,
      usage,
      subprocesses,
      exits,
    });
    const importer = new Importer(podman, images);
    const bootId = readBootId();
    // Where podman keeps its storage by default, and where it says it does (asked meanwhile).
    const hostPaths = new HostPaths([
      await Deno.realPath(options.dataDir),
      options.dataDir,
      "/var/lib/containers",
      "/run/containers",
      "/run/libpod",
      `${Deno.env.get("HOME") ?? "/root"}/.local/share/containers`,
    ]);
    void podman.run(["info", "--format", "{{.Store.GraphRoot}}\n{{.Store.RunRoot}}"])
      .then((info) => info.stdout.split("\n").forEach((root) => hostPaths.add(root)))
      .catch(() => {});
    const manager = new OperationManager(
      store,
      events,
      { instance: executor.runner, image_import: importer.runner },
      {
        concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
        log,
        hostPaths,
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
    if (recovered.length > 0) {
      log.warning(`${recovered.length} operation(s) interrupted by a restart: FAILED`);
    }
    await removeLeftovers(podman, images, store, log).catch((error) =>
      log.warning(`podman is not usable (${(error as Error).message}): runs and imports will fail`)
    );
    // Runs cut off by the crash are gone now; what they wrote after it, unread, goes too.
    for (const op of recovered) outputs.trim(op.uuid, store.outputEnds(op.uuid));

    const instance = crypto.randomUUID();
    const handler = createApi({
      instance,
      store,
      blobs,
      events,
      manager,
      images,
      mounts,
      subprocesses,
      token: options.token,
      tokenUuid,
      outputs,
      keepaliveMs: options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
      maxTimeout: options.maxTimeout ?? DEFAULT_MAX_TIMEOUT,
      limits,
      maxOutput,
      maxLogOutput,
      maxRequestBody: options.maxRequestBody ?? DEFAULT_MAX_REQUEST_BODY,
      log,
      now: Date.now,
    });
    const hostname = options.hostname ?? "127.0.0.1";
    const listen = (port: number) =>
      Deno.serve({
        hostname,
        port,
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
    let http: Deno.HttpServer<Deno.NetAddr>;
    try {
      http = listen(options.port);
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
    // Deno's accept loop ends on its first failure (EMFILE: too many connections open): the
    // server listens again on the same port, once the system lets it, and keeps its state.
    const keepListening = (server: Deno.HttpServer<Deno.NetAddr>) => {
      server.finished.catch(async (error) => {
        if (stopping) return;
        log.warning(
          `stopped accepting connections (${(error as Error).message}); listening again`,
        );
        for (let wait = 50; !stopping; wait = Math.min(wait * 2, 2000)) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          if (stopping) return;
          try {
            http = listen(port);
          } catch {
            continue; // still out of descriptors (or the port is taken meanwhile)
          }
          log.info(`accepting connections again on port ${port}`);
          return keepListening(http);
        }
      });
    };
    keepListening(http);
    return {
      port,
      url: `http://${hostname}:${port}`,
      serverId,
      instance,
      store,
      settle: () => executor.settle(),
      shutdown: () =>
        stopping ??= (async () => {
          await manager.shutdown();
          await executor.settle();
          exits?.close();
          (await usage)?.sweep();
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
