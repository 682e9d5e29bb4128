// The spawn request of `contree run` (CLI spec §8.1 step 4).

import type { FileSpec, InstanceSpawnRequest } from "../api/models.ts";
import { bytesToBase64 } from "../api/stream_repr.ts";
import { ContreeError } from "../errors.ts";
import { shellQuote } from "../shell_words.ts";

/**
 * `run -e` pairs, split at the first `=` as the reference's `partition` does: `K=` and a bare
 * `K` are an empty value. A pair without a name (`=V`) is refused.
 */
export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at === 0 || pair === "") {
      throw new ContreeError(`Invalid format '${pair}', expected KEY=VALUE`);
    }
    if (at === -1) env[pair] = "";
    else env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

export function sameEnv(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): boolean {
  const left = Object.entries(a ?? {}).sort();
  const right = Object.entries(b ?? {}).sort();
  return JSON.stringify(left) === JSON.stringify(right);
}

/** Octal string with at least 4 digits, as the API expects ("0644"). */
export function octalMode(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

export interface RunPayloadInput {
  image: string;
  /** The command tokens (everything after the run flags). */
  command: readonly string[];
  shell: boolean;
  timeout: number;
  hostname: string;
  truncateAt: number;
  disposable: boolean;
  preserveEnv: boolean;
  cwd?: string;
  /** Session env overlaid with `-e` pairs. */
  env: Record<string, string>;
  /** The env baked into the image by an earlier `--preserve-env` run. */
  preservedEnv?: Record<string, string>;
  /** Files from `-F` first, then pending staged files for paths not already present. */
  files: Record<string, FileSpec>;
  /** stdin bytes to feed (piped stdin, or the script in interpreter mode). */
  stdin?: Uint8Array;
  /** More stdin follows after the spawn: the process's stdin stays open (`close: false`). */
  stdinOpen?: boolean;
  /** `-I`: the command's first token is a script run by /bin/sh, the rest its arguments. */
  interpreter?: { script: Uint8Array };
}

/**
 * An interpreter-mode script without its shebang line; the rest byte for byte (a script may
 * carry non-UTF-8 data, e.g. a self-extracting archive).
 */
export function scriptBody(script: Uint8Array): Uint8Array {
  if (script[0] !== 0x23 || script[1] !== 0x21) return script; // no "#!"
  const newline = script.indexOf(0x0a);
  return newline === -1 ? new Uint8Array() : script.subarray(newline + 1);
}

export function buildSpawnRequest(input: RunPayloadInput): InstanceSpawnRequest {
  const request: InstanceSpawnRequest = { command: "", image: input.image, shell: input.shell };
  if (input.interpreter) {
    // Deviation: the reference sends shell=true with args ["-s", …], which the API forbids
    // (args must be empty with shell); `sh -s -- args` exec'd directly means the same.
    request.command = "/bin/sh";
    request.shell = false;
    request.args = ["-s", ...(input.command.length > 1 ? ["--", ...input.command.slice(1)] : [])];
  } else if (input.shell) {
    request.command = input.command.length === 1
      ? input.command[0]
      : input.command.map(shellQuote).join(" ");
  } else {
    request.command = input.command[0] ?? "";
    if (input.command.length > 1) request.args = [...input.command.slice(1)];
  }
  request.disposable = input.disposable;
  request.hostname = input.hostname;
  request.truncate_output_at = input.truncateAt;
  request.timeout = input.timeout;
  if (input.cwd) request.cwd = input.cwd;
  if (Object.keys(input.env).length > 0 && !sameEnv(input.env, input.preservedEnv)) {
    request.env = input.env;
  }
  if (input.preserveEnv) request.preserve_env = true;
  if (Object.keys(input.files).length > 0) request.files = input.files;
  const stdin = input.interpreter ? scriptBody(input.interpreter.script) : input.stdin;
  if (input.stdinOpen && !input.interpreter) {
    request.stdin = {
      value: bytesToBase64(stdin ?? new Uint8Array()),
      encoding: "base64",
      close: false,
    };
  } else if (stdin && stdin.length > 0) {
    request.stdin = { value: bytesToBase64(stdin), encoding: "base64" };
  }
  return request;
}
