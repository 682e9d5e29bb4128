// contree: ConTree sandboxes and local podman task containers from one CLI.
// The entry point: build the context, run, exit. This is the only place that exits.

import { main } from "./src/cli/main.ts";
import { createProcessContext } from "./src/context.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args, createProcessContext()));
}
