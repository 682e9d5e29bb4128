// The image tools: list_images, get_image, import_image, set_tag.

import type { Image, ImageImportRequest } from "../api/models.ts";
import { paginate } from "../api/paginate.ts";
import { serverTagPrefix } from "../images/list.ts";
import { followImport, importedImage, normaliseRegistryUrl } from "../images/registry.ts";
import { formatApiTime, parseTimeFilter } from "../time_filter.ts";
import { imageOutput, operationOutput } from "./outputs.ts";
import type { ToolOutput } from "./result.ts";
import type { McpState } from "./state.ts";

/** A `since`/`until` value (ISO date, HH:MM or an interval such as 2h) as the API expects it. */
export function apiTime(state: McpState, value: string | undefined, name: string) {
  return value === undefined || value === ""
    ? undefined
    : formatApiTime(parseTimeFilter(value, state.ctx.clock.now(), name));
}

export interface ListImagesArgs {
  limit: number;
  offset: number;
  tagged?: boolean;
  tag_prefix?: string;
  since?: string;
  until?: string;
}

export async function listImagesTool(state: McpState, args: ListImagesArgs): Promise<ToolOutput> {
  const client = state.client();
  const prefix = args.tag_prefix || undefined;
  const query = {
    tag: serverTagPrefix(prefix),
    tagged: args.tagged,
    since: apiTime(state, args.since, "since"),
    until: apiTime(state, args.until, "until"),
  };
  // The server matches a prefix without its trailing separator; the rest is matched here.
  const wanted = (image: Image) =>
    prefix === undefined || (typeof image.tag === "string" && image.tag.startsWith(prefix));
  const images: ToolOutput[] = [];
  let skipped = 0;
  outer: for await (
    const page of paginate(
      (offset, limit) => client.listImages({ ...query, offset, limit }),
      { concurrency: state.deps.concurrency },
    )
  ) {
    for (const image of page) {
      if (!wanted(image)) continue;
      if (skipped < args.offset) {
        skipped++;
        continue;
      }
      if (images.length === args.limit) break outer;
      images.push(imageOutput(image));
    }
  }
  return { images };
}

export async function getImageTool(state: McpState, image: string): Promise<ToolOutput> {
  const client = state.client();
  const uuid = await state.resolveImage(image);
  const found = await client.inspectImage(uuid);
  return imageOutput({ ...found, uuid: found.uuid ?? uuid });
}

export interface ImportImageArgs {
  registry_url: string;
  tag?: string;
  wait: boolean;
  timeout?: number;
}

export async function importImageTool(
  state: McpState,
  args: ImportImageArgs,
): Promise<ToolOutput> {
  const client = state.client();
  const request: ImageImportRequest = {
    registry: { url: normaliseRegistryUrl(args.registry_url) },
  };
  if (args.tag) request.tag = args.tag;
  if (args.timeout !== undefined) request.timeout = args.timeout;
  const { uuid } = await client.importImage(request);
  state.ctx.log.debug(`import_image: ${request.registry.url} is operation ${uuid}`);
  if (!args.wait) return { operation_id: uuid, registry_url: request.registry.url };
  const operation = await followImport(client, uuid);
  const output = operationOutput(operation);
  output.result_image = importedImage(operation) ?? null;
  output.result_tag = operation.result?.tag ?? request.tag ?? null;
  return output;
}

export async function setTagTool(
  state: McpState,
  args: { image_uuid: string; tag?: string },
): Promise<ToolOutput> {
  const client = state.client();
  const uuid = await state.resolveImage(args.image_uuid);
  if (args.tag) {
    const tagged = await client.tagImage(uuid, args.tag);
    return imageOutput({ ...tagged, uuid: tagged?.uuid ?? uuid, tag: tagged?.tag ?? args.tag });
  }
  const current = await client.inspectImage(uuid);
  if (typeof current.tag === "string" && current.tag !== "") {
    await client.untagImage(uuid, current.tag);
  }
  return imageOutput({ ...current, uuid: current.uuid ?? uuid, tag: null });
}
