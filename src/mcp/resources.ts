// The resources, as URI templates (contree-mcp's URIs): the guides, an image's directory
// listings and files, an operation's result. Reading one never starts a VM.

import { ApiError } from "../api/errors.ts";
import { bytesToBase64 } from "../api/stream_repr.ts";
import type { McpServer, McpServerSdk, ReadResourceResult } from "../deps.ts";
import { ContreeError } from "../errors.ts";
import { normaliseSandboxPath } from "../sandbox_path.ts";
import { NotARegularFile, readImageFile, utf8 } from "./files.ts";
import { findGuide, guideText } from "./guide.ts";
import { operationOutput } from "./outputs.ts";
import { errorText } from "./result.ts";
import type { McpState } from "./state.ts";

type Variables = Record<string, string | string[]>;

/** A URI variable, percent-decoded (a tag with `/` arrives as `%2F`). */
function variable(variables: Variables, name: string): string {
  const raw = variables[name];
  const value = Array.isArray(raw) ? raw.join("/") : raw ?? "";
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A path variable (no leading slash; `.` is the root) as an absolute sandbox path. */
function pathVariable(variables: Variables): string {
  const path = variable(variables, "path");
  return normaliseSandboxPath(path === "." || path === "" ? "/" : path);
}

/** MCP's code for a resource that does not exist; JSON-RPC's for bad parameters. */
const RESOURCE_NOT_FOUND = -32002;
const INVALID_PARAMS = -32602;

/** A resource that is not there (the SDK answers with the error's `code`). */
class ResourceNotFound extends ContreeError {
  readonly code = RESOURCE_NOT_FOUND;
}

/**
 * Runs a read; a failure is one readable line, which the SDK turns into a JSON-RPC error: a 404
 * is "resource not found", another refusal "invalid params", and the rest an internal error.
 */
async function reading(
  state: McpState,
  uri: URL,
  body: () => Promise<ReadResourceResult>,
): Promise<ReadResourceResult> {
  try {
    return await body();
  } catch (error) {
    state.ctx.log.debug(`reading ${uri.href} failed: ${(error as Error)?.stack ?? error}`);
    const failure: Error & { code?: number } = new Error(errorText(error));
    if (error instanceof ResourceNotFound || (error instanceof ApiError && error.status === 404)) {
      failure.code = RESOURCE_NOT_FOUND;
    } else if (
      error instanceof NotARegularFile ||
      (error instanceof ApiError && error.status >= 400 && error.status < 500)
    ) {
      failure.code = INVALID_PARAMS;
    }
    throw failure;
  }
}

export function registerResources(server: McpServer, sdk: McpServerSdk, state: McpState): void {
  const { ResourceTemplate } = sdk;
  const guides = state.deps.guides;

  server.registerResource(
    "guide",
    new ResourceTemplate("contree://guide/{section}", {
      list: () => ({
        resources: guides.map((guide) => ({
          uri: `contree://guide/${guide.name}`,
          name: guide.name,
          title: `Contree guide: ${guide.title}`,
          mimeType: "text/markdown",
        })),
      }),
      complete: {
        section: (typed: string) =>
          guides.map((guide) => guide.name).filter((name) => name.startsWith(typed ?? "")),
      },
    }),
    {
      title: "Contree guide",
      description: "A section of the contree manual for agents (the same text as get_guide).",
      mimeType: "text/markdown",
    },
    (uri: URL, variables: Variables) =>
      reading(state, uri, () => {
        let guide;
        try {
          guide = findGuide(guides, variable(variables, "section"));
        } catch (error) {
          throw new ResourceNotFound((error as Error).message);
        }
        return Promise.resolve({
          contents: [{ uri: uri.href, mimeType: "text/markdown", text: guideText(guide) }],
        });
      }),
  );

  // `…/ls/.` (the root) reaches us as `…/ls/`: URL parsing drops the dot segment.
  for (const [name, template] of [["image_ls", "{+path}"], ["image_ls_root", ""]]) {
    server.registerResource(
      name,
      new ResourceTemplate(`contree://image/{image}/ls/${template}`, { list: undefined }),
      {
        title: "Directory listing of an image",
        description: "ls -l style listing of a directory in an image. Free (no VM). image: a " +
          "UUID or tag:NAME; path without the leading slash, `.` for the root. Example: " +
          "contree://image/tag:busybox:latest/ls/etc",
        mimeType: "text/plain",
      },
      (uri: URL, variables: Variables) =>
        reading(state, uri, async () => {
          const image = await state.resolveImage(variable(variables, "image"));
          const text = await state.client().listDirectoryText(image, pathVariable(variables));
          return { contents: [{ uri: uri.href, mimeType: "text/plain", text }] };
        }),
    );
  }

  server.registerResource(
    "image_file",
    new ResourceTemplate("contree://image/{image}/read/{+path}", { list: undefined }),
    {
      title: "A file of an image",
      description: "The content of a file in an image (text, or a base64 blob for binary " +
        "files; at most 1 MiB). Free (no VM). Example: contree://image/UUID/read/etc/os-release",
    },
    (uri: URL, variables: Variables) =>
      reading(state, uri, async () => {
        const file = await readImageFile(
          state,
          variable(variables, "image"),
          pathVariable(variables),
        );
        const text = utf8(file.bytes, file.truncated);
        return {
          contents: [
            text === undefined
              ? {
                uri: uri.href,
                mimeType: "application/octet-stream",
                blob: bytesToBase64(file.bytes),
              }
              : { uri: uri.href, mimeType: "text/plain", text },
          ],
        };
      }),
  );

  for (const [name, kind] of [["instance", "instance"], ["import", "image_import"]] as const) {
    server.registerResource(
      `${name}_operation`,
      new ResourceTemplate(`contree://operations/${name}/{operation_id}`, { list: undefined }),
      {
        title: name === "instance" ? "A command's result" : "An image import's result",
        description: `The status and result of ${
          name === "instance" ? "a run (exit code, stdout, stderr, result image)" : "an import"
        } as JSON (the get_operation answer). Free (no VM).`,
        mimeType: "application/json",
      },
      (uri: URL, variables: Variables) =>
        reading(state, uri, async () => {
          const uuid = variable(variables, "operation_id");
          const operation = await state.client().getOperation(uuid);
          if ((operation.kind ?? "instance") !== kind) {
            throw new ResourceNotFound(
              `Operation ${uuid} is not ${
                name === "instance" ? "an instance" : "an import"
              } operation (kind ${operation.kind})`,
            );
          }
          return {
            contents: [{
              uri: uri.href,
              mimeType: "application/json",
              text: JSON.stringify(operationOutput(operation), null, 2),
            }],
          };
        }),
    );
  }
}
