// `contree server start|stop|status`: the server's home, its token, the pid and state files, the
// `local` profile, and running in the foreground or detached.
//
// Home layout ($CONTREE_SERVER_HOME, else $CONTREE_HOME/server; --home overrides):
//   contree.db[-wal|-shm]  operations, event logs, images, files (SQLite)
//   blobs/ab/<sha256>      uploaded files, content-addressed
//   token                  the bearer token (32 random bytes, hex), mode 0600
//   server.pid             pid of the running server
//   server.json            {pid, port, url, started_at} of the running server
//   server.log             the log of a detached server

import type { App } from "../cli/app.ts";
import { contreeHome, ProfileStore } from "../config/profiles.ts";
import { writePrivateFile } from "../files.ts";
import type { Env } from "../context.ts";
import { ContreeError } from "../errors.ts";
import { WriterSink } from "../io.ts";
import { Logger } from "../log.ts";
import { DEFAULT_KEEPALIVE_MS } from "./defaults.ts";
import { type RunningServer, startServer } from "./server.ts";
import { hex } from "../bytes.ts";

export const LOCAL_PROFILE = "local";
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const HAS_PROC = (() => {
  try {
    return Deno.statSync("/proc/self").isDirectory;
  } catch {
    return false;
  }
})();

export interface ServerPaths {
  dir: string;
  token: string;
  pid: string;
  state: string;
  log: string;
}

export interface ServerState {
  pid: number;
  port: number;
  url: string;
  started_at: string;
}

export function serverPaths(env: Env, home: string | undefined, override?: string): ServerPaths {
  const dir = (override || env.get("CONTREE_SERVER_HOME") || `${contreeHome(env, home)}/server`)
    .replace(/\/+$/, "");
  return {
    dir,
    token: `${dir}/token`,
    pid: `${dir}/server.pid`,
    state: `${dir}/server.json`,
    log: `${dir}/server.log`,
  };
}

/** The server's token, created (0600) on first use. */
export async function ensureToken(paths: ServerPaths): Promise<string> {
  try {
    const token = (await Deno.readTextFile(paths.token)).trim();
    if (token) {
      if (Deno.build.os !== "windows") await Deno.chmod(paths.token, 0o600);
      return token;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new ContreeError(`Cannot read ${paths.token}: ${(error as Error).message}`);
    }
  }
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = hex(bytes);
  await writePrivateFile(paths.token, `${token}\n`);
  return token;
}

export async function readState(paths: ServerPaths): Promise<ServerState | undefined> {
  try {
    const state = JSON.parse(await Deno.readTextFile(paths.state));
    return typeof state?.pid === "number" && typeof state?.url === "string" ? state : undefined;
  } catch {
    return undefined;
  }
}

async function readPid(paths: ServerPaths): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(paths.pid)).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a live contree server. Where /proc exists its command line is checked too,
 * so a stale pid file whose pid was reused by another program is not mistaken for the server.
 */
export function serverAlive(pid: number): boolean {
  if (HAS_PROC) {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").includes("server");
    } catch {
      return false;
    }
  }
  try {
    Deno.kill(pid, "SIGCONT"); // no /proc: probe the pid (SIGCONT is harmless to a running one)
    return true;
  } catch {
    return false;
  }
}

async function removeIfOwned(paths: ServerPaths, pid: number): Promise<void> {
  if ((await readPid(paths)) === pid) await Deno.remove(paths.pid).catch(() => {});
  if ((await readState(paths))?.pid === pid) await Deno.remove(paths.state).catch(() => {});
}

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
  /** Log to this file instead of stderr (the detached child). */
  logFile?: string;
}

async function fileLogger(path: string, level: Logger["level"]): Promise<Logger> {
  const file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
  return new Logger(new WriterSink(file, false), level);
}

async function refuseIfRunning(paths: ServerPaths): Promise<void> {
  const pid = await readPid(paths);
  if (pid !== undefined && pid !== Deno.pid && serverAlive(pid)) {
    const state = await readState(paths);
    throw new ContreeError(
      `A contree server is already running for ${paths.dir} (pid ${pid}${
        state ? `, ${state.url}` : ""
      }). Stop it with \`contree server stop\`.`,
    );
  }
}

export async function serverStart(app: App, options: StartOptions): Promise<number> {
  const paths = serverPaths(app.ctx.env, app.ctx.home, options.home);
  await refuseIfRunning(paths);
  if (options.detach) return await startDetached(app, paths, options);

  await Deno.mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const log = options.logFile ? await fileLogger(options.logFile, app.log.level) : app.log;
  const token = await ensureToken(paths);
  let server: RunningServer;
  try {
    server = await startServer({
      dataDir: paths.dir,
      token,
      port: options.port,
      concurrency: options.concurrency,
      keepaliveMs: options.keepaliveSeconds === undefined
        ? DEFAULT_KEEPALIVE_MS
        : options.keepaliveSeconds * 1000,
      log,
    });
  } catch (error) {
    log.error((error as Error).message);
    throw error;
  }
  try {
    const state: ServerState = {
      pid: Deno.pid,
      port: server.port,
      url: server.url,
      started_at: new Date().toISOString(),
    };
    await Deno.writeTextFile(paths.pid, `${Deno.pid}\n`);
    await writePrivateFile(paths.state, `${JSON.stringify(state)}\n`);
    const active = await registerLocalProfile(app, server.url, token);
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
  } finally {
    await server.shutdown();
    await removeIfOwned(paths, Deno.pid);
  }
  log.info("server stopped");
  return 0;
}

/** The argv that runs this same program again (a compiled binary, or `deno run` of main). */
function selfCommand(): string[] {
  return Deno.build.standalone ? [] : ["run", "--allow-all", "--no-prompt", Deno.mainModule];
}

async function startDetached(app: App, paths: ServerPaths, options: StartOptions) {
  await Deno.mkdir(paths.dir, { recursive: true, mode: 0o700 });
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
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  let exited: Deno.CommandStatus | undefined;
  child.status.then((status) => exited = status);
  const deadline = app.ctx.clock.monotonic() + START_TIMEOUT_MS;
  while (app.ctx.clock.monotonic() < deadline) {
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
    await app.ctx.clock.sleep(100, app.ctx.signal);
  }
  throw new ContreeError(
    `The server did not answer within ${START_TIMEOUT_MS / 1000}s; see ${paths.log}`,
  );
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

export async function serverStop(app: App, options: { home?: string }): Promise<number> {
  const paths = serverPaths(app.ctx.env, app.ctx.home, options.home);
  const pid = await readPid(paths);
  if (pid === undefined || !serverAlive(pid)) {
    if (pid !== undefined) await removeIfOwned(paths, pid);
    app.log.info(`No contree server is running for ${paths.dir}`);
    return 0;
  }
  Deno.kill(pid, "SIGTERM");
  const deadline = app.ctx.clock.monotonic() + STOP_TIMEOUT_MS;
  while (serverAlive(pid) && app.ctx.clock.monotonic() < deadline) {
    await app.ctx.clock.sleep(100, app.ctx.signal);
  }
  if (serverAlive(pid)) {
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
  const pid = await readPid(paths);
  const state = await readState(paths);
  const alive = pid !== undefined && serverAlive(pid);
  let counts: Record<string, number> | undefined;
  if (alive && state) {
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
  const out = app.output();
  await out.write({
    status,
    url: alive ? state?.url ?? "" : "",
    port: alive ? state?.port ?? "" : "",
    pid: alive ? pid : "",
    home: paths.dir,
    operations: counts ? Object.values(counts).reduce((sum, n) => sum + n, 0) : "",
    active: active ?? "",
  });
  await out.flush();
  return status === "running" ? 0 : 1;
}
