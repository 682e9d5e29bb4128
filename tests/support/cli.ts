// Runs contree as a real subprocess (`deno run -A main.ts …`) with an isolated environment:
// a temporary CONTREE_HOME, no inherited CONTREE_*/NEBIUS_* variables, no colours.

import { networkEnv } from "../../scripts/child_env.ts";
import { COMPILE_PERMISSIONS } from "../../scripts/permissions.ts";

export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Uint8Array;
}

export interface CliOptions {
  env?: Record<string, string>;
  stdin?: string | Uint8Array;
  cwd?: string;
  /** "null" for a long-running child whose stdout nobody reads (servers); default "piped". */
  stdout?: "piped" | "null";
  /** A guard for a regression that would hang: SIGKILL after this long (the code is then 137). */
  killAfterMs?: number;
}

/** A temporary CONTREE_HOME, removed by `cleanup()`. */
export async function tempHome(): Promise<{ home: string; cleanup: () => Promise<void> }> {
  const home = await Deno.makeTempDir({ prefix: "contree-test-home-" });
  return { home, cleanup: () => Deno.remove(home, { recursive: true }).catch(() => {}) };
}

/** The environment of a CLI talking to `api` (a server, a fake or a proxy) from `home`. */
export function apiEnv(
  api: { url: string; token: string },
  home: string,
  session?: string,
): Record<string, string> {
  const env: Record<string, string> = {
    CONTREE_HOME: home,
    CONTREE_URL: api.url,
    CONTREE_TOKEN: api.token,
  };
  if (session !== undefined) env.CONTREE_SESSION = session;
  return env;
}

/** The environment a test subprocess gets: PATH, HOME and the network settings, plus `extra`. */
export function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {
    ...networkEnv(),
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    NO_COLOR: "1",
    CONTREE_NO_UPDATE_CHECK: "1",
    TZ: "UTC",
  };
  // Pinned, so that a test giving the child another HOME keeps this machine's module cache.
  const cacheHome = Deno.env.get("XDG_CACHE_HOME") ||
    (Deno.build.os === "darwin" ? `${base.HOME}/Library/Caches` : `${base.HOME}/.cache`);
  base.DENO_DIR = Deno.env.get("DENO_DIR") || `${cacheHome}/deno`;
  const containersConf = Deno.env.get("CONTAINERS_CONF");
  if (containersConf) base.CONTAINERS_CONF = containersConf;
  return { ...base, ...extra };
}

/** The program, arguments and environment that run contree as the CLI tests do. */
export function cliCommand(
  args: string[],
  env?: Record<string, string>,
): { command: string; args: string[]; env: Record<string, string> } {
  // The compiled binary's permissions, not -A: every CLI test proves the set is enough.
  return {
    command: Deno.execPath(),
    args: ["run", ...COMPILE_PERMISSIONS, "--quiet", MAIN, ...args],
    env: isolatedEnv(env),
  };
}

export function spawnCli(args: string[], options: CliOptions = {}): Deno.ChildProcess {
  const command = cliCommand(args, options.env);
  return new Deno.Command(command.command, {
    args: command.args,
    env: command.env,
    clearEnv: true,
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: options.stdout ?? "piped",
    stderr: "piped",
  }).spawn();
}

export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await writer.close();
  }
  const guard = options.killAfterMs === undefined
    ? undefined
    : setTimeout(() => child.kill("SIGKILL"), options.killAfterMs);
  const output = await child.output().finally(() => clearTimeout(guard));
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    stdoutBytes: output.stdout,
  };
}

/** A running CLI whose output is read as it comes: wait for text, then for the exit. */
export interface WatchedCli {
  /** Resolves once `stream` has shown `text` (rejects if the process ends first). */
  shows(stream: "stdout" | "stderr", text: string): Promise<void>;
  /** The exit code and everything printed. */
  finished: Promise<{ code: number; stdout: string; stderr: string }>;
}

export function watchCli(args: string[], options: CliOptions = {}): WatchedCli {
  const child = spawnCli(args, options);
  const text = { stdout: "", stderr: "" };
  const waiters: { stream: "stdout" | "stderr"; text: string; resolve: () => void }[] = [];
  const settle = () => {
    for (const waiter of [...waiters]) {
      if (text[waiter.stream].includes(waiter.text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const read = async (stream: "stdout" | "stderr", body: ReadableStream<Uint8Array>) => {
    for await (const piece of body.pipeThrough(new TextDecoderStream())) {
      text[stream] += piece;
      settle();
    }
  };
  const finished = (async () => {
    const [status] = await Promise.all([
      child.status,
      read("stdout", child.stdout),
      read("stderr", child.stderr),
    ]);
    return { code: status.code, ...text };
  })();
  return {
    shows: (stream, wanted) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ stream, text: wanted, resolve });
        settle();
        finished.then(() =>
          reject(
            new Error(
              `the CLI ended before ${stream} showed ${JSON.stringify(wanted)}:\n${
                JSON.stringify(text)
              }`,
            ),
          )
        );
      }),
    finished,
  };
}

/** Reads `reader` until `text` has been read (or the stream ends; to its end without `text`). */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  text?: string,
): Promise<string> {
  const decoder = new TextDecoder();
  let seen = "";
  while (text === undefined || !seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
  }
  return seen;
}
