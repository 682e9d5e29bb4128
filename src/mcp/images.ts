// The image tools: list_images, get_image, import_image, set_tag.

import type { Image, ImageImportRequest } from "../api/models.ts";
import { paginate } from "../api/paginate.ts";
import { serverTagPrefix } from "../images/list.ts";
import { followImport, importedImage, normaliseRegistryUrl } from "../images/registry.ts";
import { ContreeError } from "../errors.ts";
import { checkRegistryToken, registryHost, TOKEN_PAGES } from "../images/registry_auth.ts";
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
  signal?: AbortSignal,
): Promise<ToolOutput> {
  const client = state.client();
  const request: ImageImportRequest = {
    registry: { url: normaliseRegistryUrl(args.registry_url) },
  };
  const credentials = await storedCredentials(state, request.registry.url);
  if (credentials) request.registry.credentials = credentials;
  if (args.tag) request.tag = args.tag;
  if (args.timeout !== undefined) request.timeout = args.timeout;
  const { uuid } = await client.importImage(request);
  state.ctx.log.debug(`import_image: ${request.registry.url} is operation ${uuid}`);
  if (!args.wait) return { operation_id: uuid, registry_url: request.registry.url };
  // The call cancelled stops the waiting; the import goes on (get_operation finds it).
  const operation = await followImport(signal ? client.withSignal(signal) : client, uuid);
  const output = operationOutput(operation);
  output.result_image = importedImage(operation) ?? null;
  output.result_tag = operation.result?.tag ?? request.tag ?? null;
  return output;
}

/**
 * The credentials `registry_auth` kept for the registry of `url`, checked again first (tokens
 * expire): a token the registry refuses is forgotten and the import goes anonymous. When the
 * registry cannot be asked (this host may reach less than the server), they are sent as kept.
 */
async function storedCredentials(
  state: McpState,
  url: string,
): Promise<{ username: string; password: string } | undefined> {
  if (!url.startsWith("docker://")) return undefined;
  const store = state.deps.registryCredentials();
  const host = registryHost(url);
  const kept = await store.get(host);
  if (!kept) return undefined;
  const check = await checkRegistryToken(state.ctx.fetch, host, kept.username, kept.token)
    .catch((error: Error) => {
      state.ctx.log.debug(`import_image: cannot check the token for ${host}: ${error.message}`);
      return "unknown" as const;
    });
  if (check === "invalid") {
    await store.delete(host);
    state.ctx.log.warning(`The registry ${host} refused the kept token; it was forgotten`);
    return undefined;
  }
  return { username: kept.username, password: kept.token };
}

/** Where to create an access token for the registry of `registry_url` (no browser is opened). */
export function registryTokenObtainTool(args: { registry_url: string }): ToolOutput {
  const registry = registryHost(args.registry_url);
  const url = TOKEN_PAGES[registry];
  if (!url) {
    return {
      status: "error",
      registry,
      message: `Unknown registry '${registry}'. Please consult the registry documentation for ` +
        "token creation.",
    };
  }
  return {
    status: "success",
    registry,
    url,
    message: `Open ${url} and create a read-only access token, then provide your username and ` +
      `token. After receiving the token, call registry_auth(registry_url='${args.registry_url}', ` +
      "username='<username>', token='<token>').",
    agent_instruction: "STOP HERE. Show the user the url, and wait for them to create the token " +
      "and give it to you. Do not proceed until they do.",
  };
}

/** Checks the credentials with the registry, then keeps them for import_image. */
export async function registryAuthTool(
  state: McpState,
  args: { registry_url: string; username: string; token: string },
): Promise<ToolOutput> {
  const registry = registryHost(args.registry_url);
  const check = await checkRegistryToken(state.ctx.fetch, registry, args.username, args.token);
  if (check === "invalid") {
    return {
      status: "error",
      registry,
      message: `Invalid credentials for '${registry}'. Please verify your username and token.`,
    };
  }
  await state.deps.registryCredentials().put(registry, {
    username: args.username,
    token: args.token,
    created_at: new Date(state.ctx.clock.now()).toISOString(),
  });
  return {
    status: "success",
    registry,
    message: `Authenticated with '${registry}' as '${args.username}' successfully.`,
  };
}

export async function setTagTool(
  state: McpState,
  args: { image_uuid: string; tag?: string },
): Promise<ToolOutput> {
  const client = state.client();
  // As `contree tag`: an empty tag is a mistake; removing the tag is leaving `tag` out.
  if (args.tag !== undefined && args.tag.trim() === "") {
    throw new ContreeError("The tag must not be empty (leave 'tag' out to remove the image's tag)");
  }
  const uuid = await state.resolveImage(args.image_uuid);
  if (args.tag !== undefined) {
    const tagged = await client.tagImage(uuid, args.tag);
    return imageOutput({ ...tagged, uuid: tagged?.uuid ?? uuid, tag: tagged?.tag ?? args.tag });
  }
  const current = await client.inspectImage(uuid);
  if (typeof current.tag === "string" && current.tag !== "") {
    await client.untagImage(uuid, current.tag);
  }
  return imageOutput({ ...current, uuid: current.uuid ?? uuid, tag: null });
}
