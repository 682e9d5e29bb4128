// Inspection (API spec §3.7): an image's files without running it — tag lookup, listing,
// download, archive, grep.

import { badRequest, notFound } from "../errors.ts";
import type { Reply, RequestContext, Router } from "../http.ts";
import { grepImage, parseGrepQuery } from "../grep.ts";
import { imageJson } from "../images.ts";
import {
  archiveStream,
  listingJson,
  listingText,
  openListing,
  regularFile,
  requestComponents,
  resolveInImage,
} from "../inspect.ts";
import { parseFlag } from "../params.ts";
import { fileContent, iteratorStream } from "../../tar/write.ts";
import type { ApiDeps, Resources } from "./common.ts";

export function inspectRoutes(router: Router, deps: ApiDeps, resources: Resources): void {
  // `Location` is relative to the request path (spec: `<uuid>/` for `/v1/inspect/`); the alias
  // without the slash needs its last segment in it.
  const lookupTag = (prefix: string) => ({ query }: RequestContext): Reply => {
    const tag = query.get("tag");
    if (!tag) throw badRequest("tag is required");
    const row = deps.store.imageByTag(tag.replace(/^tag:/, ""));
    if (!row) throw notFound(`no image with tag ${tag}`);
    return { status: 302, headers: { Location: `${prefix}${row.uuid}/` } };
  };
  router.on("GET", "/v1/inspect/", lookupTag(""));
  router.on("GET", "/v1/inspect", lookupTag("inspect/"));
  router.on(
    "GET",
    "/v1/inspect/:uuid/",
    ({ params }) => ({ json: imageJson(resources.image(params[0])) }),
  );
  router.on(
    "GET",
    "/v1/inspect/:uuid",
    ({ params }) => ({ json: imageJson(resources.image(params[0])) }),
  );

  /** The `path` parameter, refused (400) before anything is mounted when it is malformed. */
  const inspectPath = (query: URLSearchParams) => {
    const path = query.get("path") || "/";
    requestComponents(path);
    return path;
  };

  router.on("GET", "/v1/inspect/:uuid/list", async ({ params, query }) => {
    const row = resources.image(params[0]);
    const path = inspectPath(query);
    const lease = await deps.mounts.acquire(row.podman_id);
    try {
      const listing = await openListing(lease, path);
      const text = parseFlag(query, "text");
      // Streamed, item by item, with the mount leased until the last one has been read.
      return {
        headers: { "content-type": text ? "text/plain; charset=utf-8" : "application/json" },
        body: iteratorStream(
          text ? listingText(listing) : listingJson(listing),
          () => lease.release(),
        ),
        alwaysGzip: true,
      };
    } catch (error) {
      lease.release();
      throw error;
    }
  });

  router.on("GET", "/v1/inspect/:uuid/download", async ({ params, query }) => {
    const row = resources.image(params[0]);
    const path = inspectPath(query);
    const lease = await deps.mounts.acquire(row.podman_id);
    try {
      const file = await regularFile(lease, path);
      // The mount stays leased until the file has been read (or the client went away, or it
      // was a HEAD: the body is cancelled).
      return {
        headers: {
          "content-type": "application/octet-stream",
          "content-length": String(file.info.size),
        },
        body: iteratorStream(fileContent(file.host, file.info.size), () => lease.release()),
      };
    } catch (error) {
      lease.release();
      throw error;
    }
  });

  router.on("GET", "/v1/inspect/:uuid/archive", async ({ params, query }) => {
    const row = resources.image(params[0]);
    const path = inspectPath(query);
    const lease = await deps.mounts.acquire(row.podman_id);
    try {
      const resolved = await resolveInImage(lease.root, path);
      if (!resolved) throw notFound(`no such file or directory: ${path}`);
      return {
        headers: { "content-type": "application/x-tar" },
        body: archiveStream(lease, resolved, path),
        // gzip'd always (pieces that do not shrink are stored): clients may save the raw body.
        alwaysGzip: true,
      };
    } catch (error) {
      lease.release();
      throw error;
    }
  });

  router.on("GET", "/v1/inspect/:uuid/grep", async ({ params, query }) => {
    const row = resources.image(params[0]);
    const request = parseGrepQuery(query);
    return {
      json: await deps.mounts.use(row.podman_id, (lease) => grepImage(lease.root, request)),
    };
  });
}
