// The local server as its own process (`contree server start` from source, run as the CLI tests
// run contree), for what the in-process server cannot show: its memory (benches), signals, `kill
// -9` and restarts (fault tests), another podman executable (CONTREE_PODMAN). Start-up is awaited
// on the server's own "listening on" line, not by polling.

import { spawnCli } from "./cli.ts";
import { testClient } from "./server.ts";
import { podmanEnv } from "./podman.ts";
import type { ContreeClient } from "../../src/api/client.ts";

export interface ServerProcess {
  readonly pid: number;
  readonly url: string;
  readonly token: string;
  readonly home: string;
  readonly client: ContreeClient;
  /** What the server wrote to stderr so far (the last 64 KiB). */
  log(): string;
  /** Resolves once the server's stderr has shown `text` (rejects if it exits first). */
  logShows(text: string): Promise<void>;
  /** Raw fetch against `/v1<path>` with the token. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** SIGTERM (or `signal`), then waits for the exit; the exit code. */
  stop(signal?: "SIGTERM" | "SIGHUP"): Promise<number>;
  /** SIGKILL (a crash), then waits for the exit. */
  kill(): Promise<void>;
}

export interface ServerProcessOptions {
  /**
   * The server home, given as `--home` (kept: restart with the same home). Without it the server
   * uses its default under the environment's CONTREE_HOME, as users start it.
   */
  home?: string;
  /** `--port`; 0 (the default) takes a free one. */
  port?: number;
  /** More `server start` flags. */
  args?: string[];
  /** More environment (CONTREE_HOME, CONTREE_PODMAN, …). */
  env?: Record<string, string>;
}

export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const env = {
    ...(options.home ? { CONTREE_HOME: `${options.home}-config` } : {}),
    ...podmanEnv(),
    ...options.env,
  };
  if (!options.home && !env.CONTREE_HOME) throw new Error("give home, or CONTREE_HOME in env");
  const home = options.home ?? `${env.CONTREE_HOME}/server`;
  const child = spawnCli([
    "server",
    "start",
    ...(options.home ? ["--home", options.home] : []),
    "--port",
    String(options.port ?? 0),
    ...options.args ?? [],
  ], { env, stdout: "null" });
  let log = "";
  let listening!: (url: string) => void;
  const url = new Promise<string>((resolve) => listening = resolve);
  const waiters = new Map<string, () => void>();
  const reading = (async () => {
    for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) {
      log = (log + text).slice(-65536);
      const match = /listening on (http:\/\/\S+)/.exec(log);
      if (match) listening(match[1]);
      for (const [wanted, resolve] of waiters) {
        if (log.includes(wanted)) resolve();
      }
    }
  })();
  const exited = child.status.then(async (status) => {
    await reading;
    return status;
  });
  const early = await Promise.race([url, exited]);
  if (typeof early !== "string") {
    throw new Error(`the server exited during start-up (code ${early.code}):\n${log}`);
  }
  const token = (await Deno.readTextFile(`${home}/token`)).trim();
  return {
    pid: child.pid,
    url: early,
    token,
    home,
    client: testClient(early, token),
    log: () => log,
    logShows: (text) =>
      new Promise<void>((resolve, reject) => {
        if (log.includes(text)) return resolve();
        waiters.set(text, resolve);
        exited.then(() => reject(new Error(`the server exited before logging "${text}":\n${log}`)));
      }),
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set("Authorization", `Bearer ${token}`);
      return fetch(`${early}/v1${path}`, { ...init, headers });
    },
    stop: async (signal = "SIGTERM") => {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
      return (await exited).code;
    },
    kill: async () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await exited;
    },
  };
}

/** Peak resident set size of a process since the last reset (kB), from /proc. */
export function peakRssKb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
}

/** Resets a process's peak RSS to its current RSS (Linux: clear_refs 5). */
export function resetPeakRss(pid: number): void {
  Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
}
