// The API routes the local server implements (API spec §2), on top of the store, the event log,
// the operation manager and podman. Subprocesses and grep are not implemented (404 with a
// message saying so).

import type { Logger } from "../log.ts";
import type { BlobStore } from "./blobs.ts";
import { badRequest, HttpError, notFound } from "./errors.ts";
import type { EventLog } from "./events.ts";
import {
  acceptsGzip,
  bearerMatches,
  errorReply,
  type Reply,
  type RequestContext,
  Router,
  toResponse,
} from "./http.ts";
import { isUuid } from "../uuid.ts";
import { type ImageCatalog, imageJson, validTag } from "./images.ts";
import { parseImportRequest } from "./importer.ts";
import {
  archiveStream,
  formatListing,
  type ImageMounts,
  listDirectory,
  regularFile,
  resolveInImage,
} from "./inspect.ts";
import type { OperationManager } from "./operations.ts";
import { fileContent, iteratorStream } from "../tar/write.ts";
import { parseFlag, parsePage, parseTimeRange } from "./params.ts";
import { parseSpawnRequest } from "./spawn.ts";
import type { FileRow, ImageRow, OperationRow, Store } from "./store.ts";

export interface ApiDeps {
  store: Store;
  blobs: BlobStore;
  events: EventLog;
  manager: OperationManager;
  images: ImageCatalog;
  mounts: ImageMounts;
  token: string;
  tokenUuid: string;
  keepaliveMs: number;
  maxTimeout: number;
  log: Logger;
  now: () => number;
}

const STATUSES = ["PENDING", "ASSIGNED", "EXECUTING", "SUCCESS", "FAILED", "CANCELLED"];
const KINDS = ["instance", "image_import"];
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const PERMISSIONS = ["spawn", "spawn_disposable", "list", "import", "cancel", "set_image_tag"];

export function operationSummary(op: OperationRow): Record<string, unknown> {
  return {
    uuid: op.uuid,
    kind: op.kind,
    status: op.status,
    error: op.error,
    created_at: op.created_at,
    duration: op.duration,
    image_size: op.image_size,
    image_uuid: op.image_uuid,
    result_image_uuid: op.result_image_uuid,
  };
}

export function operationJson(op: OperationRow): Record<string, unknown> {
  return {
    ...operationSummary(op),
    metadata: op.metadata,
    result: { image: op.result_image_uuid, tag: op.result_tag },
  };
}

/** The FileResponse shape (the upload answer). */
function fileResponse(file: FileRow): Record<string, unknown> {
  return { uuid: file.uuid, sha256: file.sha256, size: file.size };
}

async function jsonBody(req: RequestContext): Promise<unknown> {
  const text = await req.request.text();
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("the body must be valid JSON");
  }
}

function intParam(value: string | null, name: string): number | undefined {
  if (value === null || value === "") return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw badRequest(`${name} must be an integer`);
  return Number(value);
}

/** The request handler of the server. */
export function createApi(deps: ApiDeps): (request: Request) => Promise<Response> {
  const { store, events, manager, images, mounts } = deps;
  const router = new Router();

  const operation = (uuid: string): OperationRow => {
    const op = isUuid(uuid) ? store.operation(uuid.toLowerCase()) : undefined;
    if (!op) throw notFound(`operation not found: ${uuid}`);
    return op;
  };
  const image = (uuid: string): ImageRow => {
    const row = isUuid(uuid) ? store.image(uuid.toLowerCase()) : undefined;
    if (!row) throw notFound(`image not found: ${uuid}`);
    return row;
  };
  const accepting = () => {
    if (manager.closing) throw new HttpError(503, "the server is shutting down");
  };
  const created = (uuid: string, json: unknown): Reply => ({
    status: 201,
    json,
    headers: { Location: `/v1/operations/${uuid}` },
  });

  router.on("GET", "/v1/whoami", () => ({
    json: {
      token_uuid: deps.tokenUuid,
      token_expiration: null,
      permissions: Object.fromEntries(PERMISSIONS.map((name) => [name, true])),
      limits: { instance_max_timeout: deps.maxTimeout },
      operations_stat: store.operationCounts(),
    },
  }));

  // ---- images ----

  router.on("GET", "/v1/images", ({ query }) => {
    const page = parsePage(query);
    const tag = query.get("tag") || undefined;
    const uuid = query.get("uuid") || undefined;
    const rows = store.images({
      ...parseTimeRange(query, deps.now()),
      tagged: parseFlag(query, "tagged"),
      tagPrefix: tag,
      uuid: uuid?.toLowerCase(),
    }, page);
    return { json: { images: rows.map(imageJson) } };
  });

  router.on("POST", "/v1/images/import", async (req) => {
    accepting();
    const { spec, metadata } = parseImportRequest(await jsonBody(req));
    const op = manager.submit("image_import", { ...metadata }, null, spec);
    return created(op.uuid, { uuid: op.uuid });
  });

  router.on("PATCH", "/v1/images/:uuid/tag", async (req) => {
    const row = image(req.params[0]);
    const body = await jsonBody(req) as { tag?: unknown } | null;
    if (!validTag(body?.tag)) throw badRequest(`invalid tag: ${JSON.stringify(body?.tag)}`);
    store.setTag(row.uuid, body.tag);
    return { json: imageJson({ ...row, tag: body.tag }) };
  });

  router.on("DELETE", "/v1/images/:uuid/tag", ({ params, query }) => {
    const row = image(params[0]);
    const tag = query.get("tag");
    if (!tag) throw badRequest("tag is required");
    if (!store.removeTag(row.uuid, tag)) throw notFound(`image ${row.uuid} has no tag ${tag}`);
    return { status: 204 };
  });

  // ---- files ----

  router.on("POST", "/v1/files", async ({ request }) => {
    const { sha256, size } = await deps.blobs.put(request.body);
    const file = store.putFile(sha256, size, new Date(deps.now()).toISOString());
    return { status: 201, json: fileResponse(file) };
  });

  router.on("GET", "/v1/files", ({ query }) => {
    const sha256 = query.get("sha256");
    if (sha256 !== null) {
      // Legacy form of GET /files/{sha256}.
      const file = store.fileBySha(sha256.toLowerCase());
      if (!file) throw notFound(`file not found: ${sha256}`);
      return { json: fileResponse(file) };
    }
    const rows = store.files(parseTimeRange(query, deps.now()), parsePage(query));
    return { json: { files: rows } };
  });

  router.on("HEAD", "/v1/files", ({ query }) => {
    // Legacy existence check by file UUID.
    const uuid = query.get("uuid");
    if (!uuid) throw badRequest("uuid is required");
    if (!store.file(uuid)) throw notFound(`file not found: ${uuid}`);
    return {};
  });

  router.on("GET", "/v1/files/:sha256", ({ params }) => {
    const sha256 = params[0].toLowerCase();
    const file = SHA256_PATTERN.test(sha256) ? store.fileBySha(sha256) : undefined;
    if (!file) throw notFound(`file not found: ${params[0]}`);
    return { json: file };
  });

  // ---- instances and operations ----

  router.on("POST", "/v1/instances", async (req) => {
    accepting();
    const spec = parseSpawnRequest(await jsonBody(req), {
      resolveImage: (reference) => images.resolve(reference).uuid,
      fileExists: (uuid) => store.file(uuid) !== undefined,
      maxTimeout: deps.maxTimeout,
    });
    const op = manager.submit("instance", { ...spec }, spec.image);
    return created(op.uuid, { uuid: op.uuid, ...spec, status: op.status });
  });

  router.on("GET", "/v1/operations", ({ query }) => {
    const status = query.get("status") || undefined;
    const kind = query.get("kind") || undefined;
    if (status !== undefined && !STATUSES.includes(status)) {
      throw badRequest(`status must be one of ${STATUSES.join(", ")}`);
    }
    if (kind !== undefined && !KINDS.includes(kind)) {
      throw badRequest(`kind must be one of ${KINDS.join(", ")}`);
    }
    const rows = store.operations(
      { ...parseTimeRange(query, deps.now()), status, kind },
      parsePage(query),
    );
    return { json: rows.map(operationSummary) };
  });

  router.on("GET", "/v1/operations/:uuid", ({ params }) => ({
    json: operationJson(operation(params[0])),
  }));

  router.on("DELETE", "/v1/operations/:uuid", ({ params }) => {
    const op = operation(params[0]);
    switch (manager.cancel(op.uuid)) {
      case "cancelling":
        return { status: 202 };
      case "terminal":
        throw new HttpError(409, "operation is not cancellable");
      default:
        throw notFound(`operation not found: ${params[0]}`);
    }
  });

  router.on("GET", "/v1/operations/:uuid/events", ({ params, query, request }) => {
    const op = operation(params[0]);
    const lastEventId = intParam(request.headers.get("last-event-id"), "Last-Event-Id");
    const since = intParam(query.get("since"), "since");
    const spid = intParam(query.get("spid"), "spid");
    if (!events.exists(op.uuid)) {
      throw new HttpError(425, `the event log of operation ${op.uuid} does not exist yet`, {
        "Retry-After": "1",
      });
    }
    return {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
      body: events.stream(op.uuid, {
        after: Math.max(lastEventId ?? -1, since ?? -1),
        spid,
        follow: parseFlag(query, "follow"),
        keepaliveMs: deps.keepaliveMs,
      }),
    };
  });

  const subprocesses = () => {
    throw notFound("subprocesses are not supported by the local ConTree server");
  };
  for (const method of ["GET", "POST", "DELETE"]) {
    router.on(method, "/v1/operations/:uuid/subprocesses", subprocesses);
    router.on(method, "/v1/operations/:uuid/subprocesses/:spid", subprocesses);
    router.on(method, "/v1/operations/:uuid/subprocesses/:spid/stdin", subprocesses);
  }

  // ---- inspect ----

  const lookupTag = ({ query }: RequestContext): Reply => {
    const tag = query.get("tag");
    if (!tag) throw badRequest("tag is required");
    const row = store.imageByTag(tag.replace(/^tag:/, ""));
    if (!row) throw notFound(`no image with tag ${tag}`);
    return { status: 302, headers: { Location: `${row.uuid}/` } };
  };
  router.on("GET", "/v1/inspect/", lookupTag);
  router.on("GET", "/v1/inspect", lookupTag);
  router.on("GET", "/v1/inspect/:uuid/", ({ params }) => ({ json: imageJson(image(params[0])) }));
  router.on("GET", "/v1/inspect/:uuid", ({ params }) => ({ json: imageJson(image(params[0])) }));

  const inspectPath = (query: URLSearchParams) => query.get("path") || "/";

  router.on("GET", "/v1/inspect/:uuid/list", async ({ params, query }) => {
    const row = image(params[0]);
    const list = await mounts.use(
      row.podman_id,
      (lease) => listDirectory(lease, inspectPath(query)),
    );
    return parseFlag(query, "text") ? { text: formatListing(list) } : { json: list };
  });

  router.on("GET", "/v1/inspect/:uuid/download", async ({ params, query, request }) => {
    const row = image(params[0]);
    const lease = await mounts.acquire(row.podman_id);
    try {
      const file = await regularFile(lease, inspectPath(query));
      if (request.method === "HEAD") {
        lease.release();
        return {};
      }
      // The mount stays leased until the file has been read (or the client went away).
      const body = iteratorStream(fileContent(file.host, file.info.size), () => lease.release());
      return { headers: { "content-type": "application/octet-stream" }, body };
    } catch (error) {
      lease.release();
      throw error;
    }
  });

  router.on("GET", "/v1/inspect/:uuid/archive", async ({ params, query, request }) => {
    const row = image(params[0]);
    const path = inspectPath(query);
    const lease = await mounts.acquire(row.podman_id);
    try {
      const resolved = await resolveInImage(lease.root, path);
      if (!resolved) throw notFound(`no such file or directory: ${path}`);
      if (request.method === "HEAD") {
        lease.release();
        return {};
      }
      return {
        headers: { "content-type": "application/x-tar" },
        body: archiveStream(lease, resolved),
      };
    } catch (error) {
      lease.release();
      throw error;
    }
  });

  router.on("GET", "/v1/inspect/:uuid/grep", () => {
    throw notFound("grep is not supported by the local ConTree server");
  });

  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const gzip = acceptsGzip(request);
    let reply: Reply;
    try {
      if (!bearerMatches(request.headers.get("authorization"), deps.token)) {
        throw new HttpError(401, "missing or invalid token");
      }
      const { handler, params } = router.match(request.method, url.pathname);
      reply = await handler({ request, url, query: url.searchParams, params });
    } catch (error) {
      reply = errorReply(error);
      if (!(error instanceof HttpError)) {
        deps.log.error(`${request.method} ${url.pathname}: ${(error as Error).stack ?? error}`);
      }
    }
    return toResponse(reply, gzip, request.method);
  };
}
