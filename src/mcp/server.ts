// One MCP server (an McpServer of the official SDK) with contree's tools and resources. The stdio
// transport has one; the HTTP transport makes one per MCP session, all sharing one McpState.

import type { McpServer, McpServerSdk } from "../deps.ts";
import { registerResources } from "./resources.ts";
import type { McpState } from "./state.ts";
import { registerTools } from "./tools.ts";

export const SERVER_NAME = "contree";

/** What the host shows the model before any call. */
export function instructions(state: McpState): string {
  const sections = state.deps.guides.map((g) => g.name).join(", ");
  return `contree runs commands in ConTree sandboxes: short-lived VMs started from immutable images.

- Look before you spend: list_images, list_files, read_file and get_image are free; run starts a
  VM; import_image is the most expensive call (check list_images first).
- run(command, image) runs in that image and touches nothing else; disposable=false keeps the
  result as result_image, which the next run can start from. Tag what you will reuse (set_tag).
- Or work in the session, contree's git-like history: use(image) once, then run without image;
  every kept run (disposable=false) moves the session forward, session_show lists the history,
  session_rollback undoes, session_branch tries alternatives.
- Host files reach a sandbox only through upload (one file) or rsync (a directory), passed to
  run as files / directory_state_id. download copies results back.
- Long work: run(wait=false) or import_image(wait=false), then wait_operations / get_operation;
  cancel_operation stops one. While run waits, its output arrives as progress notifications.
- A failed call is a tool error with one line saying why; nothing else changed.

Guide sections (get_guide or contree://guide/{section}): ${sections}.`;
}

export function createMcpServer(sdk: McpServerSdk, state: McpState): McpServer {
  const server = new sdk.McpServer(
    { name: SERVER_NAME, title: "contree", version: state.deps.version },
    { instructions: instructions(state) },
  );
  registerTools(server, sdk, state);
  registerResources(server, sdk, state);
  return server;
}
