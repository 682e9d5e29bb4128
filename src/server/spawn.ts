// Validation of `POST /instances` bodies (API spec §3.4) into a complete InstanceSpec with the
// server's defaults filled in. The spec is what the operation's `metadata` echoes and what the
// executor runs.

import type { ClosableStreamRepr } from "../api/models.ts";
import { base64ToBytes } from "../api/stream_repr.ts";
import { overlongPath } from "../sandbox_path.ts";
import { shellQuote } from "../shell_words.ts";
import { badRequest } from "./errors.ts";

/**
 * Environment names a run takes: anything but `=`, and but what `podman commit --change "ENV
 * NAME="` cannot say (quotes, `$`, backslashes, control characters), which the commit needs to
 * keep a run's values out of the image it makes (executor.ts, `unkeptEnvChanges`).
 */
// deno-lint-ignore no-control-regex -- control characters are what it refuses
const ENV_NAME = /^[^="'$\\\x00-\x1f\x7f]+$/;

/** A request's environment: a null value unsets the variable (API spec §3.4). */
export type RequestEnv = Record<string, string | null>;

/** The variables `env` sets (its null values unset theirs). */
export function setVariables(env: RequestEnv | null): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env ?? {}).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}

export interface InjectedFile {
  uuid: string;
  uid: number;
  gid: number;
  /** Permission bits as a 4-digit octal string ("0644"), as the API spells them. */
  mode: string;
}

export interface InstanceSpec {
  command: string;
  /** The resolved image UUID. */
  image: string;
  shell: boolean;
  args: string[];
  env: RequestEnv | null;
  preserve_env: boolean;
  cwd: string;
  uid: number;
  gid: number;
  hostname: string;
  timeout: number;
  truncate_output_at: number;
  disposable: boolean;
  stdin?: ClosableStreamRepr;
  files: Record<string, InjectedFile>;
  networking: { enabled: boolean };
  resources_limits?: Record<string, unknown>;
}

export const SPAWN_DEFAULTS = {
  cwd: "/root",
  hostname: "contree",
  timeout: 60,
  truncateOutputAt: 1024 * 1024,
  fileMode: "0644",
};

const HOSTNAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$/;

type Body = Record<string, unknown>;

function optional<T>(
  body: Body,
  name: string,
  check: (value: unknown) => value is T,
  expected: string,
): T | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!check(value)) throw badRequest(`${name} must be ${expected}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isBoolean = (v: unknown): v is boolean => typeof v === "boolean";
/** A user or group id podman takes (it refuses larger ones, or wraps them when it copies). */
const MAX_ID = 2 ** 31 - 1;
const ID_RULE = `an integer from 0 to ${MAX_ID}`;
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isId = (v: unknown): v is number => isCount(v) && v <= MAX_ID;
const isObject = (v: unknown): v is Body =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function absolutePath(value: string, what: string): string {
  if (!value.startsWith("/")) throw badRequest(`${what} must be an absolute path: ${value}`);
  if (value.split("/").includes("..")) throw badRequest(`${what} must not contain '..': ${value}`);
  const overlong = overlongPath(value);
  if (overlong) throw badRequest(`${what}: ${overlong}: ${value.slice(0, 64)}…`);
  return value.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
}

/** Highest value a mode may have: permission bits plus the file-type bits of `st_mode`. */
const MAX_ST_MODE = 0o177777;

/**
 * A file mode in any spelling clients send — "0644", "644", "0o644", "0o100644" (Python's
 * `oct(st_mode)`), or an integer such as 420 or 33188 — as the 4-digit octal string the API
 * uses. File-type bits are ignored; anything that is not a mode is refused.
 */
export function parseMode(value: unknown): string {
  let bits: number | undefined;
  if (typeof value === "number" && Number.isInteger(value)) bits = value;
  else if (typeof value === "string") {
    const match = /^(?:0o)?([0-7]{1,7})$/i.exec(value.trim());
    if (match) bits = parseInt(match[1], 8);
  }
  if (bits === undefined || bits < 0 || bits > MAX_ST_MODE) {
    throw badRequest(
      `file mode must be octal permissions such as "0644" (or 644, "0o644", "0o100644", 420): ${
        JSON.stringify(value)
      }`,
    );
  }
  return (bits & 0o7777).toString(8).padStart(4, "0");
}

function parseStdin(value: unknown): ClosableStreamRepr | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || typeof value.value !== "string") {
    throw badRequest("stdin must be an object with a string value");
  }
  const encoding = value.encoding ?? "ascii";
  if (encoding !== "ascii" && encoding !== "base64") {
    throw badRequest("stdin.encoding must be ascii or base64");
  }
  if (encoding === "base64") {
    try {
      base64ToBytes(value.value);
    } catch {
      // It was accepted and dropped: the process read an empty stdin.
      throw badRequest("stdin.value is not valid base64");
    }
  }
  return { value: value.value, encoding, close: value.close !== false };
}

/** `networking.enabled` ("yes" was taken for false). */
function networkingEnabled(networking: Body): boolean {
  const enabled = networking.enabled ?? false;
  if (typeof enabled !== "boolean") throw badRequest("networking.enabled must be a boolean");
  return enabled;
}

function parseFiles(value: unknown, fileExists: (uuid: string) => boolean) {
  const files: Record<string, InjectedFile> = {};
  if (value === undefined || value === null) return files;
  if (!isObject(value)) throw badRequest("files must be an object of path → file spec");
  for (const [path, spec] of Object.entries(value)) {
    const target = absolutePath(path, "file path");
    if (target === "/") throw badRequest("a file cannot be injected at /");
    if (!isObject(spec) || typeof spec.uuid !== "string") {
      throw badRequest(`files[${path}] must have a file uuid`);
    }
    if (!fileExists(spec.uuid)) throw badRequest(`file not found: ${spec.uuid}`);
    const uid = optional(spec, "uid", isId, ID_RULE) ?? 0;
    const gid = optional(spec, "gid", isId, ID_RULE) ?? 0;
    const mode = spec.mode === undefined || spec.mode === null
      ? SPAWN_DEFAULTS.fileMode
      : parseMode(spec.mode);
    files[target] = { uuid: spec.uuid, uid, gid, mode };
  }
  return files;
}

export interface SpawnContext {
  /** Resolves an image reference to its UUID (throws 404 when unknown). */
  resolveImage(reference: string): string;
  fileExists(uuid: string): boolean;
  maxTimeout: number;
  /** Ids the user namespace of disposable runs maps (uids and gids must be below); none: any. */
  userNamespaceIds?: number;
  /** Largest `truncate_output_at` (bytes); a request for more is clamped to it. */
  maxOutput?: number;
}

/**
 * Refuses a NUL byte in any string of `value` (what a process gets as argv, environment or a
 * path cannot hold one); `name` is where `value` sits in the request, named in the message.
 */
export function refuseNulBytes(value: unknown, name: string): void {
  // A walk with a stack of its own, each node's name made only for the message: a body nested
  // thousands deep is bad input (a 400 from the checks that follow), not a stack overflow.
  interface Node {
    item: unknown;
    segment: string;
    parent?: Node;
  }
  const nameOf = (node: Node): string => {
    const segments: string[] = [];
    for (let at: Node | undefined = node; at; at = at.parent) segments.push(at.segment);
    return segments.reverse().join("");
  };
  const pending: Node[] = [{ item: value, segment: name }];
  for (let node; (node = pending.pop());) {
    const { item } = node;
    if (typeof item === "string") {
      if (item.includes("\0")) throw badRequest(`${nameOf(node)} must not contain a NUL byte`);
    } else if (Array.isArray(item)) {
      for (let index = item.length - 1; index >= 0; index--) {
        pending.push({ item: item[index], segment: `[${index}]`, parent: node });
      }
    } else if (isObject(item)) {
      for (const [key, member] of Object.entries(item).reverse()) {
        if (key.includes("\0")) throw badRequest(`${nameOf(node)} key must not contain a NUL byte`);
        pending.push({ item: member, segment: `.${key}`, parent: node });
      }
    }
  }
}

/** Refuses NUL bytes in every field but stdin (data, any bytes): argv, environment, paths. */
function refuseNulFields(body: Body): void {
  for (const [key, value] of Object.entries(body)) {
    if (key !== "stdin") refuseNulBytes(value, key);
  }
}

/**
 * What describes one process, in a spawn (`InstanceSpawnRequest`) and an exec (`ExecSpec`):
 * command, args, shell, env, cwd, uid, gid, stdin, truncate_output_at; defaults are the caller's.
 */
export interface ProcessSpec {
  command: string;
  shell: boolean;
  args: string[];
  env: RequestEnv | null;
  cwd: string;
  uid: number;
  gid: number;
  truncate_output_at: number;
  stdin?: ClosableStreamRepr;
}

function parseProcess(
  body: Body,
  defaults: Pick<ProcessSpec, "cwd" | "uid" | "gid" | "truncate_output_at">,
  maxOutput = Infinity,
): ProcessSpec {
  const command = body.command;
  if (typeof command !== "string") throw badRequest("command is required");
  const shell = optional(body, "shell", isBoolean, "a boolean") ?? false;
  const args = optional(
    body,
    "args",
    (v): v is string[] => Array.isArray(v) && v.every(isString),
    "an array of strings",
  ) ?? [];
  if (!shell && command === "") throw badRequest("command must not be empty");
  const env = optional(
    body,
    "env",
    (v): v is RequestEnv =>
      isObject(v) && Object.values(v).every((value) => isString(value) || value === null),
    "an object of strings (null: unset)",
  ) ?? null;
  for (const name of Object.keys(env ?? {})) {
    if (!ENV_NAME.test(name)) {
      throw badRequest(
        `invalid environment name: ${JSON.stringify(name)} (not empty; no "=", quotes, "$", ` +
          "backslashes or control characters)",
      );
    }
  }
  const process: ProcessSpec = {
    command,
    shell,
    args,
    env,
    cwd: absolutePath(optional(body, "cwd", isString, "a string") || defaults.cwd, "cwd"),
    uid: optional(body, "uid", isId, ID_RULE) ?? defaults.uid,
    gid: optional(body, "gid", isId, ID_RULE) ?? defaults.gid,
    truncate_output_at: Math.min(
      optional(body, "truncate_output_at", isCount, "a non-negative integer") ??
        defaults.truncate_output_at,
      maxOutput,
    ),
  };
  refuseOverlongCommandLine(process);
  const stdin = parseStdin(body.stdin);
  if (stdin) process.stdin = stdin;
  return process;
}

/** Linux's MAX_ARG_STRLEN (32 pages) less the NUL: the longest one argument or variable can be. */
export const MAX_ARGUMENT_BYTES = 32 * 4096 - 1;
/** All of them together: half of this machine's usual ARG_MAX, leaving podman's options room. */
export const MAX_COMMAND_LINE_BYTES = 1 << 20;
/** What each string costs besides its bytes: its NUL and its pointer in argv or envp. */
const ENTRY_OVERHEAD_BYTES = 9;
/** The spawn event carries them as JSON: it must fit the clients' 4 MiB frame (API spec §5.2). */
export const MAX_SPAWN_JSON_BYTES = 3 << 20;

/**
 * A command line the kernel cannot exec (podman's, then the sandbox's) is a 400 at the request,
 * not a run that fails with "Argument list too long" after it was accepted.
 */
function refuseOverlongCommandLine(
  process: Pick<ProcessSpec, "shell" | "command" | "args" | "env">,
) {
  const encoder = new TextEncoder();
  const hint = "put a long script in one of the run's files, or give it on stdin";
  let total = 0;
  // A shell command goes to `sh -c` as one argument, its args quoted into it.
  const words: [string, string][] = process.shell ? [["command", commandLine(process)[2]]] : [
    ["command", process.command],
    ...process.args.map((arg, i) => [`args[${i}]`, arg] as [string, string]),
  ];
  for (const [what, word] of words) {
    const bytes = encoder.encode(word).length;
    total += bytes + ENTRY_OVERHEAD_BYTES;
    if (bytes > MAX_ARGUMENT_BYTES) {
      throw badRequest(
        `${what} is ${bytes} bytes: one argument can be at most ${MAX_ARGUMENT_BYTES} (${hint})`,
      );
    }
  }
  for (const [name, value] of Object.entries(setVariables(process.env))) {
    const bytes = encoder.encode(`${name}=${value}`).length;
    total += bytes + ENTRY_OVERHEAD_BYTES;
    if (bytes > MAX_ARGUMENT_BYTES) {
      throw badRequest(
        `env ${name.length > 40 ? `${name.slice(0, 40)}…` : name} is ${bytes} bytes: ` +
          `one variable can be at most ${MAX_ARGUMENT_BYTES}`,
      );
    }
  }
  if (total > MAX_COMMAND_LINE_BYTES) {
    throw badRequest(
      `command, args and env take ${total} bytes: at most ${MAX_COMMAND_LINE_BYTES} (${hint})`,
    );
  }
  // Control characters grow sixfold as JSON (\u0001).
  const json = encoder.encode(
    JSON.stringify({ command: process.command, args: process.args, env: process.env }),
  ).length;
  if (json > MAX_SPAWN_JSON_BYTES) {
    throw badRequest(
      `command, args and env take ${json} bytes as JSON: at most ${MAX_SPAWN_JSON_BYTES} ` +
        `(the spawn event must fit the clients' 4 MiB frame; ${hint})`,
    );
  }
}

export function parseSpawnRequest(body: unknown, context: SpawnContext): InstanceSpec {
  if (!isObject(body)) throw badRequest("the body must be a JSON object");
  refuseNulFields(body);
  if (typeof body.command === "string" && (typeof body.image !== "string" || body.image === "")) {
    throw badRequest("image is required");
  }
  const { stdin, ...process } = parseProcess(body, {
    cwd: SPAWN_DEFAULTS.cwd,
    uid: 0,
    gid: 0,
    truncate_output_at: SPAWN_DEFAULTS.truncateOutputAt,
  }, context.maxOutput);
  const hostname = optional(body, "hostname", isString, "a string") || SPAWN_DEFAULTS.hostname;
  if (!HOSTNAME_PATTERN.test(hostname)) throw badRequest(`invalid hostname: ${hostname}`);
  const timeout = optional(body, "timeout", isCount, "a positive integer") ??
    SPAWN_DEFAULTS.timeout;
  if (timeout < 1 || timeout > context.maxTimeout) {
    throw badRequest(`timeout must be between 1 and ${context.maxTimeout}`);
  }
  const networking = optional(body, "networking", isObject, "an object") ?? {};
  const resourcesLimits = optional(body, "resources_limits", isObject, "an object");
  if (resourcesLimits) {
    optional(resourcesLimits, "max_layer_bytes", isCount, "a non-negative integer (bytes)");
  }
  const spec: InstanceSpec = {
    command: process.command,
    image: context.resolveImage(body.image as string),
    shell: process.shell,
    args: process.args,
    env: process.env,
    preserve_env: optional(body, "preserve_env", isBoolean, "a boolean") ?? false,
    cwd: process.cwd,
    uid: process.uid,
    gid: process.gid,
    hostname,
    timeout,
    truncate_output_at: process.truncate_output_at,
    disposable: optional(body, "disposable", isBoolean, "a boolean") ?? false,
    files: parseFiles(body.files, context.fileExists),
    networking: { enabled: networkingEnabled(networking) },
  };
  if (stdin) spec.stdin = stdin;
  if (resourcesLimits) spec.resources_limits = resourcesLimits;
  const mapped = context.userNamespaceIds;
  if (spec.disposable && mapped !== undefined) {
    const ids = [spec.uid, spec.gid, ...Object.values(spec.files).flatMap((f) => [f.uid, f.gid])];
    if (ids.some((id) => id >= mapped)) {
      throw badRequest(
        `uid and gid must be below ${mapped} in a disposable run (its user namespace maps ${mapped} ids)`,
      );
    }
  }
  return spec;
}

/**
 * An `ExecSpec` (API spec §3.6): a process started inside a running instance. cwd, uid, gid and
 * truncate_output_at default to the instance's own.
 */
export function parseExecRequest(
  body: unknown,
  parent: InstanceSpec,
  maxOutput?: number,
): ProcessSpec {
  if (!isObject(body)) throw badRequest("the body must be a JSON object");
  refuseNulFields(body);
  return parseProcess(body, parent, maxOutput);
}

/** A ClosableStreamRepr written to a process's stdin (`close` defaults to false here). */
export function parseStdinWrite(body: unknown): ClosableStreamRepr {
  if (!isObject(body)) throw badRequest("the body must be a JSON object");
  const stdin = parseStdin(body);
  return { ...stdin!, close: body.close === true };
}

/**
 * The argv the sandbox runs. With `shell`, `args` are appended to the shell expression,
 * shell-quoted: the API spec wants them empty, but the reference CLI's `run -I script x y` sends
 * `command: "/bin/sh", shell: true, args: ["-s", "--", "x", "y"]` and the cloud runs it.
 */
export function commandLine(spec: Pick<InstanceSpec, "shell" | "command" | "args">): string[] {
  if (!spec.shell) return [spec.command, ...spec.args];
  return ["/bin/sh", "-c", [spec.command, ...spec.args.map(shellQuote)].join(" ")];
}
