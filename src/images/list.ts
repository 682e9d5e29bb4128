// `contree images [list]` (CLI spec §8.5): images page by page, tagged ones only unless --all,
// with the truncation warning when --limit cut the listing short.

import type { Image } from "../api/models.ts";
import { MAX_PAGE_SIZE, paginate } from "../api/paginate.ts";
import type { ImagesDeps } from "./deps.ts";

export interface ImageListOptions {
  /** Tag prefix. */
  prefix?: string;
  uuid?: string;
  /** Untagged images too. */
  all: boolean;
  /** API time filters (already formatted). */
  since?: string;
  until?: string;
  limit: number;
}

export const DEFAULT_IMAGE_LIMIT = 3000;

/**
 * The server validates the `tag` filter as a tag, so a prefix ending in a separator
 * (`ubuntu:`) is sent without it and the rest of the match is done here.
 */
export function serverTagPrefix(prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  return prefix.replace(/[:/.]+$/, "") || undefined;
}

export async function listImages(deps: ImagesDeps, options: ImageListOptions): Promise<number> {
  const query = {
    tag: serverTagPrefix(options.prefix),
    uuid: options.uuid,
    tagged: !options.all,
    since: options.since,
    until: options.until,
  };
  // Only a prefix ending in a separator needs matching here; the server matched the rest.
  const localFilter = options.prefix !== undefined && query.tag !== options.prefix;
  const wanted = (image: Image) =>
    !localFilter || (typeof image.tag === "string" && image.tag.startsWith(options.prefix!));
  const out = deps.output();
  let shown = 0;
  let truncated = false;
  const pages = paginate(
    (offset, limit) => deps.client.listImages({ ...query, offset, limit }),
    // Filtered pages may hold fewer matches than they ask for: page on until the limit is met.
    { limit: localFilter ? undefined : options.limit, concurrency: deps.concurrency },
  );
  outer: for await (const page of pages) {
    for (const image of page) {
      if (!wanted(image)) continue;
      if (shown >= options.limit) {
        truncated = true;
        break outer;
      }
      await out.write(image);
      // The reference's progress line after each full page (a table prints at the end).
      if (++shown % MAX_PAGE_SIZE === 0) {
        deps.ctx.log.info(`Fetched ${shown} images, loading more...`);
      }
    }
    await out.flush();
  }
  await out.flush();
  if (truncated) {
    deps.ctx.log.warning(
      `Output truncated at --limit=${options.limit} images; more results are available. ` +
        "Raise --limit or narrow with --prefix/--since/--until.",
    );
  }
  return 0;
}
