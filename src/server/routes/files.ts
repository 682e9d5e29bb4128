// Uploaded files (API spec §3.3): upload into the blob store, lookups by sha256 and UUID.

import { badRequest, notFound } from "../errors.ts";
import type { Router } from "../http.ts";
import { parsePage, parseTimeRange } from "../params.ts";
import type { FileRow } from "../store.ts";
import type { ApiDeps } from "./common.ts";

const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** The FileResponse shape (the upload answer). */
function fileResponse(file: FileRow): Record<string, unknown> {
  return { uuid: file.uuid, sha256: file.sha256, size: file.size };
}

export function fileRoutes(router: Router, deps: ApiDeps): void {
  router.on("POST", "/v1/files", async ({ request }) => {
    const { sha256, size } = await deps.blobs.put(request.body);
    const file = deps.store.putFile(sha256, size, new Date(deps.now()).toISOString());
    return { status: 201, json: fileResponse(file) };
  });

  router.on("GET", "/v1/files", ({ query }) => {
    const sha256 = query.get("sha256");
    if (sha256 !== null) {
      // Legacy form of GET /files/{sha256}.
      const file = deps.store.fileBySha(sha256.toLowerCase());
      if (!file) throw notFound(`file not found: ${sha256}`);
      return { json: fileResponse(file) };
    }
    const rows = deps.store.files(parseTimeRange(query, deps.now()), parsePage(query));
    return { json: { files: rows } };
  });

  router.on("HEAD", "/v1/files", ({ query }) => {
    // Legacy existence check by file UUID.
    const uuid = query.get("uuid");
    if (!uuid) throw badRequest("uuid is required");
    if (!deps.store.file(uuid)) throw notFound(`file not found: ${uuid}`);
    return {};
  });

  router.on("GET", "/v1/files/:sha256", ({ params }) => {
    const sha256 = params[0].toLowerCase();
    const file = SHA256_PATTERN.test(sha256) ? deps.store.fileBySha(sha256) : undefined;
    if (!file) throw notFound(`file not found: ${params[0]}`);
    return { json: file };
  });
}
