// What every route module shares: the server's parts (ApiDeps), the lookups that turn a path
// parameter into a row or a 404, and request-body and parameter parsing.

import type { Logger } from "../../log.ts";
import { isUuid } from "../../uuid.ts";
import type { BlobStore } from "../blobs.ts";
import { concatBytes } from "../../bytes.ts";
import { badRequest, cutOffBody, HttpError, notFound, tooLarge } from "../errors.ts";
import type { EventLog } from "../events.ts";
import type { Reply, RequestContext } from "../http.ts";
import type { ImageCatalog } from "../images.ts";
import type { ImageMounts } from "../inspect.ts";
import type { SandboxLimits } from "../limits.ts";
import type { OperationManager } from "../operations.ts";
import type { OutputFiles } from "../outputs.ts";
import type { ImageRow, OperationRow, Store } from "../store.ts";
import type { Subprocesses } from "../subprocesses.ts";

export interface ApiDeps {
  store: Store;
  blobs: BlobStore;
  events: EventLog;
  manager: OperationManager;
  images: ImageCatalog;
  mounts: ImageMounts;
  subprocesses: Subprocesses;
  token: string;
  tokenUuid: string;
  /** This run's random id, sent with whoami to prove the server's identity. */
  instance: string;
  outputs: OutputFiles;
  keepaliveMs: number;
  maxTimeout: number;
  limits: SandboxLimits;
  /** Largest `truncate_output_at` (bytes per stream); larger requests are clamped. */
  maxOutput: number;
  /** Output bytes one operation's log keeps at most, all streams together. */
  maxLogOutput: number;
  /** Largest JSON request body (bytes). */
  maxRequestBody: number;
  log: Logger;
  now: () => number;
}

/** Path parameters to rows (404 when unknown), and the shutdown check of creating routes. */
export class Resources {
  constructor(private readonly deps: ApiDeps) {}

  operation(uuid: string): OperationRow {
    const op = isUuid(uuid) ? this.deps.store.operation(uuid.toLowerCase()) : undefined;
    if (!op) throw notFound(`operation not found: ${uuid}`);
    return op;
  }

  image(uuid: string): ImageRow {
    const row = isUuid(uuid) ? this.deps.store.image(uuid.toLowerCase()) : undefined;
    if (!row) throw notFound(`image not found: ${uuid}`);
    return row;
  }

  /** Refuses new operations while the server shuts down. */
  accepting(): void {
    if (this.deps.manager.closing) throw new HttpError(503, "the server is shutting down");
  }
}

/** 201 with the new operation's Location. */
export function created(uuid: string, json: unknown): Reply {
  return { status: 201, json, headers: { Location: `/v1/operations/${uuid}` } };
}

/**
 * The request's JSON body, read up to `limit` bytes: a larger body is refused with 413 as soon
 * as it is known to be larger (its Content-Length, else the byte past the limit), unread.
 */
export async function jsonBody(req: RequestContext, limit: number): Promise<unknown> {
  const tooBig = () => tooLarge(`the request body is larger than ${limit} bytes`);
  const declared = Number(req.request.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    await req.request.body?.cancel().catch(() => {});
    throw tooBig();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.request.body) {
    try {
      for await (const chunk of req.request.body) {
        size += chunk.length;
        if (size > limit) throw tooBig(); // leaving the loop cancels the body
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw cutOffBody(error); // it was a 500, as if the server had failed
    }
  }
  try {
    return JSON.parse(new TextDecoder().decode(concatBytes(chunks)));
  } catch {
    throw badRequest("the body must be valid JSON");
  }
}

export function intParam(value: string | null, name: string): number | undefined {
  if (value === null || value === "") return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw badRequest(`${name} must be an integer`);
  return Number(value);
}
