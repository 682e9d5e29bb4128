// Uploaded files (API spec §3.3): upload into the blob store, lookups by sha256 and UUID.

import { notFound } from "../errors.ts";
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

  // GET answers HEAD too (the router falls back to it), so every lookup below is also an
  // existence check: `?sha256=` (legacy GET /files/{sha256}) and `?uuid=` (legacy HEAD).
  router.on("GET", "/v1/files", ({ query }) => {
    const sha256 = query.get("sha256");
    const uuid = query.get("uuid");
    if (sha256 !== null || uuid !== null) {
      const file = sha256 !== null
        ? deps.store.fileBySha(sha256.toLowerCase())
        : deps.store.file(uuid!.toLowerCase());
      if (!file) throw notFound(`file not found: ${sha256 ?? uuid}`);
      return { json: fileResponse(file) };
    }
    const rows = deps.store.files(parseTimeRange(query, deps.now()), parsePage(query));
    return { json: { files: rows } };
  });

  router.on("GET", "/v1/files/:sha256", ({ params }) => {
    const sha256 = params[0].toLowerCase();
    const file = SHA256_PATTERN.test(sha256) ? deps.store.fileBySha(sha256) : undefined;
    if (!file) throw notFound(`file not found: ${params[0]}`);
    return { json: file };
  });
}
