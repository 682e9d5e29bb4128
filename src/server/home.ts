// The local server's home: where it keeps its data, its token, and the pid and state files that
// tell `contree server stop|status` which server runs for it.
//
// Home layout ($CONTREE_SERVER_HOME, else $CONTREE_HOME/server; --home overrides):
//   contree.db[-wal|-shm]  operations, event logs, images, files (SQLite)
//   blobs/ab/<sha256>      uploaded files, content-addressed
//   token                  the bearer token (32 random bytes, hex), mode 0600
//   server.pid             pid of the running server
//   server.json            {pid, port, url, started_at} of the running server
//   server.log             the log of a detached server

import process from "node:process";
import { contreeHome } from "../config/profiles.ts";
import { ensureTokenFile } from "../files.ts";
import type { Env } from "../env.ts";

export interface ServerPaths {
  dir: string;
  token: string;
  pid: string;
  state: string;
  log: string;
  /** Held by a starting server from its check to its claim (see `serverStart`). */
  startLock: string;
}

export interface ServerState {
  pid: number;
  port: number;
  url: string;
  started_at: string;
  /**
   * A random id of this run of the server: it answers `GET /v1/whoami` with the header
   * `Contree-Server-Instance: <pid>/<instance>`, which proves that the live process with that
   * pid is the server that wrote this file (a reused pid belongs to a program that cannot).
   */
  instance?: string;
  /** The `contree.server` label of this home's podman objects (the same across restarts). */
  server_id?: string;
  /** Set once the server has begun to stop: it may no longer answer, and is on its way out. */
  stopping?: boolean;
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
    startLock: `${dir}/server.lock`,
  };
}

/** The server's token, created (0600) on first use. */
export async function ensureToken(paths: ServerPaths): Promise<string> {
  return await ensureTokenFile(paths.token);
}

export async function readState(paths: ServerPaths): Promise<ServerState | undefined> {
  try {
    const state = JSON.parse(await Deno.readTextFile(paths.state));
    return typeof state?.pid === "number" && typeof state?.url === "string" ? state : undefined;
  } catch {
    return undefined;
  }
}

export async function readPid(paths: ServerPaths): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(paths.pid)).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export const INSTANCE_HEADER = "Contree-Server-Instance";

/**
 * Whether process `pid` exists, sending it nothing: it may be another program under a reused
 * pid, or a server someone stopped (SIGCONT, used here once, resumed either). A zombie does not
 * exist: it has exited, only its parent's wait is missing (a detached server waits for a slow
 * init).
 */
export function processExists(pid: number): boolean {
  let stat: string | undefined;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && Deno.build.os === "linux") return false;
  }
  if (stat !== undefined) return !/^\d+ \(.*\) [ZX]/s.test(stat);
  try {
    // No /proc (macOS), or one that hides other users' pids: signal 0 only asks whether it exists.
    return process.kill(pid, 0);
  } catch {
    return false;
  }
}

/**
 * What the pid and state files name: `running` when that process is alive and proves to be the
 * server that wrote them (it answers with its pid and instance id, see `ServerState.instance`);
 * `unproven` when a process with that pid is alive but does not (a hung server, or another
 * program under a reused pid: never to be signalled); `stopped` otherwise.
 */
export async function recordedServer(paths: ServerPaths): Promise<
  | { status: "running"; state: ServerState }
  | { status: "unproven"; pid: number }
  | { status: "stopped"; pid?: number }
> {
  const pid = await readPid(paths);
  if (pid === undefined || !processExists(pid)) return { status: "stopped", pid };
  const state = await readState(paths);
  if (state?.pid === pid && state.instance) {
    try {
      const token = (await Deno.readTextFile(paths.token)).trim();
      const response = await fetch(`${state.url}/v1/whoami`, {
        headers: { Authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(5000),
      });
      await response.body?.cancel();
      if (response.headers.get(INSTANCE_HEADER) === `${pid}/${state.instance}`) {
        return { status: "running", state };
      }
    } catch {
      // not answering
    }
  }
  return { status: "unproven", pid };
}

/** Removes the pid and state files when they still name `pid` (a newer server may own them). */
export async function removeIfOwned(paths: ServerPaths, pid: number): Promise<void> {
  if ((await readPid(paths)) === pid) await Deno.remove(paths.pid).catch(() => {});
  if ((await readState(paths))?.pid === pid) await Deno.remove(paths.state).catch(() => {});
}
