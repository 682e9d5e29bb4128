// Image references (CLI spec §6.5, API spec §3.7): `tag:NAME` → tag lookup; a UUID
// (8-4-4-4-12 hex, any case) → used as is, without a request; anything else → tag lookup.
//
// Lookup lists `GET /images?tag=NAME` (as the reference CLI) and takes the image whose tag is
// exactly NAME — the server filters by prefix, so the first hit may be another tag (the
// reference takes it). A NAME without `:` also matches `NAME:latest`, as image tags usually
// carry a version. When the listing has no such tag and the client can, the inspect redirect
// (`GET /inspect/?tag=NAME` → 302 `<uuid>/`) is asked: it also knows tags the project listing
// does not show (public images). Not found → ApiError 404 `No image with tag 'NAME'`.

import { isUuid } from "../uuid.ts";
import type { ContreeClient } from "./client.ts";
import { ApiError } from "./errors.ts";
import { paginate } from "./paginate.ts";

export type ImageLookup =
  & Pick<ContreeClient, "listImages">
  & Partial<Pick<ContreeClient, "lookupTag">>;

/**
 * ConTree's tag rule (CLI spec §8.6): `a-z 0-9 _ -` in parts joined by `:`, `/` or `.`, at most
 * 256 characters. The local server and `build -t` hold tags to it, so that a tag made locally is
 * one the cloud takes.
 */
const TAG_PATTERN = /^[a-z0-9_-]+(?:[:/.][a-z0-9_-]+)*$/;
export const TAG_RULE = "a-z 0-9 _ - in parts joined by : / . (at most 256 characters)";

export function isValidTag(tag: unknown): tag is string {
  return typeof tag === "string" && tag.length <= 256 && TAG_PATTERN.test(tag);
}

/** Statuses of the inspect redirect that mean "no such tag" (or a server without the route). */
const REDIRECT_MISS = new Set([400, 404, 405]);

/** The tag a reference names, or undefined when it is a UUID. */
export function imageRefTag(ref: string): string | undefined {
  if (ref.startsWith("tag:")) return ref.slice(4);
  return isUuid(ref) ? undefined : ref;
}

/** The image UUID of a tag; ApiError 404 when no image carries it. */
export async function lookupImageTag(client: ImageLookup, tag: string): Promise<string> {
  const wanted = tag.includes(":") ? [tag] : [tag, `${tag}:latest`];
  let fallback: string | undefined;
  if (tag !== "") {
    for await (
      const page of paginate((offset, limit) => client.listImages({ tag, offset, limit }))
    ) {
      for (const image of page) {
        if (image.tag === wanted[0] && image.uuid) return image.uuid;
        if (image.tag === wanted[1] && image.uuid) fallback ??= image.uuid;
      }
    }
  }
  if (fallback) return fallback;
  if (tag !== "" && client.lookupTag) {
    try {
      const uuid = await client.lookupTag(tag);
      if (isUuid(uuid)) return uuid.toLowerCase();
    } catch (error) {
      if (!(error instanceof ApiError && REDIRECT_MISS.has(error.status))) throw error;
    }
  }
  throw new ApiError(404, "Not Found", `No image with tag '${tag}'`);
}

/** Resolves an image reference to an image UUID (lower case). */
export async function resolveImageRef(client: ImageLookup, ref: string): Promise<string> {
  const tag = imageRefTag(ref);
  return tag === undefined ? ref.toLowerCase() : await lookupImageTag(client, tag);
}
