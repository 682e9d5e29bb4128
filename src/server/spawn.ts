// Validation of `POST /instances` bodies (API spec §3.4) into a complete InstanceSpec with the
// server's defaults filled in. The spec is what the operation's `metadata` echoes and what the
// executor runs.

import type { ClosableStreamRepr } from "../api/models.ts";
import { badRequest } from "./errors.ts";

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
  env: Record<string, string> | null;
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
const isId = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isObject = (v: unknown): v is Body =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function absolutePath(value: string, what: string): string {
  if (!value.startsWith("/")) throw badRequest(`${what} must be an absolute path: ${value}`);
  if (value.split("/").includes("..")) throw badRequest(`${what} must not contain '..': ${value}`);
  return value.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
}

/** "0644", "644" or 420 → "0644". */
export function parseMode(value: unknown): string {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0o7777) {
    return value.toString(8).padStart(4, "0");
  }
  if (typeof value === "string" && /^[0-7]{1,4}$/.test(value)) return value.padStart(4, "0");
  throw badRequest(`file mode must be an octal string such as "0644": ${JSON.stringify(value)}`);
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
  return { value: value.value, encoding, close: value.close !== false };
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
    const uid = optional(spec, "uid", isId, "a non-negative integer") ?? 0;
    const gid = optional(spec, "gid", isId, "a non-negative integer") ?? 0;
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
  /** Largest `truncate_output_at` (bytes); a request for more is clamped to it. */
  maxOutput?: number;
}

/**
 * Refuses a NUL byte in any string of `value` (what a process gets as argv, environment or a
 * path cannot hold one); `name` is where `value` sits in the request, named in the message.
 */
export function refuseNulBytes(value: unknown, name: string): void {
  if (typeof value === "string") {
    if (value.includes("\0")) throw badRequest(`${name} must not contain a NUL byte`);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => refuseNulBytes(item, `${name}[${index}]`));
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      refuseNulBytes(key, `${name} key`);
      refuseNulBytes(item, `${name}.${key}`);
    }
  }
}

export function parseSpawnRequest(body: unknown, context: SpawnContext): InstanceSpec {
  if (!isObject(body)) throw badRequest("the body must be a JSON object");
  // stdin is data (any bytes); everything else becomes argv, environment or a path.
  for (const [key, value] of Object.entries(body)) {
    if (key !== "stdin") refuseNulBytes(value, key);
  }
  const command = body.command;
  if (typeof command !== "string") throw badRequest("command is required");
  if (typeof body.image !== "string" || body.image === "") throw badRequest("image is required");
  const shell = optional(body, "shell", isBoolean, "a boolean") ?? false;
  const args = optional(
    body,
    "args",
    (v): v is string[] => Array.isArray(v) && v.every(isString),
    "an array of strings",
  ) ?? [];
  if (shell && args.length > 0) throw badRequest("args must be empty when shell is true");
  if (!shell && command === "") throw badRequest("command must not be empty");
  const env = optional(
    body,
    "env",
    (v): v is Record<string, string> => isObject(v) && Object.values(v).every(isString),
    "an object of strings",
  ) ?? null;
  for (const name of Object.keys(env ?? {})) {
    if (name === "" || name.includes("=")) throw badRequest(`invalid environment name: ${name}`);
  }
  const cwd = optional(body, "cwd", isString, "a string") || SPAWN_DEFAULTS.cwd;
  const hostname = optional(body, "hostname", isString, "a string") || SPAWN_DEFAULTS.hostname;
  if (!HOSTNAME_PATTERN.test(hostname)) throw badRequest(`invalid hostname: ${hostname}`);
  const timeout = optional(body, "timeout", isId, "a positive integer") ?? SPAWN_DEFAULTS.timeout;
  if (timeout < 1 || timeout > context.maxTimeout) {
    throw badRequest(`timeout must be between 1 and ${context.maxTimeout}`);
  }
  const networking = optional(body, "networking", isObject, "an object") ?? {};
  const resourcesLimits = optional(body, "resources_limits", isObject, "an object");
  const spec: InstanceSpec = {
    command,
    image: context.resolveImage(body.image),
    shell,
    args,
    env,
    preserve_env: optional(body, "preserve_env", isBoolean, "a boolean") ?? false,
    cwd: absolutePath(cwd, "cwd"),
    uid: optional(body, "uid", isId, "a non-negative integer") ?? 0,
    gid: optional(body, "gid", isId, "a non-negative integer") ?? 0,
    hostname,
    timeout,
    truncate_output_at: Math.min(
      optional(body, "truncate_output_at", isId, "a non-negative integer") ??
        SPAWN_DEFAULTS.truncateOutputAt,
      context.maxOutput ?? Infinity,
    ),
    disposable: optional(body, "disposable", isBoolean, "a boolean") ?? false,
    files: parseFiles(body.files, context.fileExists),
    networking: { enabled: networking.enabled === true },
  };
  const stdin = parseStdin(body.stdin);
  if (stdin) spec.stdin = stdin;
  if (resourcesLimits) spec.resources_limits = resourcesLimits;
  return spec;
}

/** The argv the sandbox runs. */
export function commandLine(spec: InstanceSpec): string[] {
  return spec.shell ? ["/bin/sh", "-c", spec.command] : [spec.command, ...spec.args];
}
