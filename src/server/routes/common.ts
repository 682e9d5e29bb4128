// What every route module shares: the server's parts (ApiDeps), the lookups that turn a path
// parameter into a row or a 404, and request-body and parameter parsing.

import type { Logger } from "../../log.ts";
import { isUuid } from "../../uuid.ts";
import type { BlobStore } from "../blobs.ts";
import { badRequest, HttpError, notFound } from "../errors.ts";
import type { EventLog } from "../events.ts";
import type { Reply, RequestContext } from "../http.ts";
import type { ImageCatalog } from "../images.ts";
import type { ImageMounts } from "../inspect.ts";
import type { SandboxLimits } from "../limits.ts";
import type { OperationManager } from "../operations.ts";
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
  keepaliveMs: number;
  maxTimeout: number;
  limits: SandboxLimits;
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

export async function jsonBody(req: RequestContext): Promise<unknown> {
  const text = await req.request.text();
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("the body must be valid JSON");
  }
}

export function intParam(value: string | null, name: string): number | undefined {
  if (value === null || value === "") return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw badRequest(`${name} must be an integer`);
  return Number(value);
}
