// The local server as its own process (`contree server start`, from source), for what the
// in-process server cannot show: its memory (benches), `kill -9` and restarts (fault tests),
// another podman executable (CONTREE_PODMAN). Start-up is awaited on the server's own
// "listening on" line, not by polling.

import { networkEnv } from "../../scripts/child_env.ts";
import { spawnCli } from "./cli.ts";
import { testClient } from "./server.ts";
import { podmanEnv } from "./podman.ts";
import type { ContreeClient } from "../../src/api/client.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export interface ServerProcess {
  readonly pid: number;
  readonly url: string;
  readonly token: string;
  readonly home: string;
  readonly client: ContreeClient;
  /** What the server wrote to stderr so far. */
  log(): string;
  /** Raw fetch against `/v1<path>` with the token. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** SIGTERM, then waits for the exit; the exit code. */
  stop(): Promise<number>;
  /** SIGKILL (a crash), then waits for the exit. */
  kill(): Promise<void>;
}

export interface ServerProcessOptions {
  /** The server home (kept: restart with the same home). */
  home: string;
  /** More `server start` flags. */
  args?: string[];
  /** More environment (e.g. CONTREE_PODMAN). */
  env?: Record<string, string>;
}

export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      MAIN,
      "server",
      "start",
      "--home",
      options.home,
      "--port",
      "0",
      ...options.args ?? [],
    ],
    env: {
      ...networkEnv(),
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      CONTREE_HOME: `${options.home}-config`,
      NO_COLOR: "1",
      ...podmanEnv(),
      ...options.env,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  let listening!: (url: string) => void;
  const url = new Promise<string>((resolve) => listening = resolve);
  const reading = (async () => {
    for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) {
      log = (log + text).slice(-65536);
      const match = /listening on (http:\/\/\S+)/.exec(log);
      if (match) listening(match[1]);
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
  const token = (await Deno.readTextFile(`${options.home}/token`)).trim();
  return {
    pid: child.pid,
    url: early,
    token,
    home: options.home,
    client: testClient(early, token),
    log: () => log,
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set("Authorization", `Bearer ${token}`);
      return fetch(`${early}/v1${path}`, { ...init, headers });
    },
    stop: async () => {
      try {
        child.kill("SIGTERM");
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

/**
 * `contree server start --port <port>` through the CLI harness (tests/support/cli.ts: the
 * test environment plus `env`, as users start it), resolved once it listens; `stderr()` resolves
 * to its whole log once it has exited.
 */
export async function startServerCli(env: Record<string, string>, port = 0) {
  const child = spawnCli(["server", "start", "--port", String(port)], { env });
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  while (!stderr.includes("listening on")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server did not start:\n${stderr}`);
    stderr += value;
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return stderr;
      stderr += value;
    }
  })();
  return { child, stderr: () => rest };
}
