// `contree server start|stop|status`: run the local server in the foreground or detached, stop
// it, report on it, and register the `local` profile. The server itself is src/server/; its
// home, token and pid/state files are src/server/home.ts.

import { LOCAL_PROFILE, ProfileStore } from "../config/profiles.ts";
import { ContreeError } from "../errors.ts";
import { withFileLock, writePrivateFile } from "../files.ts";
import { WriterSink } from "../io.ts";
import { Logger } from "../log.ts";
import { DEFAULT_KEEPALIVE_MS, serverProcessEnv } from "../server/defaults.ts";
import {
  ensureToken,
  processExists,
  readPid,
  readState,
  recordedServer,
  removeIfOwned,
  type ServerPaths,
  serverPaths,
  type ServerState,
} from "../server/home.ts";
import type { SandboxLimits } from "../server/limits.ts";
import { type RunningServer, startServer } from "../server/server.ts";
import type { App } from "./app.ts";

/**
 * How long `start -d` waits for its server to answer. Start-up clears what the last run of the
 * home left in podman, and podman lists images slowly: with 2,000 of them one listing took 19 s,
 * so a fixed 30 s killed servers that were about to answer. Past `START_NOTICE_MS` a line says
 * what is going on; Ctrl-C stops the wait (and the server).
 */
const START_TIMEOUT_MS = 600_000;
const START_NOTICE_MS = 10_000;
const STOP_TIMEOUT_MS = 30_000;

/** Writes the `local` profile; it becomes active only when no other profile exists. */
export async function registerLocalProfile(app: App, url: string, token: string): Promise<boolean> {
  const profiles = await ProfileStore.load(app.paths);
  profiles.set({ name: LOCAL_PROFILE, type: "jwt", url, token });
  if (profiles.names().every((name) => name === LOCAL_PROFILE)) {
    profiles.setActive(LOCAL_PROFILE);
  }
  await profiles.save();
  return profiles.activeName() === LOCAL_PROFILE;
}

export interface StartOptions {
  home?: string;
  port: number;
  detach: boolean;
  concurrency?: number;
  keepaliveSeconds?: number;
  /** Limits and user namespace of sandboxes (default: the server's). */
  limits?: SandboxLimits;
  /** Largest truncate_output_at a run may ask for (bytes per stream). */
  maxOutput?: number;
  /** Log to this file instead of stderr (the detached child). */
  logFile?: string;
}

/** A logger appending to `path`; `close` waits for its last lines (the process exits next). */
async function fileLogger(
  path: string,
  level: Logger["level"],
): Promise<{ log: Logger; close(): Promise<void> }> {
  const file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
  // One written by an older version may have another mode: the log names operations and errors.
  if (Deno.build.os !== "windows") await Deno.chmod(path, 0o600);
  const sink = new WriterSink(file, false);
  return {
    log: new Logger(sink, level),
    close: async () => {
      await sink.drain();
      file.close();
    },
  };
}

async function refuseIfRunning(paths: ServerPaths): Promise<void> {
  const recorded = await recordedServer(paths);
  if (recorded.status === "running" && recorded.state.pid !== Deno.pid) {
    throw new ContreeError(
      `A contree server is already running for ${paths.dir} (pid ${recorded.state.pid}, ${recorded.state.url}). Stop it with \`contree server stop\`.`,
    );
  }
  if (recorded.status === "unproven" && recorded.pid !== Deno.pid) {
    throw new ContreeError(
      `${paths.pid} names pid ${recorded.pid}, which is alive but does not answer as this home's server. If no server runs for ${paths.dir}, remove ${paths.pid}.`,
    );
  }
}

export async function serverStart(app: App, options: StartOptions): Promise<number> {
  const paths = serverPaths(app.ctx.env, app.ctx.home, options.home);
  if (options.detach) {
    // At once, in this process: the detached child's own check (below) answers only in its log.
    await refuseIfRunning(paths);
    return await startDetached(app, paths, options);
  }

  await makeHome(paths);
  const logFile = options.logFile ? await fileLogger(options.logFile, app.log.level) : undefined;
  const log = logFile?.log ?? app.log;
  const token = await ensureToken(paths);
  // One server per home: the check and the claim (the pid and state files) are one step under
  // the home's start lock, so that starts at the same moment cannot both pass the check (each
  // would then take the other's podman objects for a crash's leftovers).
  let started: { server: RunningServer; state: ServerState; active: boolean };
  try {
    started = await withFileLock(paths.startLock, async () => {
      await refuseIfRunning(paths);
      const server = await startServer({
        dataDir: paths.dir,
        token,
        port: options.port,
        concurrency: options.concurrency,
        keepaliveMs: options.keepaliveSeconds === undefined
          ? DEFAULT_KEEPALIVE_MS
          : options.keepaliveSeconds * 1000,
        limits: options.limits,
        maxOutput: options.maxOutput,
        log,
      });
      const state: ServerState = {
        pid: Deno.pid,
        port: server.port,
        url: server.url,
        started_at: new Date().toISOString(),
        instance: server.instance,
        server_id: server.serverId,
      };
      try {
        // The profile first: a detached start returns once the state file is there, and its
        // caller may use the `local` profile at once.
        const active = await registerLocalProfile(app, server.url, token);
        await writePrivateFile(paths.pid, `${Deno.pid}\n`);
        await writePrivateFile(paths.state, `${JSON.stringify(state)}\n`);
        return { server, state, active };
      } catch (error) {
        await server.shutdown();
        throw error;
      }
    });
  } catch (error) {
    // A detached server's stderr goes nowhere: the parent shows its log's last lines.
    if (logFile) {
      log.error((error as Error).message);
      await logFile.close();
    }
    throw error;
  }
  const { server, state, active } = started;
  try {
    log.info(
      `contree server listening on ${server.url} (home ${paths.dir}; profile '${LOCAL_PROFILE}'${
        active ? ", active" : ""
      })`,
    );
    const signal = app.ctx.signal;
    if (!signal.aborted) {
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    }
    log.info("stopping the server");
    // A `server stop` that finds it no longer answering knows it is on its way out.
    await writePrivateFile(paths.state, `${JSON.stringify({ ...state, stopping: true })}\n`);
  } finally {
    await server.shutdown();
    await removeIfOwned(paths, Deno.pid);
  }
  log.info("server stopped");
  await logFile?.close();
  return 0;
}

/** The argv that runs this same program again (a compiled binary, or `deno run` of main). */
function selfCommand(): string[] {
  return Deno.build.standalone ? [] : ["run", "--allow-all", "--no-prompt", Deno.mainModule];
}

/** The server home, made when missing; a path that cannot be one is one clear error. */
async function makeHome(paths: ServerPaths): Promise<void> {
  try {
    await Deno.mkdir(paths.dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists || error instanceof Deno.errors.NotADirectory) {
      throw new ContreeError(`Cannot use ${paths.dir} as the server home: it is not a directory`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new ContreeError(`Cannot make the server home ${paths.dir}: permission denied`);
    }
    throw error;
  }
}

async function startDetached(app: App, paths: ServerPaths, options: StartOptions) {
  await makeHome(paths);
  const args = [
    ...selfCommand(),
    ...(app.globals.config ? ["--config", app.globals.config] : []),
    "--log-level",
    app.globals.logLevel,
    "server",
    "start",
    "--home",
    paths.dir,
    "--port",
    String(options.port),
    "--log-file",
    paths.log,
    ...(options.concurrency ? ["--concurrency", String(options.concurrency)] : []),
    ...(options.keepaliveSeconds ? ["--keepalive", String(options.keepaliveSeconds)] : []),
    ...(options.limits ? limitFlags(options.limits) : []),
    ...(options.maxOutput ? ["--max-output", String(options.maxOutput)] : []),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env: serverProcessEnv(app.ctx.env),
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  let exited: Deno.CommandStatus | undefined;
  child.status.then((status) => exited = status);
  const began = app.ctx.clock.monotonic();
  const deadline = began + START_TIMEOUT_MS;
  let noticed = false;
  while (app.ctx.clock.monotonic() < deadline) {
    if (!noticed && app.ctx.clock.monotonic() - began >= START_NOTICE_MS) {
      noticed = true;
      app.log.info(
        `The server is still starting (it clears what the home's last run left in podman, which ` +
          `takes longer with many images); waiting, Ctrl-C to stop. Log: ${paths.log}`,
      );
    }
    if (exited) {
      throw new ContreeError(
        `The server exited during start-up (code ${exited.code}). Last lines of ${paths.log}:\n${await logTail(
          paths.log,
        )}`,
      );
    }
    const state = await readState(paths);
    if (state?.pid === child.pid && await answers(state.url, await ensureToken(paths))) {
      app.log.info(
        `contree server started in the background on ${state.url} (pid ${child.pid}; log ${paths.log})`,
      );
      return 0;
    }
    try {
      await app.ctx.clock.sleep(100, app.ctx.signal);
    } catch (error) {
      // Ctrl-C: the server is not left starting behind the user's back.
      try {
        child.kill("SIGTERM");
      } catch {
        // exited meanwhile
      }
      throw error;
    }
  }
  // Not left running behind an error: a server the user was told did not start.
  try {
    child.kill("SIGTERM");
  } catch {
    // exited meanwhile
  }
  throw new ContreeError(
    `The server did not answer within ${START_TIMEOUT_MS / 1000}s; see ${paths.log}`,
  );
}

/** The `server start` flags that give a detached server the same limits. */
function limitFlags(limits: SandboxLimits): string[] {
  return [
    ...["--memory", String(limits.memoryBytes), "--cpus", String(limits.cpus)],
    ...["--pids", String(limits.pids)],
    ...["--userns", limits.userns ? `${limits.userns.hostStart}:${limits.userns.size}` : "off"],
  ];
}

async function logTail(path: string): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).trimEnd().split("\n").slice(-5).join("\n");
  } catch {
    return "(no log)";
  }
}

async function answers(url: string, token: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v1/whoami`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Whether a server that no longer answers is stopping for another `stop`: it marked itself
 * stopping, it removed its pid file on the way out, or it is gone.
 */
async function stoppingAlready(paths: ServerPaths, pid: number): Promise<boolean> {
  const state = await readState(paths);
  return (state?.pid === pid && state.stopping === true) || (await readPid(paths)) !== pid ||
    !processExists(pid);
}

export async function serverStop(app: App, options: { home?: string }): Promise<number> {
  const paths = serverPaths(app.ctx.env, app.ctx.home, options.home);
  const recorded = await recordedServer(paths);
  if (recorded.status === "stopped") {
    if (recorded.pid !== undefined) await removeIfOwned(paths, recorded.pid);
    app.log.info(`No contree server is running for ${paths.dir}`);
    return 0;
  }
  if (recorded.status === "unproven" && !(await stoppingAlready(paths, recorded.pid))) {
    // A hung server, or another program under a reused pid: never signalled on a guess.
    throw new ContreeError(
      `Not stopping pid ${recorded.pid}: it does not answer as the server of ${paths.dir} (a stale ${paths.pid} names it?). If no server runs there, remove ${paths.pid}.`,
    );
  }
  // A server that no longer answers is on its way out: its exit is only waited for, never
  // signalled or forced.
  const pid = recorded.status === "running" ? recorded.state.pid : recorded.pid;
  if (recorded.status === "running") Deno.kill(pid, "SIGTERM");
  const deadline = app.ctx.clock.monotonic() + STOP_TIMEOUT_MS;
  while (processExists(pid) && app.ctx.clock.monotonic() < deadline) {
    await app.ctx.clock.sleep(100, app.ctx.signal);
  }
  if (processExists(pid) && recorded.status === "unproven") {
    // Not proven to be the server (it no longer answers): never killed on the state file's word.
    throw new ContreeError(
      `The server (pid ${pid}) is still stopping after ${STOP_TIMEOUT_MS / 1000}s`,
    );
  }
  if (processExists(pid)) {
    app.log.warning(
      `The server (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000}s; killing it`,
    );
    Deno.kill(pid, "SIGKILL");
    await removeIfOwned(paths, pid);
  }
  app.log.info(`Stopped the contree server (pid ${pid})`);
  return 0;
}

/** Prints the server's status row; exit code 0 when it is running and answering, else 1. */
export async function serverStatus(app: App, options: { home?: string }): Promise<number> {
  const paths = serverPaths(app.ctx.env, app.ctx.home, options.home);
  const recorded = await recordedServer(paths);
  const state = recorded.status === "running" ? recorded.state : undefined;
  const alive = recorded.status !== "stopped";
  const pid = state?.pid ?? (recorded.status === "unproven" ? recorded.pid : undefined);
  let counts: Record<string, number> | undefined;
  if (state) {
    try {
      const token = (await Deno.readTextFile(paths.token)).trim();
      const response = await fetch(`${state.url}/v1/whoami`, {
        headers: { Authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(2000),
      });
      if (response.ok) counts = (await response.json()).operations_stat ?? {};
      else await response.body?.cancel();
    } catch {
      // not answering
    }
  }
  const status = counts ? "running" : alive ? "not responding" : "stopped";
  const active = counts
    ? (counts.PENDING ?? 0) + (counts.ASSIGNED ?? 0) + (counts.EXECUTING ?? 0)
    : undefined;
  // What is not known is null, so that each field keeps one type (`jq .port`).
  const out = app.output();
  await out.write({
    status,
    url: alive ? state?.url ?? null : null,
    port: alive ? state?.port ?? null : null,
    pid: alive ? pid ?? null : null,
    home: paths.dir,
    operations: counts ? Object.values(counts).reduce((sum, n) => sum + n, 0) : null,
    active: active ?? null,
    // The label of its podman images and containers (SERVER.md, "Removing a server's images").
    server_id: state?.server_id ?? null,
  });
  await out.flush();
  return status === "running" ? 0 : 1;
}
