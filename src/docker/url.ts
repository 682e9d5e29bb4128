// `ADD <url>`: make the body of an HTTP(S) URL available as a ConTree file.
//
// The body is streamed to a scratch file while it is hashed; only once it has fully arrived —
// its length equal to Content-Length when the server sent one, its sha256 known (and equal to
// `--checksum` when given) — is it offered to the server: reused by sha256, else uploaded from
// the scratch file, and the server's sha256/size must equal ours. So a body that arrives short
// can never become a file UUID (the bug of the reference CLI's PR, seed 001, where streamed URL
// bodies were stored as the empty file).
//
// Re-fetching is avoided with the reference's cache, image_cache ("", "local_file:<url>") =
// {uuid, url, sha256, size, etag, last_modified, content_md5, fetched_at}: a HEAD whose
// validators equal the cached ones reuses the file, else a conditional GET (If-None-Match /
// If-Modified-Since) whose 304 reuses it. The file must still exist on the server either way.

import { uploadVerified } from "../api/upload.ts";
import type { ContreeClient } from "../api/client.ts";
import { ContreeError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ImageCache } from "../cache.ts";
import { userAgent } from "../version.ts";
import { writeAll } from "../bytes.ts";

export const URL_CACHE_PREFIX = "local_file:";

export interface UrlRecord {
  uuid: string;
  url: string;
  sha256: string;
  size: number;
  etag: string | null;
  last_modified: string | null;
  content_md5: string | null;
  /** Epoch seconds. */
  fetched_at: number;
}

export interface UrlDeps {
  fetch: typeof fetch;
  signal?: AbortSignal;
  client: Pick<ContreeClient, "getFile" | "uploadFile" | "log" | "clock">;
  cache?: ImageCache;
  log: Logger;
  /** A directory for the scratch copy of the body. */
  scratchDir: string;
}

export interface UrlFile {
  uuid: string;
  sha256: string;
  size: number;
  /** The last segment of the URL path (`downloaded` when there is none). */
  filename: string;
  outcome: "head-validated" | "not-modified" | "reused" | "uploaded";
}

export interface UrlOptions {
  /** Skip the validator cache (the download and the sha256 dedupe still apply). */
  noCache?: boolean;
  /** Expected sha256 (lower-case hex), from `ADD --checksum=sha256:…`. */
  checksum?: string;
}

/** True for the URLs ADD downloads. */
export function isRemoteUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** The file name ADD gives a URL's body when the destination is a directory. */
export function urlFilename(url: string): string {
  try {
    const segment = new URL(url).pathname.split("/").filter((s) => s !== "").pop();
    return segment ? decodeURIComponent(segment) : "downloaded";
  } catch {
    return "downloaded";
  }
}

function validators(headers: Headers) {
  return {
    etag: headers.get("etag"),
    last_modified: headers.get("last-modified"),
    content_md5: headers.get("content-md5"),
  };
}

/** Every validator the cache recorded is present and unchanged (and there is at least one). */
function validatorsMatch(record: UrlRecord, headers: Headers): boolean {
  const now = validators(headers);
  const keys = (["etag", "last_modified", "content_md5"] as const).filter((k) => record[k]);
  return keys.length > 0 && keys.every((k) => now[k] === record[k]);
}

function isRecord(value: unknown): value is UrlRecord {
  const r = value as UrlRecord | undefined;
  return !!r && typeof r.uuid === "string" && typeof r.sha256 === "string" &&
    typeof r.size === "number";
}

class UrlFetcher {
  constructor(
    private readonly deps: UrlDeps,
    private readonly url: string,
    private readonly options: UrlOptions,
  ) {}

  fail(message: string, cause?: unknown): never {
    throw new ContreeError(`ADD ${this.url}: ${message}`, 1, cause ? { cause } : undefined);
  }

  async request(method: string, headers: Record<string, string> = {}): Promise<Response> {
    try {
      return await this.deps.fetch(this.url, {
        method,
        // The raw bytes: a Content-Length then describes exactly what we must receive.
        headers: { "User-Agent": userAgent(), "Accept-Encoding": "identity", ...headers },
        redirect: "follow",
        signal: this.deps.signal,
      });
    } catch (error) {
      if (this.deps.signal?.aborted) throw this.deps.signal.reason;
      this.fail((error as Error).message, error);
    }
  }

  /** The server still has the file with this sha256: its UUID. */
  async existing(sha256: string): Promise<string | undefined> {
    return (await this.deps.client.getFile(sha256))?.uuid;
  }

  /** The body, fully received into a scratch file, hashed and checked. */
  async download(response: Response): Promise<{ path: string; sha256: string; size: number }> {
    const path = await Deno.makeTempFile({ dir: this.deps.scratchDir, prefix: "add-url-" });
    try {
      return { path, ...await this.receive(response, path) };
    } catch (error) {
      await Deno.remove(path).catch(() => {});
      throw error;
    }
  }

  async receive(response: Response, path: string): Promise<{ sha256: string; size: number }> {
    const { createHash } = await import("node:crypto");
    const hash = createHash("sha256");
    const declared = response.headers.get("content-length");
    const encoded = (response.headers.get("content-encoding") ?? "identity") !== "identity";
    const expected = declared !== null && !encoded && /^\d+$/.test(declared)
      ? Number(declared)
      : undefined;
    let size = 0;
    const file = await Deno.open(path, { write: true, truncate: true });
    try {
      if (response.body) {
        for await (const chunk of response.body) {
          hash.update(chunk);
          size += chunk.length;
          await writeAll(file, chunk);
        }
      }
    } catch (error) {
      if (this.deps.signal?.aborted) throw this.deps.signal.reason;
      this.fail(
        `the download broke after ${size}${
          expected === undefined ? "" : ` of ${expected}`
        } bytes (${(error as Error).message}); nothing was uploaded`,
        error,
      );
    } finally {
      file.close();
    }
    if (expected !== undefined && size !== expected) {
      this.fail(
        `received ${size} bytes but Content-Length announced ${expected}; nothing was uploaded`,
      );
    }
    const sha256 = hash.digest("hex");
    if (this.options.checksum && sha256 !== this.options.checksum) {
      this.fail(
        `checksum mismatch: expected sha256:${this.options.checksum}, got sha256:${sha256}`,
      );
    }
    return { sha256, size };
  }

  async save(record: Omit<UrlRecord, "url" | "fetched_at">): Promise<void> {
    const value: UrlRecord = {
      ...record,
      url: this.url,
      fetched_at: this.deps.client.clock.now() / 1000,
    };
    await this.deps.cache?.set("", `${URL_CACHE_PREFIX}${this.url}`, value);
  }

  async run(): Promise<UrlFile> {
    const { log } = this.deps;
    const filename = urlFilename(this.url);
    const stored = await this.deps.cache?.get<unknown>("", `${URL_CACHE_PREFIX}${this.url}`);
    let cached = !this.options.noCache && isRecord(stored) ? stored : undefined;
    if (cached && this.options.checksum && cached.sha256 !== this.options.checksum) {
      cached = undefined;
    }
    if (cached) {
      let head: Response | undefined;
      try {
        head = await this.request("HEAD");
        await head.body?.cancel();
      } catch (error) {
        if (this.deps.signal?.aborted) throw error;
        head = undefined; // no HEAD: the conditional GET decides
      }
      if (head?.ok && validatorsMatch(cached, head.headers)) {
        const uuid = await this.existing(cached.sha256);
        if (uuid) {
          log.info(`CACHED: ADD ${this.url} (HEAD validators match)`);
          return { ...cached, uuid, filename, outcome: "head-validated" };
        }
        cached = undefined; // the server lost the file: fetch it again
      }
    }
    for (const conditional of cached ? [true, false] : [false]) {
      const headers: Record<string, string> = {};
      if (conditional && cached?.etag) headers["If-None-Match"] = cached.etag;
      if (conditional && cached?.last_modified) {
        headers["If-Modified-Since"] = cached.last_modified;
      }
      const response = await this.request("GET", headers);
      if (response.status === 304 && conditional && cached) {
        await response.body?.cancel();
        const uuid = await this.existing(cached.sha256);
        if (!uuid) continue;
        log.info(`CACHED: ADD ${this.url} (GET 304 Not Modified)`);
        await this.save({ ...cached, uuid });
        return { ...cached, uuid, filename, outcome: "not-modified" };
      }
      if (!response.ok) {
        await response.body?.cancel();
        this.fail(`HTTP ${response.status} ${response.statusText}`.trim());
      }
      const body = await this.download(response);
      try {
        let uuid = await this.existing(body.sha256);
        let outcome: UrlFile["outcome"] = "reused";
        if (!uuid) {
          uuid = await uploadVerified(this.deps.client, body.path, body, this.url);
          outcome = "uploaded";
        }
        log.info(`Downloaded ${this.url}: ${body.size} bytes, sha256 ${body.sha256}`);
        await this.save({
          uuid,
          sha256: body.sha256,
          size: body.size,
          ...validators(response.headers),
        });
        return { uuid, sha256: body.sha256, size: body.size, filename, outcome };
      } finally {
        await Deno.remove(body.path).catch(() => {});
      }
    }
    return this.fail("the server answered 304 Not Modified to an unconditional request");
  }
}

/** Makes the body of `url` a ConTree file (see the module comment). */
export function ensureUrlFile(
  deps: UrlDeps,
  url: string,
  options: UrlOptions = {},
): Promise<UrlFile> {
  return new UrlFetcher(deps, url, options).run();
}
