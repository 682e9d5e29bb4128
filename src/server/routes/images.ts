// Images (API spec §3.2): listing, import, tags.

import { badRequest, notFound } from "../errors.ts";
import type { Router } from "../http.ts";
import { isValidTag, TAG_RULE } from "../../api/image_ref.ts";
import { imageJson } from "../images.ts";
import { parseImportRequest } from "../importer.ts";
import { parseFlag, parsePage, parseTimeRange } from "../params.ts";
import { type ApiDeps, created, jsonBody, type Resources } from "./common.ts";

export function imageRoutes(router: Router, deps: ApiDeps, resources: Resources): void {
  router.on("GET", "/v1/images", ({ query }) => {
    const page = parsePage(query);
    const tag = query.get("tag") || undefined;
    const uuid = query.get("uuid") || undefined;
    const rows = deps.store.images({
      ...parseTimeRange(query, deps.now()),
      tagged: parseFlag(query, "tagged"),
      tagPrefix: tag,
      uuid: uuid?.toLowerCase(),
    }, page);
    return { json: { images: rows.map(imageJson) } };
  });

  router.on("POST", "/v1/images/import", async (req) => {
    resources.accepting();
    const { spec, metadata } = parseImportRequest(await jsonBody(req, deps.maxRequestBody));
    const op = deps.manager.submit("image_import", { ...metadata }, null, spec);
    return created(op.uuid, { uuid: op.uuid });
  });

  router.on("PATCH", "/v1/images/:uuid/tag", async (req) => {
    const row = resources.image(req.params[0]);
    const body = await jsonBody(req, deps.maxRequestBody) as { tag?: unknown } | null;
    if (body?.tag === undefined || body.tag === null) {
      throw badRequest("tag is required (DELETE removes a tag)");
    }
    if (!isValidTag(body.tag)) {
      throw badRequest(`invalid tag: ${JSON.stringify(body.tag)} (${TAG_RULE})`);
    }
    deps.store.setTag(row.uuid, body.tag);
    return { json: imageJson({ ...row, tag: body.tag }) };
  });

  // Without `?tag=` the image's tag (if any) is removed: clients untag an image that way.
  router.on("DELETE", "/v1/images/:uuid/tag", ({ params, query }) => {
    const row = resources.image(params[0]);
    const tag = query.get("tag") || row.tag;
    if (tag && !deps.store.removeTag(row.uuid, tag)) {
      throw notFound(`image ${row.uuid} has no tag ${tag}`);
    }
    return { status: 204 };
  });
}
