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

import { contreeHome } from "../config/profiles.ts";
import { ensureTokenFile } from "../files.ts";
import type { Env } from "../env.ts";

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

/** Removes the pid and state files when they still name `pid` (a newer server may own them). */
export async function removeIfOwned(paths: ServerPaths, pid: number): Promise<void> {
  if ((await readPid(paths)) === pid) await Deno.remove(paths.pid).catch(() => {});
  if ((await readState(paths))?.pid === pid) await Deno.remove(paths.state).catch(() => {});
}
