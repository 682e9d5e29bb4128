// "Ensure file" (API spec §3.3, CLI spec §8.1 step 3): make a host file available on the
// server and return its file UUID, uploading only what the server does not have.
//
//  1. Local cache: a fingerprint of (absolute path, inode, mtime ns, size) maps to the UUID of
//     an earlier upload for 90 days — image_cache ("", "local_file:<uuid5(URL ns, fp)>") =
//     {uuid, uploaded_at (epoch seconds), local_path}, the reference CLI's format.
//  2. Else sha256 of the file (streamed) → `GET /files/<sha>`: the server has it → reuse.
//  3. Else `POST /files` with the file streamed from disk (a fresh stream per attempt).

import { ContreeError } from "../errors.ts";
import { absoluteHostPath } from "../files.ts";
import type { ImageCache } from "../cache.ts";
import { NAMESPACE_URL, uuidv5 } from "../uuid.ts";
import type { ContreeClient } from "./client.ts";
import { mapLimit } from "../parallel.ts";
import { sha256Hex } from "../bytes.ts";

export const LOCAL_FILE_TTL_MS = 90 * 24 * 3600 * 1000;
export const LOCAL_FILE_PREFIX = "local_file:";

export type FileApi = Pick<ContreeClient, "getFile" | "uploadFile" | "log" | "clock">;

/** Where a file UUID came from. */
export type EnsureOutcome = "cached" | "reused" | "uploaded";

export interface EnsuredFile {
  /** The path as given. */
  path: string;
  /** Absolute host path. */
  absolutePath: string;
  uuid: string;
  /** Unknown when the local cache answered. */
  sha256?: string;
  outcome: EnsureOutcome;
}

export interface EnsureOptions {
  /** Base for relative paths (default: the process cwd). */
  cwd?: string;
  /** Consult and record the local upload cache (default true; off for temp files). */
  localCache?: boolean;
  /** Ask the server again whatever the cache says, and record its answer. */
  refresh?: boolean;
  /** Log reuses at debug level (the caller reports a summary). */
  quiet?: boolean;
}

/** A value of the local upload cache. */
export interface LocalFileRecord {
  uuid: string;
  uploaded_at: number;
  local_path?: string;
  url?: string;
  /** Ours (the reference writes no such key): a cached answer can still say what it holds. */
  sha256?: string;
}

/** The image_cache kind of a host file's fingerprint. */
export async function localFileCacheKind(
  absolutePath: string,
  stat: { ino: bigint | number; mtimeNs: bigint | number; size: bigint | number },
): Promise<string> {
  const fingerprint = `${absolutePath}:${stat.ino}:${stat.mtimeNs}:${stat.size}`;
  return `${LOCAL_FILE_PREFIX}${await uuidv5(NAMESPACE_URL, fingerprint)}`;
}

/** sha256 (lower-case hex) of a file, read as a stream. */
export async function sha256File(path: string): Promise<string> {
  // Loaded on use: WebCrypto cannot hash a stream, and node's layer costs startup time.
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  const file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/** The fingerprint parts of a regular file. Deno reports mtime in milliseconds. */
async function statFile(absolutePath: string, shown: string) {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(absolutePath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new ContreeError(`File not found: ${shown}`);
    throw new ContreeError(`Cannot read ${shown}: ${(error as Error).message}`);
  }
  if (!info.isFile) throw new ContreeError(`Not a regular file: ${shown}`);
  return {
    ino: info.ino ?? 0,
    mtimeNs: BigInt(info.mtime?.getTime() ?? 0) * 1_000_000n,
    size: info.size,
  };
}

/**
 * Uploads a complete file from disk (a fresh stream per attempt) and checks that the server
 * stored exactly what we hashed: its `sha256` and `size` must equal ours. A mismatch means the
 * bytes were lost on the way (or the file changed meanwhile) and fails instead of handing out a
 * file UUID for the wrong content. Returns the file UUID.
 */
export async function uploadVerified(
  client: FileApi,
  absolutePath: string,
  expected: { sha256: string; size: number },
  shown = absolutePath,
): Promise<string> {
  const uploaded = await client.uploadFile(async () =>
    (await Deno.open(absolutePath, { read: true })).readable
  );
  const sha256 = typeof uploaded.sha256 === "string" ? uploaded.sha256.toLowerCase() : undefined;
  const size = typeof uploaded.size === "number" ? uploaded.size : undefined;
  if (
    (sha256 !== undefined && sha256 !== expected.sha256) ||
    (size !== undefined && size !== expected.size)
  ) {
    throw new ContreeError(
      `Upload of ${shown} was stored as sha256 ${sha256} (${size} bytes), expected ${expected.sha256} (${expected.size} bytes)`,
    );
  }
  return uploaded.uuid;
}

/** Makes one host file available on the server; returns its file UUID. */
export async function ensureFile(
  client: FileApi,
  cache: ImageCache | undefined,
  path: string,
  options: EnsureOptions = {},
): Promise<EnsuredFile> {
  const absolutePath = absoluteHostPath(options.cwd ?? Deno.cwd(), path);
  const stat = await statFile(absolutePath, path);
  const useCache = (options.localCache ?? true) && cache !== undefined;
  const cacheKind = await localFileCacheKind(absolutePath, stat);
  const now = client.clock.now();
  if (useCache && !options.refresh) {
    const cached = await cache.get<LocalFileRecord>("", cacheKind);
    if (
      cached && typeof cached.uuid === "string" && typeof cached.uploaded_at === "number" &&
      now - cached.uploaded_at * 1000 < LOCAL_FILE_TTL_MS
    ) {
      client.log.debug(`File cached: ${path} -> ${cached.uuid}`);
      const sha256 = typeof cached.sha256 === "string" ? cached.sha256 : undefined;
      return { path, absolutePath, uuid: cached.uuid, sha256, outcome: "cached" };
    }
  }
  const sha256 = await sha256File(absolutePath);
  let uuid: string;
  let outcome: EnsureOutcome;
  const existing = await client.getFile(sha256);
  if (existing?.uuid) {
    uuid = existing.uuid;
    outcome = "reused";
    client.log.log(options.quiet ? "debug" : "info", `File reused: ${path} -> ${uuid}`);
  } else {
    uuid = await uploadVerified(client, absolutePath, { sha256, size: Number(stat.size) }, path);
    outcome = "uploaded";
    client.log.debug(`File uploaded: ${path} -> ${uuid}`);
  }
  if (useCache) {
    const record: LocalFileRecord = {
      uuid,
      uploaded_at: now / 1000,
      local_path: absolutePath,
      sha256,
    };
    await cache.set("", cacheKind, record);
  }
  return { path, absolutePath, uuid, sha256, outcome };
}

/** ensureFile for many files with `concurrency` workers; results in input order. */
export async function ensureFiles(
  client: FileApi,
  cache: ImageCache | undefined,
  paths: readonly string[],
  options: EnsureOptions & { concurrency?: number } = {},
): Promise<EnsuredFile[]> {
  return await mapLimit(
    paths,
    options.concurrency ?? 8,
    (path) => ensureFile(client, cache, path, options),
  );
}

/** Makes bytes available on the server (reusing a file with the same sha256); returns its record. */
export async function ensureBytes(
  client: FileApi,
  bytes: Uint8Array,
): Promise<{ uuid: string; sha256: string; size: number; outcome: "reused" | "uploaded" }> {
  const sha256 = await sha256Hex(bytes);
  const existing = await client.getFile(sha256);
  if (existing?.uuid) return { uuid: existing.uuid, sha256, size: bytes.length, outcome: "reused" };
  const uploaded = await client.uploadFile(() => bytes as Uint8Array<ArrayBuffer>);
  if (typeof uploaded.sha256 === "string" && uploaded.sha256.toLowerCase() !== sha256) {
    throw new ContreeError(`Upload was stored as sha256 ${uploaded.sha256}, expected ${sha256}`);
  }
  return { uuid: uploaded.uuid, sha256, size: bytes.length, outcome: "uploaded" };
}
